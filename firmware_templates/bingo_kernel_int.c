/* ---- integer kernel: int8 weights and activations, int32 sums, fixed-point requantisation ---- */

/* Every layer but the first runs row by row, each row's sum kept in registers. Layer 0 too when
 * BINGO_L0_ROWS (its input codes wait in buffer 1: a small input); otherwise it is walked column
 * by column while the features arrive (a column a feature, into int32 sums in RAM), its shape and
 * layout compile-time constants (BINGO_L0_*), so feeding a feature reads no descriptor. */
static int8_t bingo_buf[BINGO_BUF0 + BINGO_BUF1]; /* codes: layer k writes buffer k % 2 */
static int32_t bingo_score[BINGO_N_CLASSES];      /* the last layer's class scores */
#if BINGO_L0_ROWS
static uint16_t bingo_col; /* next feature */
#define BINGO_COL bingo_col
#else
#if BINGO_L0_KIND == BINGO_KIND_MAM
static int16_t bingo_mx0[BINGO_L0_OUT], bingo_mn0[BINGO_L0_OUT]; /* running max and min a row */
#else
static int32_t bingo_acc0[BINGO_L0_OUT];
#endif
static struct {
    const uint8_t *p; /* layer 0 entries of the next column */
    uint16_t col;     /* next feature */
    uint16_t nsign;   /* sign bits of a binary layer 0 read so far */
    uint8_t nzbits;   /* index layout: the column bitmap byte, shifted along as the columns go */
} bingo_cur;
#define BINGO_COL bingo_cur.col
#endif

static int8_t *bingo_out_buf(uint8_t k) { return (k & 1u) ? bingo_buf + BINGO_BUF0 : bingo_buf; }

/* kept out of line: inlined into the row loop, its registers would crowd the loop's */
#ifdef __GNUC__
#define BINGO_NOINLINE __attribute__((noinline))
#else
#define BINGO_NOINLINE
#endif

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

/* int16 x int16 -> int32: four MULs inline on AVR (gcc would call __mulhisi3) */
#ifdef __AVR__
static inline int32_t bingo_mul16(int16_t a, int16_t b)
{
    int32_t r;
    uint8_t z;
    __asm__("clr %1\n\t"
            "muls %B2, %B3\n\tmovw %C0, r0\n\t"
            "mul %A2, %A3\n\tmovw %A0, r0\n\t"
            "mulsu %B2, %A3\n\tsbc %D0, %1\n\tadd %B0, r0\n\tadc %C0, r1\n\tadc %D0, %1\n\t"
            "mulsu %B3, %A2\n\tsbc %D0, %1\n\tadd %B0, r0\n\tadc %C0, r1\n\tadc %D0, %1\n\t"
            "clr __zero_reg__"
            : "=&r"(r), "=&r"(z) : "a"(a), "a"(b));
    return r;
}
/* uint16 x uint16 -> uint32 (the multiplier < 2^15, so the product < 2^31) */
static inline uint32_t bingo_mulu16(uint16_t a, uint16_t b)
{
    uint32_t r;
    uint8_t z;
    __asm__("clr %1\n\t"
            "mul %B2, %B3\n\tmovw %C0, r0\n\t"
            "mul %A2, %A3\n\tmovw %A0, r0\n\t"
            "mul %B2, %A3\n\tadd %B0, r0\n\tadc %C0, r1\n\tadc %D0, %1\n\t"
            "mul %B3, %A2\n\tadd %B0, r0\n\tadc %C0, r1\n\tadc %D0, %1\n\t"
            "clr __zero_reg__"
            : "=&r"(r), "=&r"(z) : "r"(a), "r"(b));
    return r;
}
#else
#define bingo_mul16(a, b) ((int32_t)(int16_t)(a) * (int16_t)(b))
#define bingo_mulu16(a, b) ((uint32_t)(uint16_t)(a) * (uint16_t)(b))
#endif

/* Row r's bias (int16 << bias_shift), where its sum starts. */
static int32_t bingo_bias(const bingo_layer_t *L, uint16_t r)
{
    int32_t b = (int16_t)bingo_rd_u16(L->bias + r);
    if (L->bias_shift) b = (int32_t)((uint32_t)b << L->bias_shift); /* shift loops only when needed */
    return b;
}

