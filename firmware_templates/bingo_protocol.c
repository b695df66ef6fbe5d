/* bingo_protocol.c: incremental parser of feature lines for the serial protocol (see the .h). */
#include "bingo_protocol.h"

#include <float.h>

#include "bingo_model.h"

/* The simulated Uno counts cycles between GPIOR0 = 1 and GPIOR0 = 2 (every stretch of model
 * compute of a line); GPIOR0 = 3 marks the end of an inference, GPIOR0 = 4 a line given up with
 * an error (its stretches are not an inference). Build with
 * -DBINGO_EXACT_CYCLES to also keep interrupts off in those stretches: exact counts in the
 * simulator, but a real Uno may then drop received bytes while a dense column is computed. */
#ifdef __AVR__
#include <avr/interrupt.h>
#include <avr/io.h>
#ifdef BINGO_EXACT_CYCLES
#define BINGO_MARK_BEGIN() do { cli(); GPIOR0 = 1; } while (0)
#define BINGO_MARK_END() do { GPIOR0 = 2; sei(); } while (0)
#else
#define BINGO_MARK_BEGIN() do { GPIOR0 = 1; } while (0)
#define BINGO_MARK_END() do { GPIOR0 = 2; } while (0)
#endif
#define BINGO_MARK_DONE() do { GPIOR0 = 3; } while (0)
#define BINGO_MARK_ABANDON() do { GPIOR0 = 4; } while (0)
#elif defined(BINGO_MARK_ADDR)
/* The same four marks as a store to a register the simulator watches (the simulated Pico's). */
#define BINGO_MARK(v) do { *(volatile uint32_t *)(BINGO_MARK_ADDR) = (v); } while (0)
#define BINGO_MARK_BEGIN() BINGO_MARK(1u)
#define BINGO_MARK_END() BINGO_MARK(2u)
#define BINGO_MARK_DONE() BINGO_MARK(3u)
#define BINGO_MARK_ABANDON() BINGO_MARK(4u)
#else
#define BINGO_MARK_BEGIN() do { } while (0)
#define BINGO_MARK_END() do { } while (0)
#define BINGO_MARK_DONE() do { } while (0)
#define BINGO_MARK_ABANDON() do { } while (0)
#endif

enum { KIND_BLANK, KIND_WORD, KIND_DATA };
enum { S_LEAD, S_SIGN, S_INT, S_DOT, S_FRAC, S_EXP, S_ESIGN, S_EDIG, S_TRAIL };
enum { F_NEG = 1, F_ENEG = 2, F_DIGITS = 4 };
enum {
    E_NONE,
    E_EMPTY_LINE,
    E_COMMAND,
    E_NAN,
    E_RANGE,
    E_NUM_LONG,
    E_EMPTY_VALUE,
    E_BYTE,
    E_MANY,
    E_FEW,
    E_LINE_LONG
};

#define MAX_DIGITS 9 /* significant digits kept: 999999999 < 2^32 */

static const char s_ready[] BINGO_ROM = "ready ";
static const char s_pred[] BINGO_ROM = "pred ";
static const char s_info[] BINGO_ROM = "info ";
static const char s_err[] BINGO_ROM = "err ";
static const char s_value[] BINGO_ROM = "value ";
static const char s_empty_line[] BINGO_ROM = "empty line";
static const char s_command[] BINGO_ROM = "unknown command (send info, or N comma-separated numbers)";
static const char s_nan[] BINGO_ROM = " is not a number";
static const char s_range[] BINGO_ROM = " is out of range";
static const char s_num_long[] BINGO_ROM = " is too long";
static const char s_empty_value[] BINGO_ROM = " is empty";
static const char s_byte[] BINGO_ROM = "bad byte (not ASCII text)";
static const char s_many[] BINGO_ROM = "too many values, expected ";
static const char s_few[] BINGO_ROM = "too few values, got ";
static const char s_expected[] BINGO_ROM = ", expected ";
static const char s_line_long[] BINGO_ROM = "line too long";
static const char s_cmd_info[] BINGO_ROM = "info";

