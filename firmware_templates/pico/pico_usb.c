/* pico_usb.c: a USB CDC-ACM serial port on the RP2040's USB controller, polled from the main loop.
 *
 * Registers, DPRAM layout and buffer-control bits are those of the RP2040 datasheet, section 4.1.
 * Endpoint 0 answers the standard and CDC class requests a host makes to open a serial port;
 * endpoint 1 IN is the (unused) notification endpoint CDC-ACM requires; endpoint 2 carries data
 * (64-byte bulk packets each way). USB ids: Raspberry Pi's vendor id with the Pico SDK's CDC
 * product id, so the studio recognises the board. Runs in rp2040js (its USB CDC host); it has
 * not run on a physical Pico here. */
#include "pico_usb.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define DPRAM 0x50100000u
#define USBREGS 0x50110000u
#define ADDR_ENDP (USBREGS + 0x00u)
#define MAIN_CTRL (USBREGS + 0x40u)
#define SIE_CTRL (USBREGS + 0x4cu)
#define SIE_STATUS (USBREGS + 0x50u)
#define BUFF_STATUS (USBREGS + 0x58u)
#define USB_MUXING (USBREGS + 0x74u)
#define USB_PWR (USBREGS + 0x78u)

#define SIE_SETUP_REC (1u << 17)
#define SIE_BUS_RESET (1u << 19)
#define BC_AVAILABLE (1u << 10)
#define BC_DATA1 (1u << 13)
#define BC_FULL (1u << 15)
#define EPC_ENABLE (1u << 31)
#define EPC_INT_PER_BUFFER (1u << 29)
#define EP_BULK 2u
#define EP_INTERRUPT 3u

#define EP0_BUF 0x100u
#define EP1_IN_BUF 0x180u
#define EP2_OUT_BUF 0x1c0u
#define EP2_IN_BUF 0x200u
#define PACKET 64u

static const uint8_t device_desc[18] = {
    18, 1, 0x00, 0x02, 0xef, 0x02, 0x01, PACKET, 0x8a, 0x2e, 0x0a, 0x00, 0x00, 0x01, 1, 2, 0, 1,
};

#define CONFIG_LEN 75u
static const uint8_t config_desc[CONFIG_LEN] = {
    9, 2, CONFIG_LEN, 0, 2, 1, 0, 0x80, 50,        /* configuration: 2 interfaces, bus powered 100 mA */
    8, 11, 0, 2, 2, 2, 0, 0,                        /* interface association: CDC, interfaces 0-1 */
    9, 4, 0, 0, 1, 2, 2, 0, 0,                      /* interface 0: CDC communication, ACM */
    5, 0x24, 0x00, 0x20, 0x01,                      /* CDC header 1.20 */
    5, 0x24, 0x01, 0x00, 1,                         /* call management: data interface 1 */
    4, 0x24, 0x02, 0x02,                            /* ACM: line coding and serial state */
    5, 0x24, 0x06, 0, 1,                            /* union: 0 controls 1 */
    7, 5, 0x81, EP_INTERRUPT, 8, 0, 16,             /* endpoint 1 IN: notifications */
    9, 4, 1, 0, 2, 10, 0, 0, 0,                     /* interface 1: CDC data */
    7, 5, 0x02, EP_BULK, PACKET, 0, 0,              /* endpoint 2 OUT */
    7, 5, 0x82, EP_BULK, PACKET, 0, 0,              /* endpoint 2 IN */
};

static const uint8_t lang_desc[4] = {4, 3, 0x09, 0x04};
static const char *const strings[] = {"BINGO Studio", "BINGO Pico"};

typedef struct {
    uint32_t ctrl;  /* buffer-control register's DPRAM offset */
    uint32_t buf;   /* buffer's DPRAM offset */
    uint8_t data1;  /* next PID is DATA1 */
} endpoint_t;

static endpoint_t ep0_in = {0x80u, EP0_BUF, 1}, ep0_out = {0x84u, EP0_BUF, 1};
static endpoint_t ep2_in = {0x80u + 2u * 8u, EP2_IN_BUF, 0}, ep2_out = {0x84u + 2u * 8u, EP2_OUT_BUF, 0};

