/* ---- integer kernel: int8 weights and activations, int32 sums, fixed-point requantisation ---- */

/* Layer 0 is walked column by column while the features arrive (a column a feature, into int32
 * sums in RAM); the other layers row by row, each row's sum kept in registers. Layer 0's shape
 * and layout are compile-time constants (BINGO_L0_*), so feeding a feature reads no descriptor. */
#if BINGO_L0_KIND == BINGO_KIND_MAM
static int16_t bingo_mx0[BINGO_L0_OUT], bingo_mn0[BINGO_L0_OUT]; /* running max and min a row */
#else
static int32_t bingo_acc0[BINGO_L0_OUT];
#endif
static int8_t bingo_buf[BINGO_BUF0 + BINGO_BUF1]; /* hidden codes: layer k writes buffer k % 2 */
static int16_t bingo_score[BINGO_N_CLASSES];      /* the last layer's class scores */

static struct {
    const uint8_t *p; /* layer 0 entries of the next column */
    uint16_t col;     /* next feature */
    uint16_t nsign;   /* sign bits of a binary layer 0 read so far */
    uint8_t nzbits;   /* index layout: the column bitmap byte, shifted along as the columns go */
} bingo_cur;

static int8_t *bingo_out_buf(uint8_t k) { return (k & 1u) ? bingo_buf + BINGO_BUF0 : bingo_buf; }

/* int8 x int8 -> int16 in one MULS on AVR (gcc would widen it into a 16x16->32 library call). */
#ifdef __AVR__
static inline int16_t bingo_mul8(int8_t a, int8_t b)
{
    int16_t r;
    __asm__("muls %1, %2\n\tmovw %0, r0\n\tclr __zero_reg__" : "=r"(r) : "a"(a), "a"(b));
    return r;
}
#else
#define bingo_mul8(a, b) ((int16_t)((int8_t)(a) * (int8_t)(b)))
#endif

/* u2 = 2 * (raw feature times its multiplier) to an int8 code, rounded half away from zero:
 * round(u) = (trunc(u2) + 1) / 2 in magnitude. The exponent test saturates |u2| >= 2^15 (and
 * infinities) without float compares, so only one float conversion runs. */
static int8_t bingo_code(float u2)
{
    uint32_t bits;
    uint8_t b3, e;
    int16_t i;
    memcpy(&bits, &u2, sizeof bits);
    b3 = (uint8_t)(bits >> 24);
    e = (uint8_t)((uint8_t)(b3 << 1) | ((uint8_t)(bits >> 16) >> 7));
    if (e >= 127u + 15u) return (b3 & 0x80u) ? -127 : 127;
    i = (int16_t)u2;
    if (i >= 254) return 127;
    if (i <= -254) return -127;
    return (int8_t)(i >= 0 ? (i + 1) >> 1 : -((1 - i) >> 1));
}

/* y = sat((sat16(v >> pre) * mult + 2^(post-1)) >> post), then tanh's table where asked. */
static int16_t bingo_requant(const bingo_layer_t *L, uint16_t r, int32_t v)
{
    int32_t p, a, y;
    int16_t m;
    if (L->lo == 0 && v <= 0) return 0; /* ReLU: what the arithmetic below gives, sooner */
    p = v >> L->pre;
    m = (int16_t)bingo_rd_u16(L->mult + ((L->flags & BINGO_PER_ROW) ? r : 0u));
    if (p > 32767) p = 32767;
    if (p < -32768) p = -32768;
    a = (int32_t)(int16_t)p * m;
    /* (a + 2^(post-1)) >> post == ((a >> (post-1)) + 1) >> 1; a whole-byte shift first is cheap */
    if (L->post > 16u)
        y = (((int16_t)(a >> 16) >> (L->post - 17u)) + 1) >> 1;
    else
        y = ((a >> (L->post - 1u)) + 1) >> 1;
    if (y > L->hi) y = L->hi;
    if (y < L->lo) y = L->lo;
#if BINGO_ACT_TANH
    if (L->flags & BINGO_TANH) {
        int8_t a = (int8_t)bingo_rd_u8(bingo_tanh + (y < 0 ? -y : y));
        y = y < 0 ? -a : a;
    }
#endif
    return (int16_t)y;
}

static int32_t bingo_bias(const bingo_layer_t *L, uint16_t r)
{
    int32_t b = (int16_t)bingo_rd_u16(L->bias + r);
    return (int32_t)((uint32_t)b << L->bias_shift);
}

