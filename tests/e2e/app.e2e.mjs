// End-to-end tests: the built app in headless Chromium (Debian's, driven by playwright-core),
// against a real mosquitto and the real `switchboard` command (sim, pub, sub). Run by
// scripts/test; by hand:
//
//   APP_URL=http://127.0.0.1:8080/ WS_URL=ws://127.0.0.1:9001 MQTT_URL=mqtt://127.0.0.1:1883 \
//   SWITCHBOARD=target/debug/switchboard SHOTS=target/e2e \
//   NODE_PATH=target/tools/node_modules node tests/e2e/app.e2e.mjs [name-filter]
//
// Each test gets a fresh browser context (empty localStorage) and saves a screenshot in SHOTS.
// The run ends with one summary line; the exit status is 1 when a test failed.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.resolve(process.env.NODE_PATH || "target/tools/node_modules", "x.js"));
const { chromium } = require("playwright-core");

const APP = process.env.APP_URL;
const WS = process.env.WS_URL;
const MQTT = process.env.MQTT_URL;
const BIN = process.env.SWITCHBOARD || "target/debug/switchboard";
const SHOTS = process.env.SHOTS || "target/e2e";
const only = process.argv[2] || "";
for (const [k, v] of Object.entries({ APP_URL: APP, WS_URL: WS, MQTT_URL: MQTT })) {
  if (!v) {
    console.error(`e2e: ${k} is not set`);
    process.exit(2);
  }
}
mkdirSync(SHOTS, { recursive: true });
const runId = Date.now().toString(36);

// --- processes -------------------------------------------------------------------------------

const children = new Set();
/** Starts `switchboard args…`; resolves its output when it exits (bounded by `timeoutMs`). */
function sb(args, { timeoutMs = 30_000, input } = {}) {
  const child = spawn(BIN, args, { stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  if (input !== undefined) child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, out, err });
    }),
  );
  return { child, done, output: () => out };
}
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

const publish = (topic, message, extra = []) =>
  sb(["pub", "-L", MQTT, "-t", topic, "-m", message, "-q", "1", ...extra]).done;

/** Waits until `fn()` is truthy (polling), or fails with `what`. */
async function until(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

// --- browser ---------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/** A fresh page of the app at `hash`, its "Local demo" profile pointing at our broker. */
async function open(context, hash = "#/devices") {
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && /panicked|RuntimeError|Uncaught/.test(m.text())) page.errors.push(m.text());
  });
  await page.goto(`${APP}?broker=${encodeURIComponent(WS)}${hash}`);
  await page.waitForSelector('[data-testid="status-bar"], [data-testid="embed"]');
  return page;
}

const tid = (id) => `[data-testid="${id}"]`;
const connected = (page) =>
  until("the status bar to say Connected", async () => (await page.textContent(tid("conn-state"))) === "Connected");

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// --- tests -----------------------------------------------------------------------------------

test("create a connection profile and connect", async (page) => {
  await page.click(tid("nav-connections"));
  await page.click(tid("new-profile"));
  await page.fill(tid("pf-name"), "E2E broker");
  await page.fill(tid("pf-urls"), "mqtt://wrong");
  await until("a clear URL error", async () => /WebSocket/.test(await page.textContent(tid("pf-urls-error"))));
  await page.fill(tid("pf-urls"), WS);
  await page.click(tid("pf-save-connect"));
  await connected(page);
  await until("the status bar to name the profile", async () => (await page.textContent(tid("status-bar"))).includes("E2E broker"));
  await page.waitForSelector(`${tid("profile")}[data-name="E2E broker"]`);
});

