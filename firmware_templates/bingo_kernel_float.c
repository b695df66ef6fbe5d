/* ---- sparse column-major kernel ---------------------------------------------------------- */

/* Activations: layer k writes buffer k % 2 and reads the other one. */
static float bingo_buf[BINGO_BUF0 + BINGO_BUF1];

/* Where the next column's entries start; columns are always walked in order. */
static struct {
    const uint8_t *ip;
    const bingo_w_t *vp;
    uint16_t col;
} bingo_cur;

#if BINGO_MAM_BUF > 0
#define BINGO_BIG 3.0e38f
static float bingo_mn[BINGO_MAM_BUF]; /* running minima of a MAM layer (the maxima are in acc) */
#endif

static float *bingo_out_buf(uint8_t k) { return (k & 1u) ? bingo_buf + BINGO_BUF0 : bingo_buf; }

static void bingo_load(uint8_t k, bingo_layer_t *L) { bingo_rd_copy(L, &bingo_layers[k], sizeof *L); }

static float bingo_w(const bingo_w_t *p) { return bingo_rd_f32(p); }

static void bingo_start(const bingo_layer_t *L, float *acc)
{
    uint16_t r;
    bingo_cur.ip = L->idx;
    bingo_cur.vp = L->val;
    bingo_cur.col = 0;
#if BINGO_MAM_BUF > 0
    if (L->flags & BINGO_MAM) {
        for (r = 0; r < L->n_out; r++) {
            acc[r] = -BINGO_BIG;
            bingo_mn[r] = BINGO_BIG;
        }
        return;
    }
#endif
    for (r = 0; r < L->n_out; r++) acc[r] = 0.0f;
}

/* One stored weight of row r meets input t; returns how far the value pointer moves. A zero input
 * is skipped only where it adds nothing: in a MAM row its 0 product still competes for the max
 * and the min. (float32 firmware stores a binary layer as its float weights: the dense path.) */
static uint8_t bingo_acc(const bingo_layer_t *L, uint16_t r, const bingo_w_t *vp, float t, float *acc)
{
    (void)L; /* only read by MAM builds */
#if BINGO_MAM_BUF > 0
    if (L->flags & BINGO_MAM) {
        float p = bingo_w(vp) * t;
        if (p > acc[r]) acc[r] = p;
        if (p < bingo_mn[r]) bingo_mn[r] = p;
        return 1;
    }
#endif
    if (t != 0.0f) acc[r] += bingo_w(vp) * t;
    return 1;
}

/* acc += column bingo_cur.col of L times t; a zero input only skips past the column. */
static void bingo_column(const bingo_layer_t *L, float t, float *acc)
{
    const uint8_t *ip = bingo_cur.ip;
    const bingo_w_t *vp = bingo_cur.vp;
    uint16_t j = bingo_cur.col++;
    if (L->flags & BINGO_BITMASK) {
        uint16_t r;
        for (r = 0; r < L->n_out; r += 8) {
            uint8_t m = bingo_rd_u8(ip);
            uint16_t k = r;
            ip++;
            for (; m; m >>= 1, k++) {
                if (m & 1u) vp += bingo_acc(L, k, vp, t, acc);
            }
        }
    } else if (bingo_rd_u8(L->nzcols + (j >> 3)) & (uint8_t)(1u << (j & 7u))) {
        uint8_t last;
        do {
            uint16_t r;
            if (L->flags & BINGO_WIDE) {
                uint16_t e = bingo_rd_u16((const uint16_t *)(const void *)ip);
                ip += 2;
                last = (e & 0x8000u) != 0;
                r = e & 0x7fffu;
            } else {
                uint8_t e = bingo_rd_u8(ip);
                ip++;
                last = (e & 0x80u) != 0;
                r = e & 0x7fu;
            }
            vp += bingo_acc(L, r, vp, t, acc);
        } while (!last);
    }
    bingo_cur.ip = ip;
    bingo_cur.vp = vp;
}

/* Scale, bias and activation (none after the last layer). */
static void bingo_end(const bingo_layer_t *L, uint8_t k, float *acc)
{
    uint16_t r;
    for (r = 0; r < L->n_out; r++) {
        float v = acc[r];
#if BINGO_MAM_BUF > 0
        if (L->flags & BINGO_MAM) v = (v == -BINGO_BIG) ? 0.0f : v + bingo_mn[r]; /* no weights: 0 */
#endif
        v = v + bingo_rd_f32(L->bias + r);
        if (k + 1u < BINGO_N_LAYERS) {
#if BINGO_ACT_TANH
            v = tanhf(v);
#else
            v = v > 0.0f ? v : 0.0f;
#endif
        }
        acc[r] = v;
    }
}

void bingo_begin(void)
{
    bingo_layer_t L;
    bingo_load(0, &L);
    bingo_start(&L, bingo_buf);
}

int bingo_feed(uint16_t i, float x)
{
    bingo_layer_t L;
    if (i != bingo_cur.col || i >= BINGO_N_FEATURES) return -1;
    bingo_load(0, &L);
#ifdef BINGO_COLSHIFT
    x = x - bingo_rd_f32(bingo_colshift + i); /* a first MAM layer: the mean cannot go into the bias */
#endif
    if (L.colscale) x = x * bingo_rd_f32(L.colscale + i);
    bingo_column(&L, x, bingo_buf);
    return 0;
}

int bingo_feed_u8(uint16_t i, uint8_t x) { return bingo_feed(i, (float)x); }

int bingo_finish(void)
{
    bingo_layer_t L;
    uint8_t k;
    uint16_t j;
    const float *out;
    int best = 0;
    if (bingo_cur.col != BINGO_N_FEATURES) return -1;
    bingo_load(0, &L);
    bingo_end(&L, 0, bingo_buf);
    for (k = 1; k < BINGO_N_LAYERS; k++) {
        const float *in = bingo_out_buf((uint8_t)(k - 1u));
        float *acc = bingo_out_buf(k);
        bingo_load(k, &L);
        bingo_start(&L, acc);
        for (j = 0; j < L.n_in; j++) bingo_column(&L, in[j], acc);
        bingo_end(&L, k, acc);
    }
    bingo_cur.col = 0xffffu; /* a new bingo_begin is needed before feeding again */
    out = bingo_out_buf(BINGO_N_LAYERS - 1u);
    for (j = 1; j < BINGO_N_CLASSES; j++)
        if (out[j] > out[best]) best = (int)j;
    return best;
}

float bingo_output(uint8_t k) { return k < BINGO_N_CLASSES ? bingo_out_buf(BINGO_N_LAYERS - 1u)[k] : 0.0f; }
