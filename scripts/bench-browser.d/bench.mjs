// The browser side of ./scripts/bench-browser: one headless Chromium, one page (index.html
// here) with both clients, each in turn:
//   receive  subscribe at QoS 0; `switchboard pub` (native, over TCP) publishes RECEIVE messages
//            of SIZE bytes; msgs/s from the first message to the last;
//   publish  PUBLISH QoS 1 messages of SIZE bytes at once; msgs/s until the last PUBACK.
// Each measurement runs ROUNDS times (clients alternating) and the median is printed, with the
// page's script time per message (Chrome's ScriptDuration: JS and wasm), the ratios against
// MQTT.js, and a bare WebSocket client as the ceiling of what the broker and socket let through.
//
//   node bench.mjs PAGE_URL WS_URL MQTT_URL SWITCHBOARD_BIN RECEIVE PUBLISH SIZE ROUNDS
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'target/tools/node_modules/'));
const { chromium } = require('playwright-core');

const [pageUrl, wsUrl, mqttUrl, bin, receiveArg, publishArg, sizeArg, roundsArg] = process.argv.slice(2);
const receiveN = Number(receiveArg), publishN = Number(publishArg), size = Number(sizeArg);
const rounds = Number(roundsArg);
if (!bin || !(receiveN > 0 && publishN > 0 && size > 0 && rounds > 0)) {
  console.error('usage: node bench.mjs PAGE_URL WS_URL MQTT_URL SWITCHBOARD_BIN RECEIVE PUBLISH SIZE ROUNDS');
  process.exit(2);
}
// The bare client is the ceiling: MQTT by hand over a WebSocket (see index.html). The
// in-flight window changes nothing when receiving.
const RECEIVERS = ['switchboard', 'mqtt.js', 'bare WebSocket'];
const PUBLISHERS = ['switchboard', 'switchboard, maxInflight 20', 'mqtt.js', 'bare WebSocket'];
// Generous bounds for a busy 2-core machine; a run that hits one reports what it got.
const RECEIVE_TIMEOUT_MS = 180_000;
const PUBLISH_TIMEOUT_MS = 180_000;
const run = Math.random().toString(16).slice(2, 10);

// Runs the native publisher to completion.
function publishNative(topic) {
  return new Promise((resolve, reject) => {
    const payload = 'p'.repeat(size);
    const p = spawn(bin, ['pub', '-L', mqttUrl, '-t', topic, '-m', payload, '--repeat', String(receiveN)],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`switchboard pub exited with ${code}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
});
let failed = false;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`console: ${m.text()}`); });
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready=yes]', { state: 'attached', timeout: 30_000 });
  // Chrome's own count of the time the page spent running script (JS and wasm): what the
  // client costs, whatever the broker and the socket allow through.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const scriptSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'ScriptDuration').value;
  };

  const results = { receive: {}, publish: {} };
  const cpu = { receive: {}, publish: {} };
  for (const c of RECEIVERS) { results.receive[c] = []; cpu.receive[c] = []; }
  for (const c of PUBLISHERS) { results.publish[c] = []; cpu.publish[c] = []; }
  for (let round = 0; round < rounds; round++) {
    for (const name of RECEIVERS) {
      const topic = `bench/${run}/${round}/${name}`;
      await page.evaluate(([n, u, t, e]) => window.bench.prepareReceive(n, u, t, e), [name, wsUrl, topic, receiveN]);
      const before = await scriptSeconds();
      await publishNative(topic);
      const r = await page.evaluate((ms) => window.bench.finishReceive(ms), RECEIVE_TIMEOUT_MS);
      cpu.receive[name].push(((await scriptSeconds()) - before) * 1e6 / r.received);
      if (r.received !== receiveN) console.error(`${name}: received ${r.received} of ${receiveN}`);
      results.receive[name].push(r.ms > 0 ? (r.received - 1) / (r.ms / 1000) : 0);
      console.error(`round ${round + 1}: ${name} received ${r.received} in ${r.ms.toFixed(0)} ms`);
    }
    for (const name of PUBLISHERS) {
      const topic = `bench/${run}/${round}/${name}/out`;
      const before = await scriptSeconds();
      const r = await page.evaluate(([n, u, t, k, s, ms]) => window.bench.publish(n, u, t, k, s, ms),
        [name, wsUrl, topic, publishN, size, PUBLISH_TIMEOUT_MS]);
      cpu.publish[name].push(((await scriptSeconds()) - before) * 1e6 / r.acked);
      if (r.acked !== publishN) console.error(`${name}: ${r.acked} of ${publishN} acknowledged`);
      results.publish[name].push(r.acked / (r.ms / 1000));
      console.error(`round ${round + 1}: ${name} published ${r.acked} in ${r.ms.toFixed(0)} ms`);
    }
  }

  const rate = (xs) => (xs ? `${Math.round(median(xs)).toLocaleString('en-US')}/s` : '');
  const us = (xs) => (xs ? `${median(xs).toFixed(1)} µs` : '');
  const row = (cells) => console.log(`| ${cells.join(' | ')} |`);
  const n = (x) => x.toLocaleString('en-US');
  console.log();
  row(['client', `receive ${n(receiveN)} × QoS 0, ${size} B`, 'script per message',
    `publish ${n(publishN)} × QoS 1, ${size} B`, 'script per message']);
  row(['---', '---:', '---:', '---:', '---:']);
  for (const name of PUBLISHERS) {
    row([name, rate(results.receive[name]), us(cpu.receive[name]), rate(results.publish[name]), us(cpu.publish[name])]);
  }
  // Speed: ours / MQTT.js; script time: MQTT.js / ours (both > 1 when ours is better).
  const faster = (key, a) => `${(median(results[key][a]) / median(results[key]['mqtt.js'])).toFixed(2)}×`;
  const cheaper = (key, a) => `${(median(cpu[key]['mqtt.js']) / median(cpu[key][a])).toFixed(2)}×`;
  row(['switchboard vs MQTT.js', faster('receive', 'switchboard'), cheaper('receive', 'switchboard'),
    faster('publish', 'switchboard'), cheaper('publish', 'switchboard')]);
  const narrow = 'switchboard, maxInflight 20';
  row([`${narrow} vs MQTT.js`, '', '', faster('publish', narrow), cheaper('publish', narrow)]);
  console.log(`(median of ${rounds} round${rounds === 1 ? '' : 's'}; headless Chromium ${browser.version()})`);
} catch (e) {
  failed = true;
  console.error(`bench failed: ${e.stack || e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