/* Row r of layer k is done: its code goes to the next layer's input, or to the class scores. */
static void bingo_emit(const bingo_layer_t *L, uint8_t k, uint16_t r, int32_t v)
{
    int16_t y = bingo_requant(L, r, v + bingo_bias(L, r));
    if (k + 1u < BINGO_N_LAYERS)
        bingo_out_buf(k)[r] = (int8_t)y;
    else
        bingo_score[r] = y;
}

/* ---- layer 0: one column a feature ---- */
#if BINGO_L0_KIND == BINGO_KIND_MAM
#define BINGO_MAC0(r, w)                                              \
    do {                                                              \
        int16_t p_ = bingo_mul8((int8_t)(w), t);                      \
        if (p_ > bingo_mx0[r]) bingo_mx0[r] = p_;                     \
        if (p_ < bingo_mn0[r]) bingo_mn0[r] = p_;                     \
    } while (0)
#else
#define BINGO_MAC0(r, w) bingo_acc0[r] += bingo_mul8((int8_t)(w), t)
#endif

#if BINGO_L0_KIND == BINGO_KIND_BINARY
#define BINGO_STEP0(r)                                                                     \
    do {                                                                                   \
        uint16_t n_ = bingo_cur.nsign++;                                                   \
        if ((bingo_rd_u8(bingo_l0_sign + (n_ >> 3)) >> (n_ & 7u)) & 1u) bingo_acc0[r] += t; \
        else bingo_acc0[r] -= t;                                                           \
    } while (0)
#define BINGO_VBYTES0 0u
#else
#define BINGO_STEP0(r) BINGO_MAC0(r, bingo_rd_u8(p++))
#define BINGO_VBYTES0 1u
#endif

static void bingo_column0(int8_t t)
{
    const uint8_t *p = bingo_cur.p;
    uint16_t j = bingo_cur.col;
#if BINGO_L0_KIND == BINGO_KIND_MAM
    const uint8_t skip = 0; /* a 0 product still competes for the max and the min */
#else
    const uint8_t skip = t == 0; /* the zero-input test, once per input */
#endif
#if BINGO_L0_BITMASK && BINGO_L0_KIND == BINGO_KIND_DENSE
    int32_t *a;
    for (a = bingo_acc0; a < bingo_acc0 + BINGO_L0_OUT; a += 8) {
        uint8_t m = bingo_rd_u8(p++);
        if (skip) {
            for (; m; m &= (uint8_t)(m - 1u)) p++; /* one value a set bit */
            continue;
        }
        /* unrolled: a clear bit costs a skipped instruction, not a loop turn */
#define BINGO_BIT0(b) if (m & (1u << (b))) a[b] += bingo_mul8((int8_t)bingo_rd_u8(p++), t)
        BINGO_BIT0(0); BINGO_BIT0(1); BINGO_BIT0(2); BINGO_BIT0(3);
        BINGO_BIT0(4); BINGO_BIT0(5); BINGO_BIT0(6); BINGO_BIT0(7);
    }
#elif BINGO_L0_BITMASK
    uint16_t g;
    for (g = 0; g < BINGO_L0_OUT; g += 8) {
        uint8_t m = bingo_rd_u8(p++);
        uint16_t r = g;
        if (skip) {
            for (; m; m >>= 1) {
                if (m & 1u) {
                    p += BINGO_VBYTES0;
#if BINGO_L0_KIND == BINGO_KIND_BINARY
                    bingo_cur.nsign++;
#endif
                }
            }
            continue;
        }
        for (; m; m >>= 1, r++)
            if (m & 1u) BINGO_STEP0(r);
    }
#else
#if BINGO_L0_WIDE
#define BINGO_LAST_AT 1u /* the end-of-column flag is in the index's high byte */
#define BINGO_IDX_BYTES 2u
#else
#define BINGO_LAST_AT 0u
#define BINGO_IDX_BYTES 1u
#endif
    if (!(j & 7u)) bingo_cur.nzbits = bingo_rd_u8(bingo_l0_nz + (j >> 3));
    else bingo_cur.nzbits >>= 1;
    if (bingo_cur.nzbits & 1u) {
        uint8_t last;
        if (skip) { /* only step over the column: its flags, no values read */
            do {
                last = bingo_rd_u8(p + BINGO_LAST_AT) & 0x80u;
                p += BINGO_IDX_BYTES + BINGO_VBYTES0;
#if BINGO_L0_KIND == BINGO_KIND_BINARY
                bingo_cur.nsign++;
#endif
            } while (!last);
        } else {
            do {
#if BINGO_L0_WIDE
                uint16_t r = bingo_rd_u8(p) | ((uint16_t)bingo_rd_u8(p + 1) << 8);
                p += 2;
                last = (r & 0x8000u) != 0;
                r &= 0x7fffu;
#else
                uint8_t r = bingo_rd_u8(p++);
                last = r & 0x80u;
                r &= 0x7fu;
#endif
                BINGO_STEP0(r);
            } while (!last);
        }
    }
#endif
    (void)j;
    bingo_cur.p = p;
}

