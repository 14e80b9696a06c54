// MQTT.js's side of `./scripts/bench-e2e`: the same shape as `switchboard bench` — N
// publisher/subscriber pairs, M messages of B bytes each through the broker, the send time in
// the first 8 bytes — printing one JSON line with msgs/s and latency percentiles.
//
//   node mqttjs-bench.mjs URL PAIRS MESSAGES SIZE QOS
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'target/tools/node_modules/'));
const mqtt = require('mqtt');

const [url, pairsArg, messagesArg, sizeArg, qosArg] = process.argv.slice(2);
const pairs = Number(pairsArg), messages = Number(messagesArg), size = Number(sizeArg), qos = Number(qosArg);
const run = `${process.pid.toString(16)}`;
const epoch = process.hrtime.bigint();
const nowNs = () => process.hrtime.bigint() - epoch;
const connect = (id) => new Promise((resolve, reject) => {
  const c = mqtt.connect(url, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 });
  c.once('connect', () => resolve(c));
  c.once('error', reject);
});

const latencies = [];
let received = 0, last = 0n;
const subs = [];
for (let i = 0; i < pairs; i++) {
  const s = await connect(`mqttjs-sub-${run}-${i}`);
  await s.subscribeAsync(`switchboard/bench-js/${run}/${i}`, { qos });
  s.on('message', (_t, payload) => {
    const t = nowNs();
    latencies.push(Number(t - payload.readBigUInt64BE(0)) / 1e6);
    received++;
    last = t;
  });
  subs.push(s);
}
const pubs = [];
for (let i = 0; i < pairs; i++) pubs.push(await connect(`mqttjs-pub-${run}-${i}`));
const start = nowNs();
await Promise.all(pubs.map(async (p, i) => {
  const topic = `switchboard/bench-js/${run}/${i}`;
  // MQTT.js at its fastest: every publish issued at once, the client queueing and pacing them
  // itself; completion (written for QoS 0, PUBACK for QoS 1) awaited at the end.
  const done = [];
  for (let seq = 0; seq < messages; seq++) {
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
