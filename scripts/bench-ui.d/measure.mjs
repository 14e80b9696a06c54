// Opens the app in headless Chromium and measures it under load (see scripts/bench-ui).
// Usage: node measure.mjs URL WARMUP_S SECONDS RATE
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.resolve(process.env.NODE_PATH, "x.js"));
const { chromium } = require("playwright-core");
const [url, warmup, seconds, rate] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-precise-memory-info",
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
await page.goto(url);
await page.waitForSelector('[data-testid="status-bar"]');

// Long tasks and frame times, recorded from the start; the window is cut out below.
await page.evaluate(() => {
  window.__bench = { tasks: [], frames: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.tasks.push({ at: e.startTime, ms: e.duration });
  }).observe({ type: "longtask", buffered: true });
  let last = performance.now();
  const frame = (t) => {
    window.__bench.frames.push({ at: t, ms: t - last });
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
});

const received = async () => {
  const text = await page.textContent('[data-testid="status-bar"] .conn-rate');
  return Number((text || "0").split(" ")[0]);
};
const heap = () => page.evaluate(() => performance.memory.usedJSHeapSize);
const cdp = await page.context().newCDPSession(page);
const gcHeap = async () => {
  await cdp.send("HeapProfiler.collectGarbage");
  return heap();
};

await page.waitForTimeout(Number(warmup) * 1000);
const t0 = await page.evaluate(() => performance.now());
const r0 = await received();
const h0 = await gcHeap();
await page.waitForTimeout(Number(seconds) * 1000);
const t1 = await page.evaluate(() => performance.now());
const r1 = await received();
const h1 = await gcHeap();
const { tasks, frames } = await page.evaluate(() => window.__bench);
const inWindow = (e) => e.at >= t0 && e.at <= t1;
const longest = Math.max(0, ...tasks.filter(inWindow).map((e) => e.ms));
const over50 = tasks.filter(inWindow).filter((e) => e.ms > 50).length;
const fs = frames.filter(inWindow).map((e) => e.ms);
const mean = fs.reduce((a, b) => a + b, 0) / Math.max(1, fs.length);
const worst = Math.max(0, ...fs);
const mps = ((r1 - r0) * 1000) / (t1 - t0);
const mb = (n) => (n / 1048576).toFixed(1);

console.log(`\nUI under load (${url.split("#")[1]}; sim ${rate} msg/s; measured ${seconds}s after ${warmup}s)`);
console.log("| measure | value |");
console.log("|---|---:|");
console.log(`| longest task | ${longest.toFixed(0)} ms |`);
console.log(`| tasks over 50 ms | ${over50} |`);
console.log(`| mean frame time | ${mean.toFixed(1)} ms (${(1000 / mean).toFixed(0)} fps) |`);
console.log(`| worst frame | ${worst.toFixed(0)} ms |`);
console.log(`| messages/s taken in and rendered | ${mps.toFixed(0)} |`);
console.log(`| JS heap (after GC) | ${mb(h0)} → ${mb(h1)} MB (${h1 >= h0 ? "+" : ""}${mb(h1 - h0)} MB) |`);
await browser.close();