/* ---- layers 1 and up: one row at a time, reading the previous layer's int8 codes ---- */
#define BINGO_MAC(xv)                                                                 \
    do {                                                                              \
        int8_t x_ = (xv);                                                             \
        if (kind == 0) {                                                              \
            acc += bingo_mul8((int8_t)bingo_rd_u8(p++), x_);                          \
        } else if (kind == BINGO_BINARY) {                                            \
            uint16_t n_ = nsign++;                                                    \
            if ((bingo_rd_u8(L->sign + (n_ >> 3)) >> (n_ & 7u)) & 1u) acc += x_;      \
            else acc -= x_;                                                           \
        } else {                                                                      \
            int16_t p_ = bingo_mul8((int8_t)bingo_rd_u8(p++), x_);                    \
            if (p_ > mx) mx = p_;                                                     \
            if (p_ < mn) mn = p_;                                                     \
        }                                                                             \
    } while (0)

/* Dense rows, the common case, in loops of their own: each weight costs an index read, an input
 * load, a weight read and one MULS into a 32-bit sum held in registers. */
static int32_t bingo_dot_index(const uint8_t **pp, const int8_t *in)
{
    const uint8_t *p = *pp;
    int32_t acc = 0;
    uint8_t e;
    do {
        e = bingo_rd_u8(p);
        acc += bingo_mul8((int8_t)bingo_rd_u8(p + 1), in[e & 0x7fu]);
        p += 2;
    } while (!(e & 0x80u));
    *pp = p;
    return acc;
}

static int32_t bingo_dot_bitmask(const uint8_t **pp, const int8_t *in, uint16_t n_in)
{
    const uint8_t *p = *pp;
    int32_t acc = 0;
    uint16_t g;
    for (g = 0; g < n_in; g += 8) {
        uint8_t m = bingo_rd_u8(p++);
        const int8_t *xp = in + g;
#define BINGO_BIT(b) if (m & (1u << (b))) acc += bingo_mul8((int8_t)bingo_rd_u8(p++), xp[b])
        BINGO_BIT(0); BINGO_BIT(1); BINGO_BIT(2); BINGO_BIT(3);
        BINGO_BIT(4); BINGO_BIT(5); BINGO_BIT(6); BINGO_BIT(7);
    }
    *pp = p;
    return acc;
}

static void bingo_rows(const bingo_layer_t *L, uint8_t k, const int8_t *in)
{
    const uint8_t *p = L->ent;
    uint16_t r, nsign = 0;
    uint8_t kind = L->flags & (BINGO_MAM | BINGO_BINARY);
    (void)nsign; /* only the general loop counts sign bits */
    for (r = 0; r < L->n_out; r++) {
        int32_t acc = 0;
        int16_t mx = -32767 - 1, mn = 32767;
        if (kind == 0 && !(L->flags & BINGO_WIDE)) { /* dense: the fast loops */
            if (!L->nz)
                acc = bingo_dot_bitmask(&p, in, L->n_in);
            else if ((bingo_rd_u8(L->nz + (r >> 3)) >> (r & 7u)) & 1u)
                acc = bingo_dot_index(&p, in);
        }
#if BINGO_ROWS_GENERIC /* MAM, binary or two-byte indices past layer 0: only compiled when used */
        else if (!L->nz) { /* bitmask: a mask byte for 8 columns, then their values */
            uint16_t g;
            for (g = 0; g < L->n_in; g += 8) {
                uint8_t m = bingo_rd_u8(p++);
                const int8_t *xp = in + g;
                for (; m; m >>= 1, xp++)
                    if (m & 1u) BINGO_MAC(*xp);
            }
        } else if ((bingo_rd_u8(L->nz + (r >> 3)) >> (r & 7u)) & 1u) { /* index lists */
            uint8_t last;
            if (L->flags & BINGO_WIDE) {
                do {
                    uint16_t c = bingo_rd_u8(p) | ((uint16_t)bingo_rd_u8(p + 1) << 8);
                    p += 2;
                    last = (c & 0x8000u) != 0;
                    BINGO_MAC(in[c & 0x7fffu]);
                } while (!last);
            } else {
                do {
                    uint8_t e = bingo_rd_u8(p++);
                    last = e & 0x80u;
                    BINGO_MAC(in[e & 0x7fu]);
                } while (!last);
            }
        }
#endif
        if (kind == BINGO_MAM && mn != 32767) acc = (int32_t)mx + mn;
        bingo_emit(L, k, r, acc);
    }
}

