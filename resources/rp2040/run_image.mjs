// run_image.mjs: a bare-metal RP2040 image in rp2040js, UART0 on stdin/stdout.
//   node run_image.mjs <rp2040js package dir> <image.bin> [vector table address, default 0x10000100]
// The image (a flash dump starting at 0x10000000) starts at its vector table: rp2040js has no boot
// ROM. stderr carries "cycles N" after each inference (the sum of the CPU cycles between the
// firmware's marks 1 and 2, ended by mark 3; mark 4 drops a line given up with an error; the marks
// are stores to MARK_ADDR) and "log ..." for the emulator's own messages.
// Host bytes wait in a queue and enter UART0's 32-byte receive FIFO only while it has room, as a
// USB-serial adapter with flow control would; while the firmware polls an empty UART with nothing
// queued the simulation pauses until more input arrives, so an idle board costs no host CPU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkgDir, imagePath, vtorArg] = process.argv.slice(2);
const { RP2040 } = await import(pathToFileURL(join(pkgDir, 'dist', 'esm', 'index.js')).href);

const MARK_ADDR = 0x4005800c; // watchdog SCRATCH0
const UART_FR = 0x18;
const CHUNK = 200000; // instructions between looks at the host's input

const mcu = new RP2040();
const say = (line) => process.stderr.write(line + '\n');
mcu.logger = {
  debug() {},
  info() {},
  warn(component, message) { say(`log warn ${component}: ${message}`); },
  error(component, message) { say(`log error ${component}: ${message}`); },
};
mcu.flash.set(readFileSync(imagePath));
const vtor = vtorArg ? Number(vtorArg) : 0x10000100;
mcu.core.VTOR = vtor;
mcu.core.reset();

let compute = 0;
let since = 0;
const writeUint32 = mcu.writeUint32.bind(mcu);
mcu.writeUint32 = (address, value) => {
  if (address >>> 0 === MARK_ADDR) {
    if (value === 1) since = mcu.core.cycles;
    else if (value === 2) compute += mcu.core.cycles - since;
    else if (value === 3) { say(`cycles ${compute}`); compute = 0; }
    else if (value === 4) compute = 0;
    return;
  }
  writeUint32(address, value);
};

const uart = mcu.uart[0];
let out = [];
uart.onByte = (b) => out.push(b);
const pending = [];
// Idle: two looks at an empty receive FIFO in a row (the polling loop), with nothing queued. A
// look before each transmitted byte (TX FIFO full?) is followed by a write, so output never pauses.
let idle = false;
let emptyLooks = 0;
const readUart = uart.readUint32.bind(uart);
uart.readUint32 = (offset) => {
  if (offset === UART_FR && uart.rxFIFO.empty && pending.length === 0) idle = ++emptyLooks >= 2;
  else emptyLooks = 0;
  return readUart(offset);
};
const writeUart = uart.writeUint32.bind(uart);
uart.writeUint32 = (offset, value) => {
  emptyLooks = 0;
  writeUart(offset, value);
};

function feed() {
  while (pending.length && !uart.rxFIFO.full) uart.feedByte(pending.shift());
}

let running = false;
function run() {
  running = true;
  idle = false;
  for (let i = 0; i < CHUNK && !idle; i++) {
    mcu.clock.tick(mcu.core.executeInstruction() * 8); // 8 ns a cycle: 125 MHz
    if (pending.length && !uart.rxFIFO.full) feed();
  }
  if (out.length) { process.stdout.write(Buffer.from(out)); out = []; }
  if (idle) running = false; // resumed by the next input; with stdin closed, Node exits
  else setImmediate(run); // let stdin events in between chunks
}

process.stdin.on('data', (chunk) => {
  for (const b of chunk) pending.push(b);
  if (!running) run();
});
run();
