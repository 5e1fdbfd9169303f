// Drives `gomap explore` in a real browser: Debian's chromium, headless,
// through playwright-core. Run: GOMAP_BIN=path/to/gomap node explore.test.mjs
// Env: GOMAP_BIN (required), CHROMIUM (default /usr/bin/chromium),
// SHOTS (screenshot directory, default $TMPDIR/gomap-explore-shots).
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const bin = process.env.GOMAP_BIN;
if (!bin) {
  console.error("set GOMAP_BIN to the gomap binary");
  process.exit(2);
}
const shots = process.env.SHOTS || join(tmpdir(), "gomap-explore-shots");
mkdirSync(shots, { recursive: true });

// The server prints its URL as the first line on stdout.
const server = spawn(bin, ["explore"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  const rl = createInterface({ input: server.stdout });
  rl.once("line", (l) => resolve(l.trim()));
  server.once("exit", (c) => reject(new Error(`gomap explore exited (${c}) before printing its URL`)));
  setTimeout(() => reject(new Error("no URL from gomap explore within 20 s")), 20000);
});
console.log(`server: ${url}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push(String(e)));
// The bad-input checks make the browser log their 4xx answers; those are expected.
page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text()); });

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n    ${String(e && e.stack || e).split("\n").slice(0, 4).join("\n    ")}`);
    await page.screenshot({ path: join(shots, `failed-${passed + failed}.png`), fullPage: true }).catch(() => {});
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const text = (sel) => page.locator(sel).innerText();
const waitText = (sel, want, timeout = 5000) =>
  page.waitForFunction(([s, w]) => document.querySelector(s) && document.querySelector(s).textContent.trim() === w, [sel, want], { timeout });
// Waits until the op in flight has been drawn.
const settle = () => page.waitForFunction(() => document.getElementById("busy").hidden);
const apiOp = (body) =>
  page.evaluate(async (b) => {
    const r = await fetch("/api/op", { method: "POST", body: JSON.stringify(b) });
    return { status: r.status, body: await r.json() };
  }, body);

await check("the page loads and shows an empty map", async () => {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  assert((await text("#hdr-B")) === "0", "B should be 0");
  assert((await text("#sum-entries")) === "0", "no entries");
  assert((await text("#types")).includes("GoMap<u64, u64>"), "types shown");
});

await check("inserting keys through the UI until B becomes 1: 2 buckets, 9 entries, B = 1", async () => {
  let k = 0;
  while ((await text("#hdr-B")) !== "1") {
    k++;
    assert(k <= 20, "B did not become 1 within 20 inserts");
    await page.fill("#key", String(k));
    await page.click("#insert");
    await settle();
    await waitText("#hdr-count", String(k));
  }
  assert(k === 9, `B became 1 at insert ${k}, Go's TestMapBuckets says 9`);
  assert((await text("#sum-buckets")) === "2", "2 buckets");
  assert((await text("#sum-entries")) === "9", "9 entries");
  assert((await text("#hdr-B")) === "1", "header B = 1");
  assert((await page.locator('#new-view .chain[data-a="new"]').count()) === 2, "two chains drawn");
  assert((await page.locator("#new-view .slot.s-full").count()) === 9, "nine full slots drawn");
  const did = await text("#did");
  assert(did.includes("started a doubling growth"), "the op report says a growth started: " + did);
  assert((await page.locator("#hashbits .bits .low").count()) === 1, "one low bit (B = 1) marked");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, "01-first-growth.png"), fullPage: true });
});

await check("stepping through an evacuation: nevacuate advances one write at a time", async () => {
  await page.click('[data-preset="evacuation"]');
  await settle();
  await page.waitForFunction(() => document.getElementById("old-view").textContent.includes("old array"));
  assert((await text("#hdr-B")) === "5", "B = 5 after the growth from 16 buckets");
  const seen = [Number(await text("#hdr-nevacuate"))];
  for (let i = 0; i < 4; i++) {
    await page.click("#step");
    await settle();
    await page.waitForFunction((n) => document.getElementById("did").textContent.includes("insert key"), null);
    seen.push(Number(await text("#hdr-nevacuate")));
  }
  assert(seen[seen.length - 1] > seen[0], `nevacuate should advance: ${seen.join(" -> ")}`);
  for (let i = 1; i < seen.length; i++) assert(seen[i] >= seen[i - 1], `nevacuate never goes back: ${seen.join(" -> ")}`);
  console.log(`    nevacuate over 4 writes: ${seen.join(" -> ")}`);
  assert((await page.locator(".nevac").count()) >= 1, "the nevacuate line is drawn");
  assert((await text("#did")).includes("Evacuated by this write"), "the last write lists its evacuations");
  await page.waitForTimeout(150); // mid-flight: the moved keys are on their way to X and Y
  await page.screenshot({ path: join(shots, "02-evacuation.png"), fullPage: true });
  await page.waitForTimeout(1300);
  await page.screenshot({ path: join(shots, "02b-evacuation-viewport.png") });
  await page.locator("#arrays").screenshot({ path: join(shots, "02c-evacuation-arrays.png") });
  await page.screenshot({ path: join(shots, "readme.png"), clip: { x: 0, y: 0, width: 1400, height: 1250 }, fullPage: true });
});

