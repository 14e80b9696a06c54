// MQTT.js's side of `./scripts/bench-e2e`: the same shape as `switchboard bench` — N
// publisher/subscriber pairs, M messages of B bytes each through the broker, the send time in
// the first 8 bytes and the sequence number in the next 8 — printing one JSON line with
// msgs/s and latency percentiles.
//
//   node mqttjs-bench.mjs URL PAIRS MESSAGES SIZE QOS [VERSION] [WINDOW]
//
// VERSION: 311 (default) or 5. WINDOW: as `switchboard bench --window`, at most that many
// messages per pair published and not yet received (by sequence number); 0 (the default)
// issues every publish at once and lets MQTT.js queue and pace them itself.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'target/tools/node_modules/'));
const mqtt = require('mqtt');

const [url, pairsArg, messagesArg, sizeArg, qosArg, versionArg = '311', windowArg = '0'] =
  process.argv.slice(2);
const pairs = Number(pairsArg), messages = Number(messagesArg), size = Number(sizeArg), qos = Number(qosArg);
const protocolVersion = versionArg === '5' ? 5 : 4;
const window = Number(windowArg);
const run = `${process.pid.toString(16)}`;
const epoch = process.hrtime.bigint();
const nowNs = () => process.hrtime.bigint() - epoch;
const connect = (id) => new Promise((resolve, reject) => {
  const c = mqtt.connect(url, { clientId: id, protocolVersion, reconnectPeriod: 0 });
  c.once('connect', () => {
    // Every pending publish waits on the socket's 'drain': thousands of listeners by design.
    c.stream.setMaxListeners(0);
    resolve(c);
  });
  c.once('error', reject);
});

const latencies = [];
let received = 0, last = 0n;
// Per pair: one past the highest sequence number received, and a publisher waiting for it.
const reached = new Array(pairs).fill(0);
const waiting = new Array(pairs).fill(null);
const subs = [];
for (let i = 0; i < pairs; i++) {
  const s = await connect(`mqttjs-sub-${run}-${i}`);
  await s.subscribeAsync(`switchboard/bench-js/${run}/${i}`, { qos });
  s.on('message', (_t, payload) => {
    const t = nowNs();
    latencies.push(Number(t - payload.readBigUInt64BE(0)) / 1e6);
    received++;
    last = t;
    reached[i] = Math.max(reached[i], Number(payload.readBigUInt64BE(8)) + 1);
    const w = waiting[i];
    if (w && reached[i] > w.seq - window) {
      waiting[i] = null;
      w.resume();
    }
  });
  subs.push(s);
}
const pubs = [];
for (let i = 0; i < pairs; i++) pubs.push(await connect(`mqttjs-pub-${run}-${i}`));
const start = nowNs();
await Promise.all(pubs.map(async (p, i) => {
  const topic = `switchboard/bench-js/${run}/${i}`;
  // Without a window, MQTT.js at its fastest: every publish issued at once, the client
  // queueing and pacing them itself; completion (written for QoS 0, PUBACK for QoS 1)
  // awaited at the end.
  const done = [];
  for (let seq = 0; seq < messages; seq++) {
    if (window > 0 && seq - window >= reached[i]) {
      // Bounded: lost QoS 0 messages must not stall it for good.
      await new Promise((resume) => {
        waiting[i] = { seq, resume };
        setTimeout(resume, 10000);
      });
    }
    const buf = Buffer.alloc(size, 0x78);
    buf.writeBigUInt64BE(nowNs(), 0);
    buf.writeBigUInt64BE(BigInt(seq), 8);
    done.push(new Promise((r) => p.publish(topic, buf, { qos }, r)));
  }
  await Promise.all(done);
}));
const total = pairs * messages;
const deadline = Date.now() + 30000;
while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const secs = Number(last - start) / 1e9;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies.length ? latencies[Math.round((latencies.length - 1) * p)] : 0;
console.log(JSON.stringify({
  client: 'mqtt.js', messages: total, received, seconds: secs,
  msgs_per_s: received / secs, latency_ms: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
}));
for (const c of [...subs, ...pubs]) c.end(true);
