/* pico_runtime.c: the simulated Pico's bare-metal runtime (RP2040, Cortex-M0+, no SDK).
 *
 * Vector table, reset handler (copy .data, zero .bss), UART0 for the line protocol and the
 * microsecond timer for its "pred ... <us>" field. UART0 is polled: a byte waits in the UART's
 * receive FIFO while the model computes, so no interrupt ever lands inside an inference and the
 * simulator's cycle counts are exact. The protocol marks each stretch of model compute by writing
 * BINGO_MARK_ADDR (a watchdog scratch register the simulator watches; see bingo_protocol.c).
 * Built with -DBINGO_PICO_USB the serial port is the Pico's own USB (pico_usb.c) instead of UART0.
 *
 * The image also carries a boot2 and sets the clocks up as a real RP2040 needs (clk_sys 125 MHz
 * from the crystal through PLL_SYS, clk_peri 12 MHz for UART0 at 115200 baud on GP0/GP1, clk_usb
 * 48 MHz); that path has only run in the emulator, not on a board. */
#include <stdint.h>

#include "bingo_model.h"
#include "bingo_protocol.h"
#ifdef BINGO_PICO_USB
#include "pico_usb.h"
#endif

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

#define RESET_PLL_SYS (1u << 12)
#define RESET_PLL_USB (1u << 13)
#define RESET_USBCTRL (1u << 24)
#define PLL_SYS_BASE 0x40028000u
#define PLL_USB_BASE 0x4002c000u
#define PLL_CS 0x0u
#define PLL_PWR_CLR (0x3000u + 0x4u)
#define PLL_FBDIV_INT 0x8u
#define PLL_PRIM 0xcu
#define PLL_LOCK (1u << 31)
#define CLK_REF_CTRL (CLOCKS_BASE + 0x30u)
#define CLK_REF_SELECTED (CLOCKS_BASE + 0x38u)
#define CLK_SYS_CTRL (CLOCKS_BASE + 0x3cu)
#define CLK_SYS_SELECTED (CLOCKS_BASE + 0x44u)
#define CLK_USB_CTRL (CLOCKS_BASE + 0x54u)
#define CLK_USB_DIV (CLOCKS_BASE + 0x58u)

#define TIMER_TIMERAWL 0x40054028u

#define XOSC_HZ 12000000u
#define BAUD 115200u

/* Mark 5 (after the protocol's 1-4): all input so far is handled. The simulator pauses there
 * until the host sends more; on a board it is a store to a scratch register. */
#define MARK_WAITING() (REG(BINGO_MARK_ADDR) = 5u)

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
int main(void);

/* A PLL from the 12 MHz crystal: 12 MHz x fbdiv / post1 / post2 (datasheet 2.18.2) */
static void pll_init(uint32_t base, uint32_t reset, uint32_t fbdiv, uint32_t post1, uint32_t post2)
{
    REG(RESETS_RESET_CLR) = reset;
    while (!(REG(RESETS_DONE) & reset)) {
    }
    REG(base + PLL_CS) = 1u; /* reference divider 1 */
    REG(base + PLL_FBDIV_INT) = fbdiv;
    REG(base + PLL_PWR_CLR) = (1u << 0) | (1u << 5); /* power up the PLL and its VCO */
    while (!(REG(base + PLL_CS) & PLL_LOCK)) {
    }
    REG(base + PLL_PRIM) = (post1 << 16) | (post2 << 12);
    REG(base + PLL_PWR_CLR) = 1u << 3; /* power up the post dividers */
}

#ifndef BINGO_PICO_USB
static void uart_put(void *ctx, char c)
{
    (void)ctx;
    while (REG(UART_FR) & UART_FR_TXFF) {
    }
    REG(UART_DR) = (uint8_t)c;
}
#else
static void usb_put(void *ctx, char c)
{
    (void)ctx;
    usb_cdc_putc((uint8_t)c);
    if (c == '\n') usb_cdc_flush(); /* every reply is one line */
}

/* clk_usb = 48 MHz from PLL_USB: 12 MHz x 64 = 768 MHz VCO, / 4 / 4 (datasheet 2.18.2) */
static void usb_clock_init(void)
{
    pll_init(PLL_USB_BASE, RESET_PLL_USB, 64u, 4u, 4u);
    REG(CLK_USB_DIV) = 1u << 8;
    REG(CLK_USB_CTRL) = 1u << 11; /* enabled, from PLL_USB */
    REG(RESETS_RESET_CLR) = RESET_USBCTRL;
    while (!(REG(RESETS_DONE) & RESET_USBCTRL)) {
    }
}
#endif

static uint32_t clock_us(void) { return REG(TIMER_TIMERAWL); }

static void hardware_init(void)
{
    uint32_t div64;
    /* the 12 MHz crystal drives clk_peri (the UART's baud rate) and, through the watchdog's
     * tick, the 1 us timer */
    REG(XOSC_STARTUP) = (XOSC_HZ / 1000u + 128u) / 256u; /* about 1 ms to stabilise */
    REG(XOSC_CTRL) = (0xfabu << 12) | 0xaa0u;            /* enable, 1-15 MHz range */
    while (!(REG(XOSC_STATUS) & XOSC_STABLE)) {
    }
    /* clk_ref from the crystal; clk_sys = 125 MHz (the simulator's clock) from PLL_SYS:
     * 12 MHz x 125 = 1500 MHz VCO, / 6 / 2 */
    REG(CLK_REF_CTRL) = 2u;
    while (!(REG(CLK_REF_SELECTED) & (1u << 2))) {
    }
    pll_init(PLL_SYS_BASE, RESET_PLL_SYS, 125u, 6u, 2u);
    REG(CLK_SYS_CTRL) = 1u; /* from its auxiliary source, PLL_SYS */
    while (!(REG(CLK_SYS_SELECTED) & (1u << 1))) {
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

/* Which serial port this image talks on, for the simulator to find in the flash image. */
#ifdef BINGO_PICO_USB
__attribute__((section(".bingo_tag"), used)) static const char serial_tag[] = "bingo-pico-serial=usb";
#else
__attribute__((section(".bingo_tag"), used)) static const char serial_tag[] = "bingo-pico-serial=uart";
#endif

static bingo_proto_t proto;

int main(void)
{
    hardware_init();
#ifdef BINGO_PICO_USB
    /* the ready line waits until a host opens the port (DTR), as it would be lost before */
    usb_clock_init();
    usb_cdc_init();
    while (!usb_cdc_connected()) usb_cdc_poll();
    bingo_proto_init(&proto, usb_put, 0, clock_us);
    bingo_proto_ready(&proto);
    for (;;) {
        int c;
        usb_cdc_poll();
        c = usb_cdc_getc();
        if (c >= 0) bingo_proto_byte(&proto, (uint8_t)c);
        else MARK_WAITING();
    }
#else
    bingo_proto_init(&proto, uart_put, 0, clock_us);
    bingo_proto_ready(&proto);
    for (;;) {
        if (!(REG(UART_FR) & UART_FR_RXFE)) bingo_proto_byte(&proto, (uint8_t)REG(UART_DR));
        else MARK_WAITING();
    }
#endif
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
