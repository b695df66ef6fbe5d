#include <string.h>

#include "bingo_model.h"

#if BINGO_ACT_TANH
#include <math.h>
#endif

#if BINGO_FMT_FLOAT32
typedef float bingo_w_t;
typedef float bingo_b_t;
#else
typedef int8_t bingo_w_t;
typedef int16_t bingo_b_t;
#endif

/* Layer flags. Column j of a BITMASK layer is ceil(n_out/8) bytes, bit r set when row r has a
 * weight; otherwise nzcols marks the non-empty columns and each of their weights has a row
 * index with the top bit set on the column's last one (a byte when n_out <= 128, else a
 * uint16). Values follow in the same order. */
#define BINGO_BITMASK 1u
#define BINGO_WIDE 2u
#define BINGO_PER_ROW 4u
/* MAM: the row keeps max and min of w * t over its weights (bingo_mn holds the minima) instead
 * of the sum. BINARY (int8 builds): val holds one sign bit a weight (1: +1, 0: -1), in the same
 * order, and each row its own scale. */
#define BINGO_MAM 8u
#define BINGO_BINARY 16u

typedef struct {
    const uint8_t *nzcols;
    const uint8_t *idx;
    const bingo_w_t *val;
    const float *colscale; /* first layer, per-feature 1/std; NULL when folded into the scales */
    const float *rowscale; /* int8: per row (BINGO_PER_ROW) or one for the layer */
    const bingo_b_t *bias;
    float bias_scale;
    uint16_t n_in;
    uint16_t n_out;
    uint8_t flags;
} bingo_layer_t;
