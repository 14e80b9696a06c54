// Loads examples/js/index.html in headless Chromium and drives it: connect, subscribe,
// publish, and wait for the message to come back through the broker.
//
//   node examples/js/test.mjs PAGE_URL BROKER_WS_URL
//
// PAGE_URL serves the repository root (so ../../target/size/pkg/ resolves; run
// ./scripts/size --no-app first). Needs playwright-core (target/tools/node_modules).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'target/tools/node_modules/'));
const { chromium } = require('playwright-core');

const [pageUrl, brokerUrl] = process.argv.slice(2);
if (!pageUrl || !brokerUrl) {
  console.error('usage: node examples/js/test.mjs PAGE_URL BROKER_WS_URL');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
});
let failed = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(pageUrl);
  const topic = `example/${Math.random().toString(16).slice(2, 10)}`;
  await page.fill('[data-testid=url]', brokerUrl);
  await page.click('[data-testid=connect]');
  await page.waitForSelector('[data-testid=log]:has-text("connected")', { timeout: 10000 });
  await page.fill('[data-testid=filter]', `${topic}/#`);
  await page.click('[data-testid=subscribe]');
  await page.waitForSelector('[data-testid=log]:has-text("subscribed")', { timeout: 10000 });
  await page.fill('[data-testid=topic]', `${topic}/hello`);
  await page.fill('[data-testid=payload]', 'hi from the example');
  await page.click('[data-testid=publish]');
  await page.waitForSelector(`[data-testid=log]:has-text("← ${topic}/hello (QoS 1): hi from the example")`, { timeout: 10000 });
  await page.click('[data-testid=end]');
  await page.waitForSelector('[data-testid=log]:has-text("disconnected")', { timeout: 10000 });
  if (errors.length) throw new Error(`console errors: ${errors.join('; ')}`);
  console.log('example page: connect, subscribe, publish, receive, end: ok');
} catch (e) {
  failed = true;
  console.error(`example page failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
