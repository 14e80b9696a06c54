// MQTT.js (npm `mqtt`) as the other side of the interop tests (crates/cli/tests/interop.rs).
//
//   node mqttjs.mjs DIR pub URL VERSION TOPIC COUNT
//       publishes COUNT messages `js-q{Q}-{i}` to TOPIC/q{Q} for each QoS 0, 1, 2, then exits 0
//   node mqttjs.mjs DIR sub URL VERSION TOPIC COUNT
//       subscribes to TOPIC/# at QoS 2, prints {"ready":…} after SUBACK, then one JSON line per
//       message, and exits 0 after 3 × COUNT messages
//
// DIR holds node_modules/mqtt. VERSION is the protocol level: 4 (3.1.1) or 5. Any error, or
// 20 seconds without finishing, exits 1 with one line on stderr.
import { createRequire } from 'node:module';
import path from 'node:path';

const [dir, mode, url, version, topic, countArg] = process.argv.slice(2);
const require = createRequire(path.join(dir, 'interop.cjs'));
const mqtt = require('mqtt');
const count = Number(countArg);
const v5 = version === '5';

let done = false;
const fail = (e) => {
  if (done) return; // an error while closing after success changes nothing
  process.stderr.write(`error: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
};
setTimeout(() => fail(`${mode}: timed out after 20 s`), 20000);

const client = mqtt.connect(url, {
  protocolVersion: Number(version),
  clientId: `mqttjs-${mode}-${process.pid}-${Date.now()}`,
  clean: true,
  reconnectPeriod: 0,
  connectTimeout: 10000,
});
client.on('error', fail);

if (mode === 'pub') {
  client.on('connect', async () => {
    try {
      for (const qos of [0, 1, 2]) {
        for (let i = 1; i <= count; i++) {
          const opts = { qos };
          if (v5) {
            opts.properties = { contentType: 'text/plain', userProperties: { from: 'mqtt.js' } };
          }
          await client.publishAsync(`${topic}/q${qos}`, `js-q${qos}-${i}`, opts);
        }
      }
      done = true;
      await client.endAsync();
      process.exit(0);
    } catch (e) {
      fail(e);
    }
  });
} else if (mode === 'sub') {
  let received = 0;
  client.on('message', (t, payload, packet) => {
    const line = { topic: t, payload: payload.toString(), qos: packet.qos, retain: packet.retain };
    if (packet.properties) line.properties = packet.properties;
    process.stdout.write(`${JSON.stringify(line)}\n`);
    received += 1;
    if (received >= 3 * count) {
      done = true;
      client.end(false, {}, () => process.exit(0));
    }
  });
  client.on('connect', () => {
    client.subscribe(`${topic}/#`, { qos: 2 }, (err, granted) => {
      if (err) fail(err);
      process.stdout.write(`${JSON.stringify({ ready: true, granted })}\n`);
    });
  });
} else {
  fail(`unknown mode ${mode}`);
}