static uint8_t string_buf[2 + 2 * 24];
static const uint8_t *ctrl_data;
static uint16_t ctrl_left;
static uint8_t ctrl_had_data, pending_addr, set_addr, configured, dtr, line_coding_expected;
static uint8_t line_coding[7] = {0x00, 0xc2, 0x01, 0x00, 0, 0, 8}; /* 115200 8N1 */

static uint8_t rx_ring[256];
static uint8_t rx_head, rx_tail, out_armed;
static uint8_t tx_buf[PACKET];
static uint8_t tx_len, tx_busy;

static void start(endpoint_t *ep, const uint8_t *data, uint16_t len, int in)
{
    uint32_t v = len | (ep->data1 ? BC_DATA1 : 0u) | (in ? BC_FULL : 0u);
    uint16_t i;
    volatile uint8_t *buf = (volatile uint8_t *)(DPRAM + ep->buf);
    for (i = 0; in && i < len; i++) buf[i] = data[i];
    ep->data1 ^= 1u;
    REG(DPRAM + ep->ctrl) = v;
    /* the controller samples AVAILABLE on its own clock: set it a few cycles after the rest */
    __asm__ volatile("nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop");
    REG(DPRAM + ep->ctrl) = v | BC_AVAILABLE;
}

static void ep0_send_next(void)
{
    uint16_t n = ctrl_left < PACKET ? ctrl_left : PACKET;
    start(&ep0_in, ctrl_data, n, 1);
    ctrl_data += n;
    ctrl_left = (uint16_t)(ctrl_left - n);
}

static void ep0_send(const uint8_t *data, uint16_t len, uint16_t asked)
{
    ctrl_data = data;
    ctrl_left = len < asked ? len : asked;
    ctrl_had_data = ctrl_left > 0;
    ep0_send_next();
}

static void status_in(void) { ep0_send(0, 0, 0); }

static uint16_t string_desc(uint8_t index)
{
    const char *s = strings[index - 1];
    uint16_t n = 0;
    while (s[n] && n < 24) {
        string_buf[2 + 2 * n] = (uint8_t)s[n];
        string_buf[3 + 2 * n] = 0;
        n++;
    }
    string_buf[0] = (uint8_t)(2 + 2 * n);
    string_buf[1] = 3;
    return string_buf[0];
}

static void arm_out(void)
{
    /* a full ring would read as empty: keep one byte free */
    if ((uint8_t)(rx_head - rx_tail) < sizeof rx_ring - PACKET) {
        start(&ep2_out, 0, PACKET, 0);
        out_armed = 1;
    }
}

static void on_setup(void)
{
    volatile uint8_t *p = (volatile uint8_t *)DPRAM;
    uint8_t type = p[0], request = p[1];
    uint16_t value = (uint16_t)(p[2] | (p[3] << 8)), length = (uint16_t)(p[6] | (p[7] << 8));
    ep0_in.data1 = 1;
    ep0_out.data1 = 1;
    if ((type & 0x60u) == 0x00u) { /* standard */
        if (request == 5) {
            pending_addr = (uint8_t)(value & 0x7fu);
            set_addr = 1;
            status_in();
        } else if (request == 6) {
            uint8_t kind = (uint8_t)(value >> 8), index = (uint8_t)value;
            if (kind == 1) ep0_send(device_desc, sizeof device_desc, length);
            else if (kind == 2) ep0_send(config_desc, CONFIG_LEN, length);
            else if (kind == 3 && index == 0) ep0_send(lang_desc, sizeof lang_desc, length);
            else if (kind == 3 && index <= 2) ep0_send(string_buf, string_desc(index), length);
            else status_in();
        } else if (request == 9) {
            configured = 1;
            ep2_in.data1 = ep2_out.data1 = 0;
            REG(DPRAM + 0x08u) = EPC_ENABLE | EPC_INT_PER_BUFFER | (EP_INTERRUPT << 26) | EP1_IN_BUF;
            REG(DPRAM + 0x10u) = EPC_ENABLE | EPC_INT_PER_BUFFER | (EP_BULK << 26) | EP2_IN_BUF;
            REG(DPRAM + 0x14u) = EPC_ENABLE | EPC_INT_PER_BUFFER | (EP_BULK << 26) | EP2_OUT_BUF;
            status_in();
            arm_out();
        } else {
            status_in();
        }
    } else if (request == 0x20) { /* SET_LINE_CODING: 7 bytes follow */
        line_coding_expected = 1;
        start(&ep0_out, 0, PACKET, 0);
    } else if (request == 0x21) {
        ep0_send(line_coding, sizeof line_coding, length);
    } else {
        if (request == 0x22) dtr = (uint8_t)(value & 1u);
        status_in();
    }
}

