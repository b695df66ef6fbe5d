// run_image.mjs: a bare-metal RP2040 image in rp2040js, its serial port on stdin/stdout.
//   node run_image.mjs <rp2040js package dir> <image.bin> [uart|usb]
// The image (a flash dump starting at 0x10000000, boot2 first) starts at its vector table at
// 0x10000100: rp2040js has no boot ROM. The serial port is UART0 (default) or the emulator's USB
// CDC host talking to the firmware's own USB device. stderr carries "cycles N" after each
// inference (the CPU cycles between the firmware's marks 1 and 2, summed until mark 3; mark 4
// drops a line given up with an error; the marks are stores to MARK_ADDR) and "log ..." lines.
// Host bytes wait in a queue and enter the UART's 32-byte receive FIFO (or the USB host's 512-byte
// one) only while it has room, as a serial link with flow control would. When the firmware has
// handled all its input (mark 5) and nothing more is on its way, the simulation pauses until the
// host sends more, so an idle board costs no host CPU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkgDir, imagePath, transport = 'uart'] = process.argv.slice(2);
const { RP2040, USBCDC } = await import(pathToFileURL(join(pkgDir, 'dist', 'esm', 'index.js')).href);

const MARK_ADDR = 0x4005800c; // watchdog SCRATCH0
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
mcu.core.VTOR = 0x10000100;
mcu.core.reset();

let feedHost;
let hostEmpty;
let compute = 0;
let since = 0;
const writeUint32 = mcu.writeUint32.bind(mcu);
mcu.writeUint32 = (address, value) => {
  if (address >>> 0 === MARK_ADDR) {
    if (value === 1) since = mcu.core.cycles;
    else if (value === 2) compute += mcu.core.cycles - since;
    else if (value === 3) { say(`cycles ${compute}`); compute = 0; }
    else if (value === 4) compute = 0;
    else if (value === 5 && hostEmpty()) idle = true; // the firmware waits for input
    return;
  }
  writeUint32(address, value);
};

const pending = [];
let out = [];
let idle = false;

if (transport === 'usb') {
  const cdc = new USBCDC(mcu.usbCtrl);
  cdc.onSerialData = (buffer) => { for (const b of buffer) out.push(b); };
  feedHost = () => { while (pending.length && !cdc.txFIFO.full) cdc.sendSerialByte(pending.shift()); };
  // A read of the data endpoint that found the host's FIFO empty: no packet in flight.
  let lastReadEmpty = false;
  const onRead = mcu.usbCtrl.onEndpointRead;
  mcu.usbCtrl.onEndpointRead = (endpoint, size) => {
    if (endpoint === cdc.outEndpoint) lastReadEmpty = cdc.txFIFO.empty;
    onRead(endpoint, size);
  };
  // ...and no packet of the firmware's still on its way to the host (the emulator delivers them
  // 10 us of simulated time after they are queued)
  const writes = mcu.usbCtrl.endpointWriteAlarms;
  hostEmpty = () =>
    pending.length === 0 && cdc.txFIFO.empty && lastReadEmpty && writes.every((a) => a.buffers.length === 0);
} else {
  const uart = mcu.uart[0];
  uart.onByte = (b) => out.push(b);
  feedHost = () => { while (pending.length && !uart.rxFIFO.full) uart.feedByte(pending.shift()); };
  hostEmpty = () => pending.length === 0 && uart.rxFIFO.empty;
}

let running = false;
function run() {
  running = true;
  idle = false;
  for (let i = 0; i < CHUNK && !idle; i++) {
    mcu.clock.tick(mcu.core.executeInstruction() * 8); // 8 ns a cycle: 125 MHz
    if (pending.length) feedHost();
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