/* y = sat((sat(v >> pre) * mult + 2^(post-1)) >> post), the multiply's input clamped to uint16
 * for ReLU (a sum <= 0 gives 0 at once) and to int16 otherwise, post 16 taking the product's high
 * half (whole bytes); then tanh's table where asked. */
static int16_t bingo_requant(const bingo_layer_t *L, uint16_t r, int32_t v)
{
    int32_t a;
    int16_t m, y;
    m = (int16_t)bingo_rd_u16(L->mult + ((L->flags & BINGO_PER_ROW) ? r : 0u));
    if (L->lo == 0) {
        if (v <= 0) return 0;
        if (L->pre) v >>= L->pre;
        a = (int32_t)bingo_mulu16(v > 65535 ? 65535u : (uint16_t)v, (uint16_t)m);
    } else {
        if (L->pre) v >>= L->pre;
        a = bingo_mul16(v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v, m);
    }
#if BINGO_POST_ANY
    if (L->post != 16u) {
        a = ((a >> (L->post - 1u)) + 1) >> 1; /* (a + 2^(post-1)) >> post without overflow */
        y = a > L->hi ? L->hi : a < L->lo ? L->lo : (int16_t)a;
    } else
#endif
    {
        y = (int16_t)((uint32_t)(a + 0x8000) >> 16);
        if (y > L->hi) y = L->hi;
        if (y < L->lo) y = L->lo;
    }
#if BINGO_ACT_TANH
    if (L->flags & BINGO_TANH) {
        int8_t t = (int8_t)bingo_rd_u8(bingo_tanh + (y < 0 ? -y : y));
        y = y < 0 ? -t : t;
    }
#endif
    return y;
}

/* Row r of layer L is done with the sum v (bias included): its code goes to the next layer's input
 * ``out``, or (out NULL) to the class scores, there the sum itself for a RAW last layer. */
static BINGO_NOINLINE void bingo_store(const bingo_layer_t *L, int8_t *out, uint16_t r, int32_t v)
{
    int16_t y;
    if (L->flags & BINGO_RAW) {
        bingo_score[r] = v;
        return;
    }
    y = bingo_requant(L, r, v);
    if (out)
        out[r] = (int8_t)y;
    else
        bingo_score[r] = y;
}

/* The next layer's input, or NULL after the last layer (its outputs are the class scores). */
static int8_t *bingo_out_of(uint8_t k) { return k + 1u < BINGO_N_LAYERS ? bingo_out_buf(k) : (int8_t *)0; }

/* ---- layer 0 in column mode: one column a feature ---- */
#if !BINGO_L0_ROWS
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
#endif /* !BINGO_L0_ROWS */

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

/* Dense rows, the common case, in loops of their own: each weight costs (but in the dense
 * layout) a position read, an input load, a weight read and one MULS into a 32-bit sum in
 * registers, *sum (the row's bias) on entry and the row's sum on return. Only the layouts the
 * model uses are compiled (BINGO_ROWS_*). */
#ifdef __AVR__
#define BINGO_DOT static /* inlined: the loops are assembly, their registers fixed */
#define BINGO_RD_NEXT(v, p) __asm__("lpm %0, Z+" : "=r"(v), "+z"(p)) /* a byte of flash, p stepped on */
/* acc += w * x: one MULS, the int16 product added with its sign extended (no 32-bit temporary) */
#define BINGO_MAC8(acc, w, x)                                                                      \
    do {                                                                                           \
        uint8_t s_;                                                                                \
        __asm__("muls %2, %3\n\tmov %1, r1\n\tlsl %1\n\tsbc %1, %1\n\tadd %A0, r0\n\tadc %B0, r1\n\t" \
                "adc %C0, %1\n\tadc %D0, %1\n\tclr __zero_reg__"                                    \
                : "+l"(acc), "=&r"(s_) : "a"((int8_t)(w)), "a"((int8_t)(x)));                       \
    } while (0)
