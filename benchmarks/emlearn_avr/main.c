/* Bare-metal main for the simulated ATmega1284P: UART0 polled at 115200 baud (U2X), bytes to the
 * line protocol, replies back out. */
#include <avr/io.h>

#include "bingo_protocol.h"

static void put_byte(void *ctx, char c)
{
    (void)ctx;
    while (!(UCSR0A & (1 << UDRE0))) {
    }
    UDR0 = (uint8_t)c;
}

int main(void)
{
    bingo_proto_t p;
    UBRR0 = 16; /* 16 MHz, U2X: 117647 baud */
    UCSR0A = 1 << U2X0;
    UCSR0B = (1 << RXEN0) | (1 << TXEN0);
    UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
    bingo_proto_init(&p, put_byte, 0, 0);
    bingo_proto_ready(&p);
    for (;;) {
        if (UCSR0A & (1 << RXC0)) bingo_proto_byte(&p, UDR0);
    }
}
