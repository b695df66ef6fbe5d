/* Host harness for tests and fuzzing: stdin bytes go to the serial protocol one at a time, its
 * replies go to stdout (the ready line first). The clock is a counter, so replies are
 * deterministic. */
#include <stdio.h>

#include "bingo_protocol.h"

static void put_byte(void *ctx, char c)
{
    (void)ctx;
    putchar(c);
}

static uint32_t fake_clock(void)
{
    static uint32_t t;
    return t++;
}

int main(void)
{
    bingo_proto_t p;
    int c;
    bingo_proto_init(&p, put_byte, NULL, fake_clock);
    bingo_proto_ready(&p);
    while ((c = getchar()) != EOF) bingo_proto_byte(&p, (uint8_t)c);
    return 0;
}
