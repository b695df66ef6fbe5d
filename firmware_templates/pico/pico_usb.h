/* pico_usb.h: a USB CDC serial port for the bare-metal runtime (polled, no SDK, no interrupts). */
#ifndef PICO_USB_H
#define PICO_USB_H

#include <stdint.h>

void usb_cdc_init(void);
/* Services the USB controller: enumeration, received data, finished transmissions. */
void usb_cdc_poll(void);
/* Whether a host has opened the port (DTR set). */
int usb_cdc_connected(void);
/* Next received byte, or -1. */
int usb_cdc_getc(void);
/* Queues one byte; a full packet, or usb_cdc_flush, sends it. */
void usb_cdc_putc(uint8_t c);
void usb_cdc_flush(void);

#endif /* PICO_USB_H */
