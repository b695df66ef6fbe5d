#include <string.h>

#include "bingo_model.h"

#if BINGO_ACT_TANH && BINGO_FMT_FLOAT32
#include <math.h>
#endif

/* Layer flags. In the float32 kernel every layer is stored column by column; in the integer
 * kernel layer 0 is (it runs while the features arrive) and the others row by row. A BITMASK
 * line (column or row) is a mask byte per 8 positions; otherwise a bit a line marks the lines
 * holding weights and each weight has a position with the top bit set on the line's last one (a
 * byte when the line has <= 128 positions, else a uint16). */
#define BINGO_BITMASK 1u
#define BINGO_WIDE 2u
#define BINGO_PER_ROW 4u
/* MAM: the row keeps max and min of w * t over its weights instead of the sum. BINARY (int8
 * builds): one sign bit a weight (1: +1, 0: -1), in the same order, and each row its own scale. */
#define BINGO_MAM 8u
#define BINGO_BINARY 16u
#define BINGO_TANH 32u /* integer kernel: the output code goes through bingo_tanh */
#define BINGO_DENSE 64u /* integer kernel, a dense layer by rows: every value, zeros too, no positions */
#define BINGO_RAW 128u  /* integer kernel, last layer of one scale: the int32 sums are the class scores */

#if BINGO_FMT_FLOAT32
typedef float bingo_w_t;
typedef float bingo_b_t;

typedef struct {
    const uint8_t *nzcols;
    const uint8_t *idx;
    const bingo_w_t *val;
    const float *colscale; /* unused in float32 builds (1/std is folded into the weights) */
    const float *rowscale;
    const bingo_b_t *bias;
    float bias_scale;
    uint16_t n_in;
    uint16_t n_out;
    uint8_t flags;
} bingo_layer_t;
#else
#define BINGO_KIND_DENSE 0
#define BINGO_KIND_MAM 1
#define BINGO_KIND_BINARY 2

typedef struct {
    const uint8_t *nz;    /* index layout: a bit a row holding weights; NULL: bitmask or dense layout */
    const uint8_t *ent;   /* positions and int8 values, interleaved in walk order */
    const uint8_t *sign;  /* binary: one sign bit a weight */
    const int16_t *bias;  /* in accumulator units, << bias_shift */
    const int16_t *mult;  /* requantisation multiplier, per row (BINGO_PER_ROW) or one */
    uint16_t n_in;
    uint16_t n_out;
    int16_t lo, hi;       /* output code range */
    uint8_t flags;
    uint8_t bias_shift, pre, post;
} bingo_layer_t;
#endif

/* A whole line at once, for either kernel: the features fed in order, then the answer. */
int bingo_predict(const float *x)
{
    uint16_t i;
    bingo_begin();
    for (i = 0; i < BINGO_N_FEATURES; i++) bingo_feed(i, x[i]);
    return bingo_finish();
}
