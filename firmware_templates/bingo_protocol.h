/* bingo_protocol.h: the serial line protocol, in plain C (no Arduino) so the host can test it.
 *
 * The board reads bytes one at a time and answers every line with exactly one line, ended by
 * "\n" (a line ends at "\n", "\r" or "\r\n"):
 *   on boot            ready <model name> <number of features>
 *   x1,x2,...,xN       pred <class index> <label> <microseconds of model compute>
 *   info               info model=... dataset=... features=N classes=K labels=a,b,... ...
 *   anything else      err <reason>            (then it keeps answering)
 * Values are decimal numbers ([+-]digits[.digits][e[+-]digits], spaces around them allowed),
 * parsed while they arrive and fed to the model at once, so no line is ever buffered.
 */
#ifndef BINGO_PROTOCOL_H
#define BINGO_PROTOCOL_H

#include <stdint.h>

#include "bingo_model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BINGO_PROTO_NUMBER_MAX 40 /* characters in one value, spaces included */
/* Longest accepted line: generous for N numbers, bounded so a stream without newline ends. */
#define BINGO_PROTO_LINE_MAX (48UL * BINGO_N_FEATURES + 64UL)

typedef void (*bingo_put_fn)(void *ctx, char c);
typedef uint32_t (*bingo_clock_fn)(void); /* microseconds, may wrap; NULL reports 0 */

typedef struct {
    bingo_put_fn put;
    void *ctx;
    bingo_clock_fn clock;
    uint32_t line_len; /* bytes of the current line */
    uint32_t us;       /* model compute time of the current line */
    uint32_t mant;     /* significant digits of the current number */
    int16_t exp10;     /* decimal exponent implied by the digits */
    int16_t eval;      /* written exponent */
    uint16_t n;        /* values fed so far */
    uint16_t err_at;   /* 1-based value the error is about */
    uint8_t err;       /* first error of the line, 0: none */
    uint8_t kind;      /* line so far: blank, command word, or data */
    uint8_t state;     /* number parser state */
    uint8_t flags;     /* sign, exponent sign, digits seen */
    uint8_t ndig;      /* significant digits in mant */
    uint8_t tok_len;
    uint8_t prev_cr;
    uint8_t cmd_len;
    char cmd[8];
} bingo_proto_t;

void bingo_proto_init(bingo_proto_t *p, bingo_put_fn put, void *ctx, bingo_clock_fn clock);
/* Prints the ready line. */
void bingo_proto_ready(bingo_proto_t *p);
/* Takes one received byte; prints a reply when it ends a line. */
void bingo_proto_byte(bingo_proto_t *p, uint8_t c);

#ifdef __cplusplus
}
#endif

#endif /* BINGO_PROTOCOL_H */
