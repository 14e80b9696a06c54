// Decode throughput in V8: the codec compiled to wasm32 against mqtt-packet (MQTT.js's parser),
// on the same bytes split into the same chunks. Run by scripts/bench-v8, which builds the
// modules and installs mqtt-packet; usage:
//
//   NODE_PATH=target/bench-v8/node_modules node scripts/bench-v8.d/bench.js LABEL=FILE.wasm...
//
// For each packet kind and chunk size, one "run" feeds the whole stream to a fresh decoder:
//   ours         for every chunk: ask the module for room at the end of its read buffer
//                (sb_reserve), copy the chunk into wasm memory there (Uint8Array.set), and let
//                it decode every whole packet (sb_commit). The copy is inside the timing.
//   mqtt-packet  parser.parse(chunk) for every chunk, counting 'packet' events.
// Both must count every packet. Runs alternate between the two; the median of RUNS timed runs
// (after WARMUP untimed ones) is reported as packets per second.
//
// Two ways to hold the stream, each its own table:
//   warm  a window of whole packets of about WINDOW_BYTES, cut into chunks, fed over and over
//         (a stream of whole packets repeated is still a valid stream). A socket reader meets
//         each chunk just after the network stack wrote it, in cache; so does this one.
//   cold  the whole stream (41 MB for the 1 KiB case) cut into chunks once: every chunk comes
//         from main memory. The copy we must count then runs at the machine's memory
//         bandwidth, which on a shared VM moves by 3x from one minute to the next, while
//         mqtt-packet, which never reads a payload byte, barely notices.
'use strict';

const fs = require('fs');
const mqtt = require('mqtt-packet');

const WARMUP = 5;
const RUNS = 15;
const CHUNK_SIZES = [1460, 16384];
const WINDOW_BYTES = 256 * 1024;

const cases = [
  {
    name: 'QoS 0 PUBLISH, 14 B',
    packet: mqtt.generate({
      cmd: 'publish', topic: 'test', payload: Buffer.from('hello!'), qos: 0, retain: false, dup: false,
    }),
    count: 400000,
  },
  {
    name: 'QoS 1 PUBLISH, 1 KiB payload',
    packet: mqtt.generate({
      cmd: 'publish', topic: 'test', payload: Buffer.alloc(1024, 0x61), qos: 1, messageId: 42,
      retain: false, dup: false,
    }),
    count: 40000,
  },
];

// Instantiates a module without wasm-bindgen's JS glue: the codec calls no JavaScript, so the
// runtime imports wasm-bindgen leaves (throw, externref table set-up) get minimal stand-ins.
function loadModule(file) {
  const module = new WebAssembly.Module(fs.readFileSync(file));
  let ex = null;
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') throw new Error(`${file} imports ${imp.kind} ${imp.name}`);
    imports[imp.module] = imports[imp.module] || {};
    imports[imp.module][imp.name] = imp.name.includes('throw')
      ? (ptr, len) => {
        throw new Error(Buffer.from(ex.memory.buffer, ptr, len).toString('utf8'));
      }
      : () => {};
  }
  ex = new WebAssembly.Instance(module, imports).exports;
  if (ex.__wbindgen_start) ex.__wbindgen_start();
  for (const f of ['memory', 'sb_reset', 'sb_reserve', 'sb_commit']) {
    if (!(f in ex)) throw new Error(`${file} does not export ${f}`);
  }
  return ex;
}

function runOurs(ex, chunks) {
  if (ex.sb_reset(4) !== 0) throw new Error('sb_reset failed');
  let mem = new Uint8Array(ex.memory.buffer);
  let count = 0;
  for (const chunk of chunks) {
    const ptr = ex.sb_reserve(chunk.length);
    // Growing memory detaches the old view, whose length then reads 0: the test wasm-bindgen's
    // own glue makes (reading `memory.buffer` on every chunk costs a call into the engine).
    if (mem.byteLength === 0) mem = new Uint8Array(ex.memory.buffer);
    mem.set(chunk, ptr);
    const n = ex.sb_commit(chunk.length);
    if (n < 0) throw new Error(`sb_commit failed: ${n}`);
    count += n;
  }
  return count;
}

function runMqttPacket(chunks) {
  const parser = mqtt.parser({ protocolVersion: 4 });
  let count = 0;
  parser.on('packet', () => { count += 1; });
  parser.on('error', (e) => { throw e; });
  for (const chunk of chunks) parser.parse(chunk);
  return count;
}

function time(fn) {
  const start = process.hrtime.bigint();
  const count = fn();
  return { count, ns: Number(process.hrtime.bigint() - start) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function main() {
  const modules = process.argv.slice(2).map((arg) => {
    const i = arg.indexOf('=');
    if (i < 0) throw new Error(`expected LABEL=FILE.wasm, got ${arg}`);
    return { label: arg.slice(0, i), ex: loadModule(arg.slice(i + 1)) };
  });
  if (modules.length === 0) throw new Error('no wasm module given');

  console.log(`node ${process.version}, V8 ${process.versions.v8}; ${WARMUP} warm-up + ${RUNS} timed runs each, median`);
  const header = ['case', 'chunk', 'packets', 'mqtt-packet pkts/s'];
  for (const m of modules) header.push(`ours: ${m.label} pkts/s`, 'ratio');
  for (const layout of ['warm', 'cold']) {
    console.log();
    console.log(layout === 'warm'
      ? `warm: a window of whole packets of about ${WINDOW_BYTES / 1024} KiB, chunked, fed repeatedly (chunks in cache, as from a socket)`
      : 'cold: the whole stream chunked once (every chunk read from main memory)');
    table(layout, header, modules);
  }
}

// Whole packets in a window of about WINDOW_BYTES, as many times as it takes to make `count`.
function windowOf(c) {
  let perWindow = Math.max(1, Math.floor(WINDOW_BYTES / c.packet.length));
  while (c.count % perWindow !== 0) perWindow -= 1;
  return perWindow;
}

function table(layout, header, modules) {
  const rows = [];
  for (const c of cases) {
    const perWindow = layout === 'warm' ? windowOf(c) : c.count;
    const stream = Buffer.concat(Array(perWindow).fill(c.packet));
    for (const size of CHUNK_SIZES) {
      const once = [];
      for (let i = 0; i < stream.length; i += size) once.push(stream.subarray(i, i + size));
      const chunks = [];
      for (let k = 0; k < c.count / perWindow; k++) chunks.push(...once);
      const impls = [{ name: 'mqtt-packet', run: () => runMqttPacket(chunks), ns: [] }];
      for (const m of modules) impls.push({ name: m.label, run: () => runOurs(m.ex, chunks), ns: [] });
      for (let r = 0; r < WARMUP + RUNS; r++) {
        for (const impl of impls) {
          const { count, ns } = time(impl.run);
          if (count !== c.count) throw new Error(`${impl.name} decoded ${count} of ${c.count} packets`);
          if (r >= WARMUP) impl.ns.push(ns);
        }
      }
      const rate = impls.map((impl) => (c.count * 1e9) / median(impl.ns));
      const row = [`${c.name} (${c.packet.length} B on the wire)`, `${size} B`, fmt(c.count), fmt(rate[0])];
      for (let i = 1; i < impls.length; i++) row.push(fmt(rate[i]), `${(rate[i] / rate[0]).toFixed(1)}×`);
      rows.push(row);
    }
  }
  console.log();
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

main();