#else
#define BINGO_DOT static BINGO_NOINLINE /* out of line: the C loops keep their pointers in registers */
#define BINGO_MAC8(acc, w, x) ((acc) += (int16_t)(int8_t)(w) * (int8_t)(x))
#define BINGO_RD_NEXT(v, p) ((v) = *(p)++)
#endif

#ifdef __AVR__
/* acc -= (d / 2) << 15 for an even d, by whole bytes (gcc would shift bit by bit): the 2^15 that
 * each product added as product + 2^15 (see below) brought, d / 2 of them */
#define BINGO_UNBIAS(acc, d)                                                                         \
    do {                                                                                             \
        uint16_t d_ = (d);                                                                           \
        uint8_t t_;                                                                                  \
        __asm__("lsr %B1\n\tror %A1\n\tlsr %B1\n\tror %A1\n\tmov %2, __zero_reg__\n\tror %2\n\t"            \
                "sub %B0, %2\n\tsbc %C0, %A1\n\tsbc %D0, %B1"                                        \
                : "+r"(acc), "+r"(d_), "=&r"(t_));                                                  \
    } while (0)
#endif

#if BINGO_ROWS_INDEX
BINGO_DOT void bingo_dot_index(const uint8_t **pp, const int8_t *in, int32_t *sum)
{
    const uint8_t *p = *pp;
#ifdef __AVR__
    /* 23 cycles a weight in assembly: each int16 product is added as product + 2^15 (flipping its
     * top bit, which leaves the carry alone), an unsigned number, so no sign extension; the 2^15
     * a weight come off at the end */
    const uint8_t *p0 = p;
    int32_t acc = *sum;
    uint8_t e, w, t, z, k;
    __asm__("clr %[z]\n\t"
            "ldi %[k], 0x80\n\t"
            "1: lpm %[e], Z+\n\t"
            "lpm %[w], Z+\n\t"
            "movw r26, %[in]\n\t"
            "mov %[t], %[e]\n\t"
            "andi %[t], 0x7f\n\t"
            "add r26, %[t]\n\t"
            "adc r27, %[z]\n\t"
            "ld %[t], X\n\t"
            "muls %[w], %[t]\n\t"
            "add %A[a], r0\n\t"
            "eor r1, %[k]\n\t"
            "adc %B[a], r1\n\t"
            "adc %C[a], %[z]\n\t"
            "adc %D[a], %[z]\n\t"
            "sbrs %[e], 7\n\t"
            "rjmp 1b\n\t"
            "clr __zero_reg__"
            : [a] "+r"(acc), [e] "=&r"(e), [w] "=&a"(w), [t] "=&a"(t), [z] "=&r"(z), [k] "=&d"(k), "+z"(p)
            : [in] "r"(in)
            : "r26", "r27");
    BINGO_UNBIAS(acc, (uint16_t)(p - p0)); /* two bytes a weight */
    *sum = acc;
#else
    int32_t acc = *sum;
    uint8_t e;
    do {
        e = *p++;
        acc += (int16_t)(int8_t)*p++ * in[e & 0x7fu];
    } while (!(e & 0x80u));
    *sum = acc;
#endif
    *pp = p;
}
#endif

#if BINGO_ROWS_BITMASK
BINGO_DOT void bingo_dot_bitmask(const uint8_t **pp, const int8_t *in, uint16_t n_in, int32_t *sum)
{
    const uint8_t *p = *pp;
    int32_t acc = *sum;
    const int8_t *end = in + n_in;
    for (; in < end; in += 8) {
        uint8_t m, w;
        BINGO_RD_NEXT(m, p);
        /* unrolled: a clear bit costs a skipped instruction, not a loop turn */
#define BINGO_BIT(b) if (m & (1u << (b))) { BINGO_RD_NEXT(w, p); BINGO_MAC8(acc, w, in[b]); }
        BINGO_BIT(0); BINGO_BIT(1); BINGO_BIT(2); BINGO_BIT(3);
        BINGO_BIT(4); BINGO_BIT(5); BINGO_BIT(6); BINGO_BIT(7);
    }
    *pp = p;
    *sum = acc; /* not returned: the sum stays in the registers MAC8 adds into */
}
#endif

