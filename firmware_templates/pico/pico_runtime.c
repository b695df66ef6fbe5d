/* pico_runtime.c: the simulated Pico's bare-metal runtime (RP2040, Cortex-M0+, no SDK).
 *
 * Vector table, reset handler (copy .data, zero .bss), UART0 for the line protocol and the
 * microsecond timer for its "pred ... <us>" field. UART0 is polled: a byte waits in the UART's
 * receive FIFO while the model computes, so no interrupt ever lands inside an inference and the
 * simulator's cycle counts are exact. The protocol marks each stretch of model compute by writing
 * BINGO_MARK_ADDR (a watchdog scratch register the simulator watches; see bingo_protocol.c).
 *
 * The image also carries a boot2 and sets UART0 up as a real RP2040 needs (peripheral clock from
 * the crystal, 115200 baud on GP0/GP1); that path has not run on a board here. */
#include <stdint.h>

#include "bingo_model.h"
#include "bingo_protocol.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define RESETS_BASE 0x4000c000u
#define RESETS_RESET_CLR (RESETS_BASE + 0x3000u + 0x0u) /* atomic clear alias of RESET */
#define RESETS_DONE (RESETS_BASE + 0x8u)
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_TIMER (1u << 21)
#define RESET_UART0 (1u << 22)

#define XOSC_CTRL 0x40024000u
#define XOSC_STATUS 0x40024004u
#define XOSC_STARTUP 0x4002400cu
#define XOSC_STABLE (1u << 31)
#define CLOCKS_BASE 0x40008000u
#define CLK_PERI_CTRL (CLOCKS_BASE + 0x48u)
#define CLK_PERI_ENABLE (1u << 11)
#define CLK_PERI_AUXSRC_XOSC (4u << 5)
#define WATCHDOG_TICK 0x4005802cu
#define IO_BANK0_GPIO_CTRL(n) (0x40014000u + 8u * (n) + 4u)
#define GPIO_FUNC_UART 2u

#define UART0_BASE 0x40034000u
#define UART_DR (UART0_BASE + 0x00u)
#define UART_FR (UART0_BASE + 0x18u)
#define UART_IBRD (UART0_BASE + 0x24u)
#define UART_FBRD (UART0_BASE + 0x28u)
#define UART_LCR_H (UART0_BASE + 0x2cu)
#define UART_CR (UART0_BASE + 0x30u)
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFF (1u << 5)

#define TIMER_TIMERAWL 0x40054028u

#define XOSC_HZ 12000000u
#define BAUD 115200u

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
int main(void);

static void uart_put(void *ctx, char c)
{
    (void)ctx;
    while (REG(UART_FR) & UART_FR_TXFF) {
    }
    REG(UART_DR) = (uint8_t)c;
}

static uint32_t clock_us(void) { return REG(TIMER_TIMERAWL); }

static void hardware_init(void)
{
    uint32_t div64;
    /* the 12 MHz crystal drives clk_peri (the UART's baud rate) and, through the watchdog's
     * tick, the 1 us timer; clk_sys stays on the ring oscillator (the simulator runs 125 MHz) */
    REG(XOSC_STARTUP) = (XOSC_HZ / 1000u + 128u) / 256u; /* about 1 ms to stabilise */
    REG(XOSC_CTRL) = (0xfabu << 12) | 0xaa0u;            /* enable, 1-15 MHz range */
    while (!(REG(XOSC_STATUS) & XOSC_STABLE)) {
    }
    REG(CLK_PERI_CTRL) = CLK_PERI_ENABLE | CLK_PERI_AUXSRC_XOSC;
    REG(WATCHDOG_TICK) = (1u << 9) | (XOSC_HZ / 1000000u);
    REG(RESETS_RESET_CLR) = RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_TIMER | RESET_UART0;
    while ((REG(RESETS_DONE) & (RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_TIMER | RESET_UART0)) !=
           (RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_TIMER | RESET_UART0)) {
    }
    div64 = (8u * XOSC_HZ + BAUD) / (2u * BAUD); /* 64 * clk / (16 * baud), rounded */
    REG(UART_IBRD) = div64 >> 6;
    REG(UART_FBRD) = div64 & 0x3fu;
    REG(UART_LCR_H) = (3u << 5) | (1u << 4); /* 8 data bits, FIFOs on */
    REG(UART_CR) = (1u << 0) | (1u << 8) | (1u << 9); /* UART, TX and RX enabled */
    REG(IO_BANK0_GPIO_CTRL(0)) = GPIO_FUNC_UART; /* GP0 TX */
    REG(IO_BANK0_GPIO_CTRL(1)) = GPIO_FUNC_UART; /* GP1 RX */
}

static bingo_proto_t proto;

int main(void)
{
    hardware_init();
    bingo_proto_init(&proto, uart_put, 0, clock_us);
    bingo_proto_ready(&proto);
    for (;;) {
        if (!(REG(UART_FR) & UART_FR_RXFE)) bingo_proto_byte(&proto, (uint8_t)REG(UART_DR));
    }
}

void bingo_reset(void)
{
    uint32_t *src = &__data_load, *dst;
    for (dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    main();
    for (;;) {
    }
}

static void bingo_fault(void)
{
    for (;;) {
    }
}

/* Cortex-M0+ core exceptions; the RP2040's 32 interrupts stay disabled and are not listed. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&__stack_top), bingo_reset, bingo_fault, bingo_fault, 0, 0, 0, 0, 0, 0, 0,
    bingo_fault, 0, 0, bingo_fault, bingo_fault,
};