test("subscribe and see a published message in the log and the tree", async (page) => {
  await connected(page);
  await page.click(tid("nav-explorer"));
  await page.fill(tid("sub-filter"), `e2e/${runId}/#`);
  await page.click(tid("sub-add"));
  await until("the subscription to be granted", async () => (await page.textContent(tid("sub-list"))).includes("QoS 1"));
  await publish(`e2e/${runId}/greeting`, "hello from the command line");
  // The tree shows top levels first; opening one shows its children.
  await page.click('[data-topic="e2e"] .tree-name');
  await page.click(`[data-topic="e2e/${runId}"] .tree-name`);
  await page.click(`[data-topic="e2e/${runId}/greeting"] .tree-name`);
  await until("the topic's payload", async () =>
    (await page.textContent(tid("payload-body"))).includes("hello from the command line"),
  );
  await page.click(tid("tab-log"));
  await until("the log to show the message", async () =>
    (await page.textContent(tid("message-log"))).includes("hello from the command line"),
  );
});

test("publish from the UI and receive it with switchboard sub", async (page) => {
  await connected(page);
  const topic = `e2e/${runId}/from-ui`;
  const sub = sb(["sub", "-L", MQTT, "-t", topic, "-C", "1", "-W", "30", "-v"]);
  await new Promise((r) => setTimeout(r, 1000)); // let the subscriber subscribe
  await page.click(tid("nav-explorer"));
  await page.click(tid("tab-publish"));
  await page.fill(tid("pub-topic"), topic);
  await page.fill(tid("pub-payload"), '{"hello":"broker"}');
  await page.selectOption(tid("pub-format"), "json");
  await page.selectOption(tid("pub-qos"), "1");
  await page.click(tid("pub-send"));
  await until("the publish to be acknowledged", async () => (await page.textContent(tid("pub-result"))).includes("PUBACK"));
  const got = await sub.done;
  if (!got.out.includes(`${topic} {"hello":"broker"}`)) throw new Error(`sub printed ${JSON.stringify(got)}`);
});

test("a device's Last Will turns its tile offline", async (page) => {
  await connected(page);
  const sim = sb(["sim", "-L", MQTT, "--devices", "2", "--rate", "8", "--rooms", ""], { timeoutMs: 120_000 });
  await until("two devices online", async () => /2 of \d+ online/.test(await page.textContent(tid("device-counts"))), 20_000);
  const tile = `${tid("device-tile")}[data-device="dev-01"]`;
  await until("dev-01 online", async () => (await page.textContent(`${tile} ${tid("device-state")}`)) === "online");
  await until("live values on dev-01", async () => (await page.textContent(tile)).includes("temperature"));
  sim.child.kill("SIGKILL"); // no DISCONNECT: the broker publishes each device's Will
  await until("dev-01 offline", async () => (await page.textContent(`${tile} ${tid("device-state")}`)) === "offline", 20_000);
  await sim.done;
});

test("a chat message raises the unread count, opening clears it, a reply reaches the broker", async (page) => {
  await connected(page);
  const room = `chat/e2e${runId}`;
  await publish(room, JSON.stringify({ from: "ada", text: "are you there?", ts: Date.now() }));
  await until("the unread badge", async () => (await page.textContent(tid("unread-total"))) === "1");
  await page.waitForSelector(tid("toast"));
  const sub = sb(["sub", "-L", MQTT, "-t", room, "-C", "1", "-W", "30"]);
  await new Promise((r) => setTimeout(r, 1000));
  await page.click(tid("nav-notifications"));
  await page.click(`${tid("conversation")}[data-topic="${room}"]`);
  await until("the badge to clear", async () => await page.isHidden(tid("unread-total")));
  await page.fill(tid("reply-box"), "on my way");
  await page.click(tid("reply-send"));
  const got = await sub.done;
  const reply = JSON.parse(got.out.trim());
  if (reply.text !== "on my way" || reply.from !== "me") throw new Error(`reply was ${got.out}`);
  await until("the reply bubble", async () => (await page.textContent(tid("bubbles"))).includes("on my way"));
});