void bingo_begin(void)
{
    uint16_t r;
    bingo_cur.p = bingo_l0_ent;
    bingo_cur.col = 0;
    bingo_cur.nsign = 0;
    for (r = 0; r < BINGO_L0_OUT; r++) {
#if BINGO_L0_KIND == BINGO_KIND_MAM
        bingo_mx0[r] = -32767 - 1;
        bingo_mn0[r] = 32767;
#else
        bingo_acc0[r] = 0;
#endif
    }
}

int bingo_feed(uint16_t i, float x)
{
    int8_t t = 0;
    uint32_t bits;
    if (i != bingo_cur.col || i >= BINGO_N_FEATURES) return -1;
#ifdef BINGO_COLSHIFT
    x = x - bingo_rd_f32(bingo_colshift + i); /* a first MAM layer: the mean cannot go into the bias */
#endif
    memcpy(&bits, &x, sizeof bits);
#if BINGO_INT_MAX > 0
    /* a whole number 1..255 (x = 1.m * 2^e, 0 <= e <= 7, no bits below 2^0): its code from the
     * table, which holds what the float path below gives */
    uint8_t b3 = (uint8_t)(bits >> 24), b2 = (uint8_t)(bits >> 16); /* whole bytes: no shift loops */
    uint8_t e = (uint8_t)((uint8_t)(b3 << 1) | (b2 >> 7));
    if (!(b3 & 0x80u) && (uint16_t)bits == 0u && (uint8_t)(e - 127u) <= 7u) {
        uint8_t sh = (uint8_t)(134u - e);
        uint8_t m = b2 | 0x80u;
        /* compared as unsigned int: with a table of all 256 codes the bound holds for every byte,
         * and a uint8_t comparison would warn (-Wtype-limits) */
        if (!(m & (uint8_t)((1u << sh) - 1u)) && (unsigned)(m >> sh) <= (unsigned)BINGO_INT_MAX) {
            bingo_column0((int8_t)bingo_rd_u8(bingo_intcode + (m >> sh)));
            bingo_cur.col++;
            return 0;
        }
    }
#endif
    if (bits << 1) /* not +-0: one float multiply, one conversion */
        t = bingo_code(x * bingo_rd_f32(bingo_colscale + (BINGO_PER_FEATURE ? i : 0u)));
    bingo_column0(t);
    bingo_cur.col++;
    return 0;
}

int bingo_finish(void)
{
    bingo_layer_t L;
    uint8_t k;
    uint16_t r;
    int best = 0;
    if (bingo_cur.col != BINGO_N_FEATURES) return -1;
    bingo_rd_copy(&L, &bingo_layers[0], sizeof L);
    for (r = 0; r < BINGO_L0_OUT; r++) {
#if BINGO_L0_KIND == BINGO_KIND_MAM
        int32_t v = bingo_mn0[r] == 32767 ? 0 : (int32_t)bingo_mx0[r] + bingo_mn0[r]; /* no weights: 0 */
#else
        int32_t v = bingo_acc0[r];
#endif
        bingo_emit(&L, 0, r, v);
    }
    for (k = 1; k < BINGO_N_LAYERS; k++) {
        bingo_rd_copy(&L, &bingo_layers[k], sizeof L);
        bingo_rows(&L, k, bingo_out_buf((uint8_t)(k - 1u)));
    }
    bingo_cur.col = 0xffffu; /* a new bingo_begin is needed before feeding again */
    for (r = 1; r < BINGO_N_CLASSES; r++)
        if (bingo_score[r] > bingo_score[best]) best = (int)r;
    return best;
}

int bingo_predict(const float *x)
{
    uint16_t i;
    bingo_begin();
    for (i = 0; i < BINGO_N_FEATURES; i++) bingo_feed(i, x[i]);
    return bingo_finish();
}

float bingo_output(uint8_t k) { return k < BINGO_N_CLASSES ? (float)bingo_score[k] * BINGO_SCORE_SCALE : 0.0f; }
