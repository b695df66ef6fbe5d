/* main.cpp: BINGO Studio firmware. Glues the board's Serial port to the line protocol in
 * bingo_protocol.c (documented in bingo_protocol.h) and the model in bingo_model.c.
 * Generated; regenerate from BINGO Studio instead of editing. */
#include <Arduino.h>

#include "bingo_model.h"
#include "bingo_protocol.h"

static bingo_proto_t proto;

static void put_byte(void *ctx, char c)
{
    (void)ctx;
    Serial.write((uint8_t)c);
}

static uint32_t clock_us(void) { return (uint32_t)micros(); }

void setup()
{
    Serial.begin(115200);
#ifndef __AVR__
    /* USB serial boards (Pico, ESP32-S3): give the host a moment to open the port so the ready
     * line is not lost; "info" asks again at any time. */
    uint32_t start = millis();
    while (!Serial && millis() - start < 2000) {
    }
#endif
    bingo_proto_init(&proto, put_byte, NULL, clock_us);
    bingo_proto_ready(&proto);
}

void loop()
{
    while (Serial.available() > 0) bingo_proto_byte(&proto, (uint8_t)Serial.read());
}