test("a dashboard switch publishes and a value widget updates", async (page) => {
  await connected(page);
  const sim = sb(["sim", "-L", MQTT, "--devices", "1", "--rate", "4", "--rooms", ""], { timeoutMs: 120_000 });
  await page.click(tid("nav-dashboards"));
  const value = `${tid("widget")}[data-widget="w1"] ${tid("widget-value")}`;
  await until("the temperature widget to show a number", async () => /\d/.test(await page.textContent(value)), 20_000);
  const sw = `${tid("widget")}[data-widget="w4"] ${tid("widget-switch")}`;
  const before = await page.getAttribute(sw, "aria-checked");
  await page.click(sw);
  await until("the device to report the new LED state", async () => (await page.getAttribute(sw, "aria-checked")) !== before, 20_000);
  sim.child.kill("SIGINT");
  await sim.done;
});

test("a payload of markup shows as text", async (page) => {
  await connected(page);
  const xss = '<img src=x onerror="window.__xss=1">';
  const room = `chat/xss${runId}`;
  await publish(room, xss);
  await page.click(tid("nav-notifications"));
  await page.click(`${tid("conversation")}[data-topic="${room}"]`);
  await until("the bubble", async () => (await page.textContent(tid("bubbles"))).includes("<img src=x"));
  await page.click(tid("nav-explorer"));
  await page.click(tid("tab-log"));
  await until("the log row", async () => (await page.textContent(tid("message-log"))).includes("onerror"));
  if (await page.evaluate(() => window.__xss !== undefined)) throw new Error("window.__xss was set");
  if ((await page.$$("main img")).length) throw new Error("an <img> element was created");
});

test("an embed URL renders the devices view alone", async (page, context) => {
  const sim = sb(["sim", "-L", MQTT, "--devices", "2", "--rate", "8", "--rooms", ""], { timeoutMs: 120_000 });
  const embed = await context.newPage();
  await embed.goto(`${APP}#/embed/devices?url=${encodeURIComponent(WS)}&filter=devices/+/status`);
  await embed.waitForSelector(tid("embed"));
  await until("device tiles in the embed", async () => (await embed.$$(tid("device-tile"))).length >= 2, 20_000);
  if (await embed.$(".site-header")) throw new Error("the embed shows the site header");
  if (await embed.$(tid("status-bar"))) throw new Error("the embed shows the status bar");
  await embed.screenshot({ path: path.join(SHOTS, "embed-devices-only.png") });
  await embed.close();
  sim.child.kill("SIGINT");
  await sim.done;
});

test("a reload keeps profiles and dashboards", async (page) => {
  await page.click(tid("nav-connections"));
  await page.click(tid("new-profile"));
  await page.fill(tid("pf-name"), "Kept across reloads");
  await page.fill(tid("pf-urls"), WS);
  await page.click(tid("pf-save"));
  await page.click(tid("nav-dashboards"));
  await page.click(tid("dash-edit"));
  await page.click(tid("add-widget"));
  await page.fill(tid("w-topic"), `e2e/${runId}/kept`);
  await page.click(tid("w-save"));
  await page.reload();
  await page.waitForSelector(tid("status-bar"));
  await page.click(tid("nav-connections"));
  await page.waitForSelector(`${tid("profile")}[data-name="Kept across reloads"]`);
  await page.click(tid("nav-dashboards"));
  await until("the added widget", async () => (await page.$$(tid("widget"))).length === 6);
});

// --- run -------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
for (const t of tests.filter((t) => t.name.includes(only))) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const started = Date.now();
  let page;
  try {
    page = await open(context);
    await t.fn(page, context);
    if (page.errors.length) throw new Error(`errors in the page: ${page.errors.join(" | ")}`);
    passed++;
    console.log(`test ${t.name} ... ok (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  } catch (e) {
    failed++;
    console.log(`test ${t.name} ... FAILED\n  ${e && e.stack ? e.stack : e}`);
  } finally {
    const file = t.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase() + ".png";
    if (page) await page.screenshot({ path: path.join(SHOTS, file) }).catch(() => {});
    await context.close();
  }
}
await browser.close();
console.log(`test result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed; 0 ignored (end-to-end; screenshots in ${SHOTS})`);
process.exit(failed ? 1 : 0);
