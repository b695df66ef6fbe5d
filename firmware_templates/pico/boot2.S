/* boot2.S: the RP2040's second stage boot loader for the simulated Pico's image (256 bytes, the
 * last 4 a CRC32 that pico_build.py writes after linking). The boot ROM copies it to SRAM, checks
 * the CRC and runs it; it puts the flash interface (XIP SSI) into plain serial 03h reads, which
 * every QSPI flash chip answers at the boot clock, then starts the image at its vector table
 * (0x10000100). Register offsets and fields are those of the RP2040 datasheet, section 4.10.13.
 * The simulation starts at the vector table directly (rp2040js has no boot ROM). */
    .syntax unified
    .cpu cortex-m0plus
    .thumb
    .section .boot2, "ax"
    .global bingo_boot2
    .type bingo_boot2, %function
bingo_boot2:
    ldr r3, =0x18000000     /* XIP_SSI_BASE */
    movs r1, #0
    str r1, [r3, #0x08]     /* SSIENR = 0: configure with the SSI off */
    movs r1, #4
    str r1, [r3, #0x14]     /* BAUDR: clk_sys / 4 */
    ldr r1, =0x001f0300     /* CTRLR0: 32-bit frames (DFS_32 = 31), EEPROM read mode (TMOD = 3) */
    str r1, [r3, #0x00]
    movs r1, #0
    str r1, [r3, #0x04]     /* CTRLR1: one frame per transfer */
    ldr r1, =0x03000218     /* SPI_CTRLR0: command 03h, 8-bit instruction, 24-bit address */
    ldr r2, =0xf4
    str r1, [r3, r2]
    movs r1, #1
    str r1, [r3, #0x08]     /* SSIENR = 1: flash now reads through XIP */
    ldr r0, =0x10000100     /* the image's vector table */
    ldr r1, =0xe000ed08     /* VTOR */
    str r0, [r1]
    ldmia r0, {r0, r1}      /* initial SP, reset handler */
    msr msp, r0
    bx r1
    .ltorg