await check("the layout lab shows 144 bytes for u64 -> u64", async () => {
  await page.selectOption("#lab-key", "u64");
  await page.selectOption("#lab-value", "u64");
  await waitText("#lab-size", "144 bytes");
  await page.locator("#lab").screenshot({ path: join(shots, "03-layout-lab.png") });
});

await check("bad input in the key field shows an error, and the page keeps working", async () => {
  const before = await text("#hdr-count");
  await page.fill("#key", "not-a-number");
  await page.click("#insert");
  await page.waitForSelector("#error:not([hidden])");
  const msg = await text("#error");
  assert(msg.includes("key must be a whole number"), "error text: " + msg);
  assert((await text("#hdr-count")) === before, "nothing inserted");
  await page.screenshot({ path: join(shots, "04-bad-key.png") });
  await page.fill("#key", "123456789");
  await page.click("#insert");
  await settle();
  await waitText("#hdr-count", String(Number(before) + 1));
  assert(await page.locator("#error").isHidden(), "the error goes away after a good op");
});

await check("bad API input gets 4xx JSON errors and the server lives", async () => {
  const r1 = await apiOp({ op: "nope" });
  assert(r1.status === 400 && r1.body.error.includes("unknown op"), JSON.stringify(r1));
  const r2 = await apiOp({ op: "fill", n: 1000001 });
  assert(r2.status === 400, JSON.stringify(r2));
  const r3 = await page.evaluate(async () => (await fetch("/api/op", { method: "POST", body: "{" })).status);
  assert(r3 === 400, "malformed JSON: " + r3);
  const r4 = await page.evaluate(async () => (await fetch("/no/such/path")).status);
  assert(r4 === 404, "unknown path: " + r4);
  const r5 = await page.evaluate(async () => (await fetch("/api/op", { method: "POST", body: "x".repeat(70000) })).status);
  assert(r5 === 413, "big body: " + r5);
});

await check("presets run: same-size growth, indirect values, range and delete", async () => {
  await page.click('[data-preset="same-size"]');
  await settle();
  await page.waitForFunction(() => document.getElementById("did").textContent.includes("same size growth"), null, { timeout: 60000 });
  await page.screenshot({ path: join(shots, "05-same-size.png"), fullPage: true });
  const views = await page.evaluate(() => [document.getElementById("old-view"), document.getElementById("new-view")].map((e) => e.getBoundingClientRect().right));
  const width = await page.evaluate(() => document.getElementById("array-views").getBoundingClientRect().right);
  assert(views[1] <= width + 1, `the new array fits beside the old one: ${views} vs ${width}`);
  await page.click('[data-preset="indirect"]');
  await settle();
  await page.waitForFunction(() => document.getElementById("lab-out").textContent.includes("Go's indirect elem"));
  assert((await text("#types")).includes("[u8; 200]"), "value type is [u8; 200]");
  await page.click('[data-preset="range-delete"]');
  await settle();
  await page.waitForFunction(() => document.getElementById("did").textContent.includes("removed while ranging"));
  assert((await text("#sum-entries")) === "20", "40 entries, every 2nd removed while ranging");
  await page.click("#show-range");
  await page.waitForFunction(() => document.querySelectorAll(".slot .ord").length === 20);
  await page.screenshot({ path: join(shots, "06-range-order.png"), fullPage: true });
});

let loadMs = null;
await check("100,000 entries: heat map, zoom, state served and drawn (timed, not a timed assertion)", async () => {
  await apiOp({ op: "reset", key: "u64", value: "u64" });
  const f = await apiOp({ op: "fill", n: 100000 });
  assert(f.status === 200 && f.body.state.stats.len === 100000, "filled");
  // Time: fetch /api/state and draw it, then one frame so the drawing is on screen.
  const t = await page.evaluate(async () => {
    const t0 = performance.now();
    await loadState();
    await new Promise((r) => requestAnimationFrame(() => r()));
    return { total: performance.now() - t0, fetch: lastDraw.fetchMs, draw: lastDraw.drawMs };
  });
  loadMs = t.total;
  console.log(`    state for 100,000 entries served and drawn in ${t.total.toFixed(0)} ms (request + JSON: ${t.fetch.toFixed(0)} ms, drawing: ${t.draw.toFixed(0)} ms, then one frame)`);
  assert(loadMs < 5000, `sanity bound: ${loadMs} ms`);
  assert(await page.locator("#heat-panel").isVisible(), "heat map shown past 256 buckets");
  assert((await text("#sum-entries")) === "100000", "100000 entries");
  const box = await page.locator("#heat").boundingBox();
  await page.locator("#heat").click({ position: { x: box.width / 2, y: 30 } });
  await page.waitForFunction(() => document.querySelectorAll('#new-view .chain[data-a="new"]').length === 64);
  await page.screenshot({ path: join(shots, "07-heat-map.png"), fullPage: true });
});

await check("no JavaScript errors on the page", async () => {
  assert(consoleErrors.length === 0, consoleErrors.join("\n"));
});

await browser.close();
server.kill("SIGINT");
const code = await new Promise((r) => server.once("exit", (c) => r(c)));
if (code !== 0) {
  failed++;
  console.log(`not ok - Ctrl-C stops the server cleanly (exit ${code})`);
} else {
  passed++;
  console.log("ok - Ctrl-C stops the server cleanly");
}
console.log(`screenshots: ${shots}`);
if (loadMs !== null) console.log(`100k-entry state: ${loadMs.toFixed(0)} ms`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
