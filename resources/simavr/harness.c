/*
 * Simulated Arduino Uno on pipes, for BINGO Studio (built on demand by bingo_studio/firmware/simulator.py).
 *
 *   harness FIRMWARE.elf [MCU] [F_CPU] [realtime]
 *
 * Runs the firmware in simavr (default atmega328p at 16 MHz), as fast as the host can, or with
 * "realtime" never ahead of the wall clock (a board left open in the GUI then idles politely). UART0 output goes to stdout; bytes
 * read from stdin are fed to UART0's input whenever its receive FIFO can take them.
 *
 * Cycle counts: the firmware writes GPIOR0 = 1 / 2 around each stretch of model compute (the
 * first layer runs while values arrive, so one inference is several stretches) and GPIOR0 = 3
 * when the inference is done: the harness then prints "cycles N" on stderr, N = the stretches'
 * CPU cycles summed. GPIOR0 = 4 drops the stretches of an abandoned line; so does a reply line
 * ('\n' sent) that no 3 preceded, which is how an "err" reply looks from here.
 *
 * Exits after stdin closes and the UART has been quiet for a simulated second, or when the
 * firmware stops.
 *
 * Why not the `simavr` program: it cannot take UART input and reports no cycle counts, and its
 * uart_pty part always creates the fixed symlink /tmp/simavr-uart0 (collides between runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <simavr/avr_uart.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_io.h>
#include <simavr/sim_irq.h>

#define GPIOR0_DATA_ADDR 0x3E /* I/O 0x1E on the ATmega328P */
#define POLL_EVERY 2048       /* instructions between looks at stdin */

static avr_t *avr;
static avr_irq_t *uart_in;
static int uart_full = 1;     /* no input until the UART signals XON */
static unsigned char inbuf[4096];
static size_t in_len, in_pos;
static avr_cycle_count_t last_output, stretch_start, inference_cycles;
static int in_stretch, done_before_reply;

static void feed_uart(void)
{
	while (!uart_full && in_pos < in_len)
		avr_raise_irq(uart_in, inbuf[in_pos++]);
}

static void on_uart_output(struct avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq; (void)param;
	putchar((int)(value & 0xff));
	if ((value & 0xff) == '\n') {
		fflush(stdout);
		if (!done_before_reply && !in_stretch)
			inference_cycles = 0; /* an err/info reply: that line's stretches count for nothing */
		done_before_reply = 0;
	}
	last_output = avr->cycle;
}

static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq; (void)value; (void)param;
	uart_full = 0;
	feed_uart();
}

static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq; (void)value; (void)param;
	uart_full = 1;
}

static void on_gpior0_write(struct avr_t *a, avr_io_addr_t addr, uint8_t v, void *param)
{
	(void)param;
	a->data[addr] = v; /* a write hook must store the value itself */
	switch (v) {
	case 1: /* compute begins */
		stretch_start = a->cycle;
		in_stretch = 1;
		break;
	case 2: /* compute ends */
		if (in_stretch)
			inference_cycles += a->cycle - stretch_start;
		in_stretch = 0;
		break;
	case 3: /* inference done */
		fprintf(stderr, "cycles %llu\n", (unsigned long long)inference_cycles);
		fflush(stderr);
		inference_cycles = 0;
		done_before_reply = 1;
		break;
	case 4: /* line abandoned */
		inference_cycles = 0;
		break;
	}
}

/* Only simavr's errors reach stderr; its chatter would mix with the cycle reports. */
static void quiet_logger(avr_t *a, const int level, const char *format, va_list ap)
{
	(void)a;
	if (level <= LOG_ERROR) {
		fputs("simavr: ", stderr);
		vfprintf(stderr, format, ap);
	}
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps while the simulated clock is more than 2 ms ahead of the wall clock. */
static void keep_realtime(double start, uint32_t freq)
{
	double ahead = (double)avr->cycle / freq - (wall_seconds() - start);
	if (ahead > 0.002) {
		struct timespec ts = {(time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9)};
		nanosleep(&ts, NULL);
	}
}

/* Returns 0 while stdin is open, 1 once it reached end of file. */
static int read_stdin(void)
{
	struct pollfd pfd = {.fd = 0, .events = POLLIN};
	if (in_pos < in_len || poll(&pfd, 1, 0) <= 0)
		return 0;
	ssize_t n = read(0, inbuf, sizeof inbuf);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return 1;
	if (n > 0) {
		in_len = (size_t)n;
		in_pos = 0;
		feed_uart();
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FIRMWARE.elf [MCU] [F_CPU] [realtime]\n", argv[0]);
		return 64;
	}
	const char *mcu = argc > 2 ? argv[2] : "atmega328p";
	uint32_t freq = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 16000000;
	int realtime = argc > 4 && strcmp(argv[4], "realtime") == 0;

	avr_global_logger_set(quiet_logger);
	elf_firmware_t fw;
	memset(&fw, 0, sizeof fw);
	if (elf_read_firmware(argv[1], &fw) != 0) {
		fprintf(stderr, "simavr: cannot read firmware %s\n", argv[1]);
		return 66;
	}
	avr = avr_make_mcu_by_name(mcu);
	if (!avr) {
		fprintf(stderr, "simavr: unknown MCU %s\n", mcu);
		return 65;
	}
	avr_init(avr);
	avr->log = LOG_ERROR;
	fw.frequency = freq;
	avr_load_firmware(avr, &fw);
	avr->frequency = freq;

	/* No poll-sleep (it would slow the simulation to wall-clock time) and no echo of lines. */
	uint32_t flags = 0;
	avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
	uart_in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
	                        on_uart_output, NULL);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_xon, NULL);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_xoff, NULL);
	avr_register_io_write(avr, GPIOR0_DATA_ADDR, on_gpior0_write, NULL);

	int eof = 0;
	const avr_cycle_count_t quiet = freq; /* one simulated second */
	const double start = wall_seconds();
	for (unsigned long step = 0;; step++) {
		int state = avr_run(avr);
		if (state == cpu_Done || state == cpu_Crashed) {
			fflush(stdout);
			fprintf(stderr, "simavr: firmware %s at cycle %llu\n", state == cpu_Done ? "stopped" : "crashed",
			        (unsigned long long)avr->cycle);
			return state == cpu_Done ? 0 : 3;
		}
		if (step % POLL_EVERY == 0) {
			if (!eof)
				eof = read_stdin();
			fflush(stdout);
			if (eof && in_pos >= in_len && avr->cycle - last_output > quiet)
				break;
			if (realtime)
				keep_realtime(start, freq);
		}
	}
	fflush(stdout);
	avr_terminate(avr);
	return 0;
}