#if BINGO_ROWS_DENSE
BINGO_DOT void bingo_dot_dense(const uint8_t **pp, const int8_t *in, uint16_t n_in, int32_t *sum)
{
    const uint8_t *p = *pp;
    const int8_t *end = in + n_in;
#ifdef __AVR__
    /* 16 cycles a weight, the products added as in bingo_dot_index, then n_in << 15 off */
    int32_t acc = *sum;
    uint8_t w, x, z, k;
    if (n_in)
        __asm__("clr %[z]\n\t"
                "ldi %[k], 0x80\n\t"
                "1: lpm %[w], Z+\n\t"
                "ld %[x], X+\n\t"
                "muls %[w], %[x]\n\t"
                "add %A[a], r0\n\t"
                "eor r1, %[k]\n\t"
                "adc %B[a], r1\n\t"
                "adc %C[a], %[z]\n\t"
                "adc %D[a], %[z]\n\t"
                "cp r26, %A[end]\n\t"
                "cpc r27, %B[end]\n\t"
                "brne 1b\n\t"
                "clr __zero_reg__"
                : [a] "+l"(acc), [w] "=&a"(w), [x] "=&a"(x), [z] "=&r"(z), [k] "=&d"(k), "+z"(p), "+x"(in)
                : [end] "r"(end));
    BINGO_UNBIAS(acc, (uint16_t)(n_in << 1));
    *sum = acc;
#else
    const int8_t *w = (const int8_t *)p;
    int32_t acc = *sum;
    uint16_t i;
    (void)end;
    /* indexed (Thumb loads take a register offset), two a turn */
    for (i = 0; i + 1u < n_in; i += 2u) acc += (int32_t)(w[i] * in[i]) + w[i + 1u] * in[i + 1u];
    if (i < n_in) acc += w[i] * in[i];
    p += n_in;
    *sum = acc;
#endif
    *pp = p;
}
#endif

