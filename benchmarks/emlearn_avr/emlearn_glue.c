/* bingo_begin/feed/finish on top of emlearn (see bingo_model.h). */
#include "bingo_model.h"
#include "emlearn_model.h"

const char bingo_name[] BINGO_ROM = "emlearn";
const char bingo_labels[] BINGO_ROM = "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9\0";
const char bingo_info[] BINGO_ROM = "model=emlearn";

static float features[BINGO_N_FEATURES];
static uint16_t fed;

void bingo_begin(void) { fed = 0; }

int bingo_feed(uint16_t i, float x)
{
    if (i != fed || i >= BINGO_N_FEATURES) return -1;
    features[i] = (x - BINGO_MEAN) / BINGO_STD;
    fed++;
    return 0;
}

int bingo_finish(void)
{
    if (fed != BINGO_N_FEATURES) return -1;
    fed = 0xffffu;
    return (int)emlmodel_predict(features, BINGO_N_FEATURES);
}
