/* Host harness for tests: raw float32 feature vectors on stdin (BINGO_N_FEATURES a sample),
 * one line a sample on stdout: "<streamed class (whole numbers fed as such)> <bingo_predict class> <output 0> ... <output K-1>".
 * Outputs are printed with 9 significant digits, enough to compare float32 bit for bit. */
#include <stdio.h>

#include "bingo_model.h"

int main(void)
{
    float x[BINGO_N_FEATURES];
    while (fread(x, sizeof(float), BINGO_N_FEATURES, stdin) == BINGO_N_FEATURES) {
        uint16_t i;
        uint8_t k;
        int streamed, whole;
        bingo_begin();
        for (i = 0; i < BINGO_N_FEATURES; i++) {
            /* whole numbers 0..255 as the serial protocol feeds them (integer firmware: a table) */
            int whole = x[i] >= 0.0f && x[i] <= 255.0f && x[i] == (float)(int)x[i];
            if ((whole ? bingo_feed_u8(i, (uint8_t)x[i]) : bingo_feed(i, x[i])) != 0) return 2;
        }
        streamed = bingo_finish();
        if (bingo_finish() != -1) return 3; /* finishing twice must be refused */
        whole = bingo_predict(x);
        printf("%d %d", streamed, whole);
        for (k = 0; k < BINGO_N_CLASSES; k++) printf(" %.9g", (double)bingo_output(k));
        printf("\n");
    }
    return 0;
}