static void put_rom(bingo_proto_t *p, const char *s)
{
    char c;
    while ((c = (char)bingo_rd_u8(s)) != '\0') {
        p->put(p->ctx, c);
        s++;
    }
}

static void put_uint(bingo_proto_t *p, uint32_t v)
{
    char digits[10];
    uint8_t n = 0;
    do {
        digits[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v);
    while (n) p->put(p->ctx, digits[--n]);
}

static void put_label(bingo_proto_t *p, int k)
{
    const char *s = bingo_labels;
    while (k-- > 0)
        while (bingo_rd_u8(s++) != 0) {
        }
    put_rom(p, s);
}

static void new_number(bingo_proto_t *p)
{
    p->state = S_LEAD;
    p->flags = 0;
    p->mant = 0;
    p->ndig = 0;
    p->exp10 = 0;
    p->eval = 0;
    p->tok_len = 0;
}

static void new_line(bingo_proto_t *p)
{
    p->line_len = 0;
    p->us = 0;
    p->n = 0;
    p->err = E_NONE;
    p->err_at = 0;
    p->kind = KIND_BLANK;
    p->cmd_len = 0;
    new_number(p);
}

void bingo_proto_init(bingo_proto_t *p, bingo_put_fn put, void *ctx, bingo_clock_fn clock)
{
    p->put = put;
    p->ctx = ctx;
    p->clock = clock;
    p->prev_cr = 0;
    new_line(p);
}

void bingo_proto_ready(bingo_proto_t *p)
{
    put_rom(p, s_ready);
    put_rom(p, bingo_name);
    p->put(p->ctx, ' ');
    put_uint(p, BINGO_N_FEATURES);
    p->put(p->ctx, '\n');
}

static void fail(bingo_proto_t *p, uint8_t e)
{
    if (p->err == E_NONE) {
        p->err = e;
        p->err_at = (uint16_t)(p->n + 1u);
    }
}

static uint32_t now(bingo_proto_t *p) { return p->clock ? p->clock() : 0u; }

/* Value of the finished number, or 0 with an error set. */
static float number_value(bingo_proto_t *p)
{
    int16_t e = (int16_t)(p->exp10 + ((p->flags & F_ENEG) ? -p->eval : p->eval));
    float v = (float)p->mant;
    float scale = 1.0f;
    int16_t k;
    if (p->mant == 0) return 0.0f;
    if (e > 0) {
        if (e > 39) {
            fail(p, E_RANGE);
            return 0.0f;
        }
        for (k = 0; k < e; k++) scale *= 10.0f;
        v = v * scale;
        if (!(v <= FLT_MAX)) {
            fail(p, E_RANGE);
            return 0.0f;
        }
    } else if (e < 0) {
        if (e < -60) return 0.0f; /* below the smallest float: 0 */
        /* 10^k is exact in float up to k = 10, so short decimals divide once and round once */
        for (k = 0; k < -e && k < 38; k++) scale *= 10.0f;
        v = v / scale;
        for (; k < -e; k++) v = v / 10.0f;
    }
    return (p->flags & F_NEG) ? -v : v;
}

/* whole: v is a whole number 0..255 (what integer firmware reads from a table), else -1 */
static void feed_value(bingo_proto_t *p, float v, int16_t whole)
{
    uint32_t t0;
    if (p->n >= BINGO_N_FEATURES) {
        fail(p, E_MANY);
        return;
    }
    t0 = now(p);
    BINGO_MARK_BEGIN();
    if (p->n == 0) bingo_begin();
    if (whole >= 0)
        bingo_feed_u8(p->n, (uint8_t)whole);
    else
        bingo_feed(p->n, v);
    BINGO_MARK_END();
    p->us += now(p) - t0;
    p->n++;
}

/* A separator or the end of the line closes the current value. */
static void end_value(bingo_proto_t *p)
{
    float v;
    uint8_t s = p->state;
    if (p->err) return;
    if (s == S_LEAD) {
        fail(p, E_EMPTY_VALUE);
        return;
    }
    if (!(p->flags & F_DIGITS) || s == S_SIGN || s == S_EXP || s == S_ESIGN) {
        fail(p, E_NAN);
        return;
    }
#if !BINGO_FMT_FLOAT32 /* integer firmware takes a whole number 0..255 as it is (pixels: a table) */
    if (!(p->flags & F_NEG) && p->mant <= 255u && p->exp10 + ((p->flags & F_ENEG) ? -p->eval : p->eval) == 0) {
        feed_value(p, 0.0f, (int16_t)p->mant);
        new_number(p);
        return;
    }
#endif
    v = number_value(p);
    if (p->err) return;
    feed_value(p, v, -1);
    new_number(p);
}

static void digit(bingo_proto_t *p, uint8_t d, uint8_t frac)
{
    p->flags |= F_DIGITS;
    if (p->mant == 0 && d == 0) {
        if (frac) p->exp10--;
        return;
    }
    if (p->ndig < MAX_DIGITS) {
        p->mant = p->mant * 10u + d;
        p->ndig++;
        if (frac) p->exp10--;
    } else if (!frac) {
        p->exp10++; /* digits past the 9th only scale an integer part */
    }
}

/* One byte of a value (anything but ',' and the line end). */
static void number_byte(bingo_proto_t *p, uint8_t c)
{
    uint8_t s = p->state;
    uint8_t is_digit = c >= '0' && c <= '9';
    if (++p->tok_len > BINGO_PROTO_NUMBER_MAX) {
        fail(p, E_NUM_LONG);
        return;
    }
    if (c == ' ' || c == '\t') {
        if (s == S_LEAD || s == S_TRAIL) return;
        if (s == S_INT || s == S_FRAC || s == S_EDIG || (s == S_DOT && (p->flags & F_DIGITS))) {
            p->state = S_TRAIL;
            return;
        }
        fail(p, E_NAN);
        return;
    }
    switch (s) {
    case S_LEAD:
        if (c == '-' || c == '+') {
            if (c == '-') p->flags |= F_NEG;
            p->state = S_SIGN;
            return;
        }
        /* fall through */
    case S_SIGN:
    case S_INT:
        if (is_digit) {
            digit(p, (uint8_t)(c - '0'), 0);
            p->state = S_INT;
            return;
        }
        if (c == '.') {
            p->state = S_DOT;
            return;
        }
        if ((c == 'e' || c == 'E') && s == S_INT) {
            p->state = S_EXP;
            return;
        }
        break;
    case S_DOT:
    case S_FRAC:
        if (is_digit) {
            digit(p, (uint8_t)(c - '0'), 1);
            p->state = S_FRAC;
            return;
        }
        if ((c == 'e' || c == 'E') && (p->flags & F_DIGITS)) {
            p->state = S_EXP;
            return;
        }
        break;
    case S_EXP:
        if (c == '-' || c == '+') {
            if (c == '-') p->flags |= F_ENEG;
            p->state = S_ESIGN;
            return;
        }
        /* fall through */
    case S_ESIGN:
    case S_EDIG:
        if (is_digit) {
            if (p->eval < 1000) p->eval = (int16_t)(p->eval * 10 + (c - '0'));
            p->state = S_EDIG;
            return;
        }
        break;
    default:
        break;
    }
    fail(p, E_NAN);
}

static uint8_t is_letter(uint8_t c) { return (uint8_t)((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z'); }

static uint8_t word_is(const bingo_proto_t *p, const char *rom_word)
{
    uint8_t i;
    for (i = 0; i < p->cmd_len; i++)
        if (p->cmd[i] != (char)bingo_rd_u8(rom_word + i)) return 0;
    return bingo_rd_u8(rom_word + i) == 0;
}

static void put_error(bingo_proto_t *p)
{
    put_rom(p, s_err);
    switch (p->err) {
    case E_EMPTY_LINE:
        put_rom(p, s_empty_line);
        break;
    case E_COMMAND:
        put_rom(p, s_command);
        break;
    case E_BYTE:
        put_rom(p, s_byte);
        break;
    case E_LINE_LONG:
        put_rom(p, s_line_long);
        break;
    case E_MANY:
        put_rom(p, s_many);
        put_uint(p, BINGO_N_FEATURES);
        break;
    case E_FEW:
        put_rom(p, s_few);
        put_uint(p, p->n);
        put_rom(p, s_expected);
        put_uint(p, BINGO_N_FEATURES);
        break;
    default:
        put_rom(p, s_value);
        put_uint(p, p->err_at);
        put_rom(p, p->err == E_RANGE      ? s_range
                   : p->err == E_NUM_LONG ? s_num_long
                   : p->err == E_EMPTY_VALUE ? s_empty_value
                                             : s_nan);
        break;
    }
    p->put(p->ctx, '\n');
}

static void end_line(bingo_proto_t *p)
{
    if (p->kind == KIND_BLANK) {
        fail(p, E_EMPTY_LINE);
    } else if (p->kind == KIND_WORD && !p->err) {
        if (word_is(p, s_cmd_info)) {
            put_rom(p, s_info);
            put_rom(p, bingo_info);
            p->put(p->ctx, '\n');
            new_line(p);
            return;
        }
        fail(p, E_COMMAND);
    } else if (!p->err) {
        end_value(p);
        if (!p->err && p->n < BINGO_N_FEATURES) fail(p, E_FEW);
    }
    if (p->err) {
        if (p->n) BINGO_MARK_ABANDON();
        put_error(p);
    } else {
        uint32_t t0 = now(p);
        int cls;
        BINGO_MARK_BEGIN();
        cls = bingo_finish();
        BINGO_MARK_END();
        p->us += now(p) - t0;
        BINGO_MARK_DONE();
        put_rom(p, s_pred);
        put_uint(p, (uint32_t)cls);
        p->put(p->ctx, ' ');
        put_label(p, cls);
        p->put(p->ctx, ' ');
        put_uint(p, p->us);
        p->put(p->ctx, '\n');
    }
    new_line(p);
}

void bingo_proto_byte(bingo_proto_t *p, uint8_t c)
{
    if (c == '\n' || c == '\r') {
        uint8_t after_cr = p->prev_cr && c == '\n';
        p->prev_cr = c == '\r';
        if (!after_cr) end_line(p);
        return;
    }
    p->prev_cr = 0;
    if (++p->line_len > BINGO_PROTO_LINE_MAX) fail(p, E_LINE_LONG);
    if (c >= 0x80u || (c < 0x20u && c != '\t')) fail(p, E_BYTE);
    if (p->err) return;
    if (p->kind == KIND_BLANK) {
        if (c == ' ' || c == '\t') return;
        p->kind = is_letter(c) ? KIND_WORD : KIND_DATA;
    }
    if (p->kind == KIND_WORD) {
        if (is_letter(c)) {
            /* state counts as "a space ended the word": "in fo" is no command */
            if (p->cmd_len < sizeof p->cmd && p->state == S_LEAD) p->cmd[p->cmd_len++] = (char)(c | 0x20u);
            else fail(p, E_COMMAND);
            return;
        }
        if (c == ' ' || c == '\t') {
            p->state = S_TRAIL; /* "info " */
            return;
        }
        /* letters then something else: a data line whose first value is not a number */
        p->kind = KIND_DATA;
        fail(p, E_NAN);
        return;
    }
    if (c == ',') {
        end_value(p);
        return;
    }
    number_byte(p, c);
}