void usb_cdc_init(void)
{
    uint32_t i;
    for (i = 0; i < 4096u; i += 4u) REG(DPRAM + i) = 0;
    REG(USB_MUXING) = (1u << 0) | (1u << 3);   /* to the PHY, soft connect */
    REG(USB_PWR) = (1u << 2) | (1u << 3);      /* VBUS present (the Pico has no VBUS detect pin wired) */
    REG(MAIN_CTRL) = 1u;                        /* controller on, device mode */
    REG(SIE_CTRL) = (1u << 29) | (1u << 16);    /* EP0 interrupt per buffer; D+ pull-up: attach */
}

void usb_cdc_poll(void)
{
    uint32_t sie = REG(SIE_STATUS), done;
    if (sie & SIE_BUS_RESET) {
        REG(SIE_STATUS) = SIE_BUS_RESET;
        REG(ADDR_ENDP) = 0;
        configured = dtr = tx_busy = out_armed = 0;
    }
    if (sie & SIE_SETUP_REC) {
        REG(SIE_STATUS) = SIE_SETUP_REC;
        on_setup();
    }
    done = REG(BUFF_STATUS);
    if (!done) return;
    REG(BUFF_STATUS) = done;
    if (done & (1u << 0)) { /* EP0 IN finished */
        if (set_addr) {
            REG(ADDR_ENDP) = pending_addr;
            set_addr = 0;
        }
        if (ctrl_left) ep0_send_next();
        else if (ctrl_had_data) {
            ctrl_had_data = 0;
            start(&ep0_out, 0, 0, 0); /* the host's zero-length status packet */
        }
    }
    if (done & (1u << 1) && line_coding_expected) { /* EP0 OUT: the line coding */
        volatile uint8_t *b = (volatile uint8_t *)(DPRAM + EP0_BUF);
        uint8_t i;
        for (i = 0; i < sizeof line_coding; i++) line_coding[i] = b[i];
        line_coding_expected = 0;
        status_in();
    }
    if (done & (1u << 4)) tx_busy = 0;
    if (done & (1u << 5)) { /* EP2 OUT: data from the host */
        uint32_t n = REG(DPRAM + ep2_out.ctrl) & 0x3ffu, i;
        volatile uint8_t *b = (volatile uint8_t *)(DPRAM + EP2_OUT_BUF);
        for (i = 0; i < n; i++) rx_ring[rx_head++] = b[i];
        out_armed = 0;
        arm_out();
    }
}

int usb_cdc_connected(void) { return configured && dtr; }

int usb_cdc_getc(void)
{
    int c;
    if (rx_head == rx_tail) return -1;
    c = rx_ring[rx_tail++];
    if (!out_armed && configured) arm_out();
    return c;
}

void usb_cdc_flush(void)
{
    if (!tx_len) return;
    while (tx_busy && configured) usb_cdc_poll();
    if (!configured) {
        tx_len = 0;
        return;
    }
    tx_busy = 1;
    start(&ep2_in, tx_buf, tx_len, 1);
    tx_len = 0;
}

void usb_cdc_putc(uint8_t c)
{
    tx_buf[tx_len++] = c;
    if (tx_len == PACKET) usb_cdc_flush();
}