#if BINGO_ROWS_GENERIC /* MAM, binary or two-byte indices: only compiled when used */
static void bingo_rows_generic(const bingo_layer_t *L, int8_t *out, const int8_t *in)
{
    const uint8_t *p = L->ent;
    uint16_t r, nsign = 0;
    uint8_t kind = L->flags & (BINGO_MAM | BINGO_BINARY), nzbits = 0;
    for (r = 0; r < L->n_out; r++) {
        int32_t acc = 0;
        int16_t mx = -32767 - 1, mn = 32767;
        if (L->nz) { /* index layout: this row's bit of the bitmap of rows holding weights */
            if (!(r & 7u)) nzbits = bingo_rd_u8(L->nz + (r >> 3));
            else nzbits >>= 1;
        }
        if (!L->nz) { /* bitmask: a mask byte for 8 columns, then their values */
            uint16_t g;
            for (g = 0; g < L->n_in; g += 8) {
                uint8_t m = bingo_rd_u8(p++);
                const int8_t *xp = in + g;
                for (; m; m >>= 1, xp++)
                    if (m & 1u) BINGO_MAC(*xp);
            }
        } else if (nzbits & 1u) { /* index lists */
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
        if (kind == BINGO_MAM && mn != 32767) acc = (int32_t)mx + mn;
        bingo_store(L, out, r, acc + bingo_bias(L, r));
    }
}
#endif

/* Layer L (the k-th) row by row from the codes ``in``. */
static void bingo_rows(const bingo_layer_t *L, uint8_t k, const int8_t *in)
{
    const uint8_t *p = L->ent;
    int8_t *out = bingo_out_of(k);
    uint16_t r;
    uint8_t nzbits = 0;
#if BINGO_ROWS_GENERIC
    if (L->flags & (BINGO_MAM | BINGO_BINARY | BINGO_WIDE)) {
        bingo_rows_generic(L, out, in);
        return;
    }
#endif
    for (r = 0; r < L->n_out; r++) { /* dense layers: the fast loops, each sum starting at the bias */
        int32_t acc = bingo_bias(L, r);
#if BINGO_ROWS_DENSE
        if (L->flags & BINGO_DENSE) bingo_dot_dense(&p, in, L->n_in, &acc);
        else
#endif
#if BINGO_ROWS_BITMASK
        if (L->flags & BINGO_BITMASK) bingo_dot_bitmask(&p, in, L->n_in, &acc);
        else
#endif
        {
#if BINGO_ROWS_INDEX /* this row's bit of the bitmap of rows holding weights */
            if (!(r & 7u)) nzbits = bingo_rd_u8(L->nz + (r >> 3));
            else nzbits >>= 1;
            if (nzbits & 1u) bingo_dot_index(&p, in, &acc);
#endif
        }
        bingo_store(L, out, r, acc);
    }
    (void)p; /* (unused when no fast loop is compiled) */
    (void)nzbits;
}

void bingo_begin(void)
{
#if BINGO_L0_ROWS
    bingo_col = 0;
#else
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
#endif
}

/* The next feature's code t: kept for layer 0's rows, or its column summed now. */
static int bingo_take(uint16_t i, int8_t t)
{
#if BINGO_L0_ROWS
    bingo_buf[BINGO_BUF0 + i] = t;
#else
    (void)i; /* the column cursor knows where it is */
    bingo_column0(t);
#endif
    BINGO_COL++;
    return 0;
}

int bingo_feed(uint16_t i, float x)
{
    int8_t t = 0;
    uint32_t bits;
    if (i != BINGO_COL || i >= BINGO_N_FEATURES) return -1;
#ifdef BINGO_COLSHIFT
    x = x - bingo_rd_f32(bingo_colshift + i); /* a first MAM layer: the mean cannot go into the bias */
#endif
    memcpy(&bits, &x, sizeof bits);
    if (bits << 1) /* not +-0: one float multiply, one conversion */
        t = bingo_code(x * bingo_rd_f32(bingo_colscale + (BINGO_PER_FEATURE ? i : 0u)));
    return bingo_take(i, t);
}

int bingo_feed_u8(uint16_t i, uint8_t x)
{
#if BINGO_INT_MAX > 0
#if BINGO_INT_MAX < 255 /* (with a table of all 256 codes every byte has one) */
    if (x <= BINGO_INT_MAX)
#endif
    { /* the table holds what the float path gives */
        if (i != BINGO_COL || i >= BINGO_N_FEATURES) return -1;
        return bingo_take(i, (int8_t)bingo_rd_u8(bingo_intcode + x));
    }
#endif
    return bingo_feed(i, (float)x);
}

int bingo_finish(void)
{
    bingo_layer_t L;
    uint8_t k;
    uint16_t r;
    int best = 0;
    if (BINGO_COL != BINGO_N_FEATURES) return -1;
#if BINGO_L0_ROWS
    for (k = 0; k < BINGO_N_LAYERS; k++) {
        bingo_rd_copy(&L, &bingo_layers[k], sizeof L);
        bingo_rows(&L, k, k ? bingo_out_buf((uint8_t)(k - 1u)) : bingo_buf + BINGO_BUF0);
    }
#else
    bingo_rd_copy(&L, &bingo_layers[0], sizeof L);
    for (r = 0; r < BINGO_L0_OUT; r++) {
#if BINGO_L0_KIND == BINGO_KIND_MAM
        int32_t v = bingo_mn0[r] == 32767 ? 0 : (int32_t)bingo_mx0[r] + bingo_mn0[r]; /* no weights: 0 */
#else
        int32_t v = bingo_acc0[r];
#endif
        bingo_store(&L, bingo_out_of(0), r, v + bingo_bias(&L, r));
    }
    for (k = 1; k < BINGO_N_LAYERS; k++) {
        bingo_rd_copy(&L, &bingo_layers[k], sizeof L);
        bingo_rows(&L, k, bingo_out_buf((uint8_t)(k - 1u)));
    }
#endif
    BINGO_COL = 0xffffu; /* a new bingo_begin is needed before feeding again */
    for (r = 1; r < BINGO_N_CLASSES; r++)
        if (bingo_score[r] > bingo_score[best]) best = (int)r;
    return best;
}

float bingo_output(uint8_t k) { return k < BINGO_N_CLASSES ? (float)bingo_score[k] * BINGO_SCORE_SCALE : 0.0f; }
