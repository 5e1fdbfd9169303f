// gomap explore: draws the live map that the server holds. Plain JS, no
// dependencies; every number on the page comes from /api/state or /api/op.
"use strict";

const $ = (id) => document.getElementById(id);
const HEAT_OVER = 256; // past this many buckets: heat map plus a zoomed range
const ZOOM = 64; // buckets shown when zooming into the heat map

let state = null; // the last /api/state
let did = null; // what the last op did
let page = null; // [from, to] while zoomed, else null
let showRange = false;
let lastDraw = { fetchMs: 0, drawMs: 0 };

const STATES = ["emptyRest", "emptyOne", "evacuatedX", "evacuatedY", "evacuatedEmpty"];
const STATE_CLASS = ["s-rest", "s-one", "s-evx", "s-evy", "s-eve"];
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const human = (b) => (b >= 1 << 20 ? (b / (1 << 20)).toFixed(1) + " MiB" : b >= 1024 ? (b / 1024).toFixed(1) + " KiB" : b + " B");
const pageQuery = () => (page ? `?from=${page[0]}&to=${page[1]}` : "");

function showError(msg) {
  const e = $("error");
  e.textContent = msg;
  e.hidden = false;
}
function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

async function api(path, opts) {
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    throw new Error("the server did not answer (is gomap explore still running?)");
  }
  const text = await r.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new Error(`HTTP ${r.status}: ${text.slice(0, 200)}`);
  }
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

async function loadState() {
  const t0 = performance.now();
  const s = await api("/api/state" + pageQuery());
  const t1 = performance.now();
  state = s;
  render();
  lastDraw = { fetchMs: t1 - t0, drawMs: performance.now() - t1 };
  document.body.dataset.loadMs = String(Math.round(performance.now() - t0));
}

// Runs one op; `bodyText` is the JSON text (built by hand where a u64 must
// keep all 64 bits, which a JS number cannot).
async function op(bodyText) {
  clearError();
  $("busy").hidden = false;
  try {
    const r = await api("/api/op" + pageQuery(), { method: "POST", headers: { "Content-Type": "application/json" }, body: bodyText });
    const prevOld = state && state.old;
    state = r.state;
    did = r.did;
    if (did.op === "reset") page = null;
    document.querySelectorAll(".fly").forEach((e) => e.remove()); // the previous op's moves
    render();
    animate(did, prevOld);
    return r;
  } catch (e) {
    showError(e.message);
    return null;
  } finally {
    $("busy").hidden = true;
  }
}

// A key or value typed by the user, as JSON text for the map's type.
function typed(text, type, what) {
  text = text.trim();
  if (type === "string") return JSON.stringify(text);
  if (/^[0-9]{1,20}$/.test(text)) return text; // the server checks the u64 range
  // Sent as a string on purpose: the server explains what a u64 key is.
  return JSON.stringify(text);
}

function keyBody(opName) {
  const k = $("key").value;
  if (k.trim() === "") {
    showError("type a key first");
    return null;
  }
  let body = `{"op":"${opName}","key":${typed(k, state.types.key)}`;
  const v = $("value").value;
  if (opName === "insert" && v.trim() !== "") body += `,"value":${typed(v, state.types.value === "string" ? "string" : "u64")}`;
  return body + "}";
}

// ---------------------------------------------------------------- drawing

function render() {
  if (!state) return;
  const t = state.types;
  $("types").textContent = `GoMap<${t.key_rust}, ${t.value_rust}>`;
  $("rkey").value = t.key;
  $("rvalue").value = t.value;
  renderHeader();
  renderSummary();
  renderArrays();
  renderDid();
  renderChart();
  renderHeapWalk();
}

const MEANING = {
  count: "entries in the map",
  flags: "Go: 1 iterator, 2 oldIterator, 8 sameSizeGrow (4 hashWriting is not needed in Rust); ours also: 16 inline bucket, 32 growth or retire work pending, 64 huge pages asked (set_huge_pages)",
  B: "log2 of the bucket count: 2^B buckets",
  noverflow: "overflow buckets made (approx. when B >= 16)",
  hash0: "hash seed (here: the hasher value)",
  buckets: "the current bucket array",
  oldbuckets: "the array being evacuated, while growing",
  nevacuate: "old buckets below this are all moved",
  extra: "overflow bookkeeping (mapextra)",
};

function renderHeader() {
  const h = state.header;
  const value = {
    count: h.count,
    flags: "0x" + h.flags.toString(16).padStart(2, "0"),
    B: h.B,
    noverflow: h.noverflow,
    hash0: "(seed)",
    buckets: h.buckets,
    oldbuckets: h.oldbuckets,
    nevacuate: h.nevacuate,
    extra: "",
  };
  let rows = "<tr><th>field</th><th>value</th><th title='byte offset +size in the hmap of 64-bit Go'>Go offset</th><th title='byte offset +size in this GoMap value'>our offset</th><th>meaning</th></tr>";
  for (const f of state.header_layout.fields) {
    const ours = f.offset === null ? "&ndash;" : `${f.offset} +${f.size}`;
    rows += `<tr><td><code>${f.name}</code></td><td id="hdr-${f.name}" class="num">${esc(value[f.name])}</td><td class="num">${f.go_offset} +${f.go_size}</td><td class="num">${ours}</td><td class="hint">${MEANING[f.name] || ""}</td></tr>`;
  }
  $("header").innerHTML = rows;
  $("header-size").textContent = `This GoMap value is ${state.header_layout.size} bytes; Go's hmap is ${state.header_layout.go_size}. The bucket is ${state.layout.bucket_size} bytes.`;
}

function renderSummary() {
  const s = state.stats;
  const h = state.header;
  let grow = "";
  if (h.growing) {
    grow = ` <span class="growing">growing (${h.same_size_grow ? "same-size: compacting overflow chains" : "doubling"}): ${h.nevacuate} of ${s.old_buckets} old buckets passed by nevacuate</span>`;
    if (h.same_size_grow) grow += `<br><span class="hint">Removes leave empty slots, and Go never unlinks an overflow bucket, so churn grows chains of half-empty buckets. Once noverflow reaches 2^min(B, 15) (here ${2 ** Math.min(s.b, 15)}), the next new key starts a same-size growth: a fresh array of the same size (its noverflow starts again at 0), and evacuation packs each chain's entries into it.</span>`;
  }
  const load = s.buckets ? (s.len / s.buckets).toFixed(2) : "0";
  $("summary").innerHTML =
    `<span id="sum-buckets" class="big">${s.buckets}</span> buckets (B = ${s.b}), ` +
    `<span id="sum-entries" class="big">${s.len}</span> entries, ` +
    `${s.overflow_buckets} overflow bucket${s.overflow_buckets === 1 ? "" : "s"}, ` +
    `load ${load} entries a bucket (Go grows past 6.5), capacity ${s.capacity}, heap ${human(s.heap_bytes)}.` +
    grow;
  $("legend").innerHTML =
    '<span class="chip s-full">full: tophash &ge; 5, key below</span>' +
    '<span class="chip s-one">emptyOne (1)</span><span class="chip s-rest">emptyRest (0): rest of chain empty</span>' +
    '<span class="chip s-evx">evacuatedX (2)</span><span class="chip s-evy">evacuatedY (3)</span><span class="chip s-eve">evacuatedEmpty (4)</span>' +
    '<span class="chip pool">pre-allocated overflow bucket</span>';
}

// One slot cell.
function slot(arr, bi, depth, si, b) {
  const th = b.tophash[si];
  const cls = th >= 5 ? "s-full" : STATE_CLASS[th];
  const key = b.keys[si];
  const title = th >= 5 ? `slot ${si}: tophash ${th}, key ${key}, value ${b.values[si]}` : `slot ${si}: ${STATES[th]} (${th})`;
  const label = th >= 5 ? esc(key === null ? "?" : key) : "";
  return `<div class="slot ${cls}" data-a="${arr}" data-b="${bi}" data-d="${depth}" data-s="${si}" title="${esc(title)}"><span class="th">${th}</span><span class="k">${label}</span></div>`;
}

function arrayHtml(a, arr, title, nevacuate) {
  if (!a) return "";
  let html = `<h3>${title} <span class="hint">${a.count} buckets at ${a.addr}${a.from > 0 || a.to < a.count ? `, showing ${a.from}..${a.to}` : ""}</span></h3>`;
  const rows = [];
  for (const c of a.chains) {
    let row = "";
    if (nevacuate !== null && c.index === nevacuate) rows.push(`<div class="nevac">&#9660; nevacuate = ${nevacuate}: old buckets above are all moved</div>`);
    const evac = arr === "old" && c.buckets[0].tophash[0] >= 2 && c.buckets[0].tophash[0] <= 4;
    row += `<div class="chain${evac ? " evacuated" : ""}" data-a="${arr}" data-b="${c.index}"><span class="idx">${c.index}</span>`;
    c.buckets.forEach((b, d) => {
      if (d > 0) row += '<span class="arrow">&rarr;</span>';
      const kind = d === 0 ? "" : b.in_array ? " pool" : " ovf";
      const tip = d === 0 ? `bucket ${c.index} at ${b.addr}` : `overflow bucket at ${b.addr}${b.in_array ? " (from the pre-allocated pool)" : " (allocated on its own)"}`;
      row += `<div class="bucket${kind}" title="${tip}">`;
      for (let s = 0; s < 8; s++) row += slot(arr, c.index, d, s, b);
      row += "</div>";
    });
    if (evac) row += '<span class="hint moved"> moved</span>';
    rows.push(row + "</div>");
  }
  if (nevacuate !== null && nevacuate >= a.to && a.to === a.count) rows.push(`<div class="nevac">&#9650; nevacuate = ${nevacuate}: every old bucket is moved</div>`);
  return html + rows.join("");
}

function renderArrays() {
  const cur = state.current;
  const old = state.old;
  const n = cur ? cur.count : 0;
  const heat = n > HEAT_OVER;
  $("heat-panel").hidden = !heat;
  if (heat) drawHeat(cur, old);
  if (!cur) {
    $("new-view").innerHTML = '<p class="hint">No bucket array yet: GoMap::new() allocates nothing; the first insert allocates one bucket (B = 0).</p>';
    $("old-view").innerHTML = "";
    $("pool").innerHTML = "";
    return;
  }
  const nev = state.header.nevacuate;
  // Narrow the slots when long overflow chains would push the new array out
  // of view: old and new stay side by side.
  const longest = (a) => (a ? Math.max(1, ...a.chains.map((c) => c.buckets.length)) : 0);
  const units = longest(old) + longest(cur);
  const avail = ($("array-views").clientWidth || 1300) - 60 * (old ? 2 : 1) - (old ? 260 : 0) - 24 * units;
  const slotW = Math.max(24, Math.min(44, Math.floor(avail / (8 * units))));
  $("array-views").style.setProperty("--slot-w", slotW + "px");
  $("array-views").classList.toggle("narrow", slotW < 36);
  $("array-views").classList.remove("tiny");
  $("old-view").innerHTML = old ? arrayHtml(old, "old", `old array (B = ${old.B})`, nev) : "";
  $("old-view").hidden = !old;
  $("new-view").innerHTML = arrayHtml(cur, "new", old ? `new array (B = ${cur.B})` : `bucket array (B = ${cur.B})`, null);
  const s = state.stats;
  if (s.preallocated_overflow > 0) {
    const used = s.preallocated_overflow - s.free_preallocated_overflow;
    let boxes = "";
    for (let i = 0; i < Math.min(s.preallocated_overflow, 512); i++) boxes += `<span class="poolbox${i < used ? " used" : ""}"></span>`;
    $("pool").innerHTML = `<h3>Pre-allocated overflow pool</h3><p class="hint">For B &ge; 4 the array carries 2^(B-4) = ${s.preallocated_overflow} spare buckets at its tail; overflow buckets come from here first. ${used} in use, ${s.free_preallocated_overflow} free.</p>${boxes}`;
  } else {
    $("pool").innerHTML = '<p class="hint">No pre-allocated overflow pool (it exists for B &ge; 4): every overflow bucket is allocated on its own.</p>';
  }
  // The estimate above is rough (labels, arrows): narrow further until the
  // new array ends inside the panel.
  const views = $("array-views");
  let w = slotW;
  while (w > 16 && $("new-view").getBoundingClientRect().right > views.getBoundingClientRect().right + 0.5) {
    w -= 2;
    views.style.setProperty("--slot-w", w + "px");
    views.classList.toggle("narrow", w < 36);
    views.classList.toggle("tiny", w < 24); // keys only in tooltips
  }
  if (showRange) drawRange();
}

function drawHeat(cur, old) {
  const cv = $("heat");
  const ctx = cv.getContext("2d");
  const arrays = old ? [["new", cur], ["old", old]] : [["new", cur]];
  const cols = 256;
  const rowsFor = (a) => Math.ceil(a.heat.entries.length / cols);
  const cell = 4;
  const h = arrays.reduce((acc, [, a]) => acc + rowsFor(a) * cell + 14, 0);
  cv.width = cols * cell;
  cv.height = h;
  ctx.clearRect(0, 0, cv.width, cv.height);
  let y = 0;
  for (const [name, a] of arrays) {
    ctx.fillStyle = "#333";
    ctx.font = "11px sans-serif";
    ctx.fillText(`${name} array: ${a.count} buckets, ${a.heat.group} a cell`, 2, y + 10);
    y += 14;
    const per = 8 * a.heat.group;
    a.heat.entries.forEach((e, i) => {
      // Fuller is darker; green while chains are single buckets, turning
      // orange to red as overflow buckets per bucket grow.
      const f = Math.min(1, e / per);
      const o = Math.min(1, a.heat.overflow[i] / a.heat.group);
      const base = [60 + 170 * o, 160 - 100 * o, 60 - 20 * o];
      const rgb = base.map((c) => Math.round(255 - (255 - c) * (0.25 + 0.75 * f)));
      ctx.fillStyle = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
      ctx.fillRect((i % cols) * cell, y + Math.floor(i / cols) * cell, cell - 0.5, cell - 0.5);
    });
    if (page && name === "new") {
      ctx.strokeStyle = "#d00";
      const c0 = Math.floor(page[0] / a.heat.group);
      const c1 = Math.ceil(page[1] / a.heat.group);
      for (let i = c0; i < c1; i++) ctx.strokeRect((i % cols) * cell, y + Math.floor(i / cols) * cell, cell, cell);
    }
    cv.dataset[name + "Top"] = String(y);
    cv.dataset[name + "Group"] = String(a.heat.group);
    y += rowsFor(a) * cell;
  }
  $("heat-hint").textContent = `${cur.count} buckets are too many to draw slot by slot: each cell is ${cur.heat.group} bucket(s), darker = fuller; green: no overflow buckets, orange to red: more overflow buckets per bucket (chains). Click a cell to zoom into ${ZOOM} buckets. Showing buckets ${cur.from}..${cur.to}.`;
  $("zoom-from").value = cur.from;
  $("zoom-to").value = cur.to;
}

function renderDid() {
  if (!did) return;
  const d = did;
  let html = "";
  if (d.op === "insert" || d.op === "remove" || d.op === "get") {
    html += `<p><b>${d.op}</b> key <code>${esc(d.key)}</code>: hash <code>${d.hash}</code>, B = ${d.B}, so bucket = low ${d.B} bit${d.B === 1 ? "" : "s"} = <b>${d.bucket}</b>; tophash = top 8 bits = <b>${d.tophash}</b>${d.tophash_raised ? " (raised by 5: values below 5 mean slot states)" : ""}.`;
    if (d.old_bucket !== undefined) html += ` While growing, its old bucket is ${d.old_bucket} (low ${d.old_B} bits).`;
    html += "</p>";
    if (d.slot) {
      const where = `${d.slot.array} array, bucket ${d.slot.bucket}${d.slot.depth ? `, overflow bucket ${d.slot.depth} of its chain` : ""}, slot ${d.slot.slot}`;
      if (d.op === "insert") html += `<p>${d.replaced !== null ? `The key was there: value replaced (was ${esc(d.replaced)}). ` : ""}It is in the ${where}.</p>`;
      if (d.op === "remove") html += `<p>Removed from the ${where}${d.removed === null ? "" : ` (value ${esc(d.removed)})`}; the slot is now emptyOne, or emptyRest if nothing follows.</p>`;
      if (d.op === "get") html += `<p>Found in the ${where}: value ${esc(d.found)}. A read does no growth work.</p>`;
    } else if (d.op === "get") html += "<p>Not found.</p>";
    else if (d.op === "remove") html += "<p>Not in the map: nothing removed (a remove still does growth work).</p>";
    if (d.growth) {
      if (d.growth.started) html += `<p class="growing">This write started a ${d.growth.started} growth: B ${d.growth.B_before} &rarr; ${d.growth.B_after}, a new array of ${2 ** d.growth.B_after} buckets. The old array is evacuated by this write and later ones, at most two old buckets a write (Go's growWork).</p>`;
      if (d.growth.finished) html += '<p class="growing">This write finished the evacuation: the old array was freed.</p>';
      if (d.nevacuate_before !== d.nevacuate_after) html += `<p>nevacuate ${d.nevacuate_before} &rarr; ${d.nevacuate_after}.</p>`;
    }
    if (d.evacuated && d.evacuated.length) {
      html += "<p>Evacuated by this write (Go's growWork: the key's old bucket, then the one at nevacuate):</p><ul>";
      for (const e of d.evacuated) {
        const moves = e.entries === null ? "entries not tracked" : e.entries.length === 0 ? "it was empty" : e.entries.map((m) => `<code>${esc(m.key)}</code> &rarr; ${m.half}${m.to ? ` (bucket ${m.to.bucket}, slot ${m.to.slot})` : ""}`).join(", ");
        html += `<li>old bucket ${e.old_bucket} &rarr; X = new bucket ${e.x}${e.y !== null ? `, Y = new bucket ${e.y}` : ""}: ${moves}</li>`;
      }
      html += "</ul>";
    }
    if (d.overflow && d.overflow.length) html += `<p>New overflow bucket${d.overflow.length > 1 ? "s" : ""}: ${d.overflow.map((o) => `after bucket ${o.bucket} (${o.from_pool ? "taken from the pre-allocated pool" : "allocated on its own"})`).join(", ")}.</p>`;
    if (d.heap_bytes_before !== undefined && d.heap_bytes_before !== d.heap_bytes_after) html += `<p>Heap ${human(d.heap_bytes_before)} &rarr; ${human(d.heap_bytes_after)}.</p>`;
    $("hashbits").innerHTML = hashBits(d);
  } else {
    $("hashbits").innerHTML = "";
    if (d.op === "fill" || d.op === "churn") {
      html += `<p><b>${d.op}</b>: ${d.done} of ${d.requested} ${d.op === "fill" ? "inserts" : "remove+insert pairs"} (writes ${d.writes[0]}..${d.writes[1]})${d.stopped_at === "entry_cap" ? ", stopped at the server's cap on entries" : d.stopped_at ? `, stopped at the first ${d.stopped_at.replace(/_/g, " ")}` : ""}. ${d.growths_started} growth(s) started, ${d.old_arrays_freed} old array(s) freed; ${d.len} entries.</p>`;
      if (d.growths.length) html += "<ul>" + d.growths.slice(-8).map((g) => `<li>write ${g.write}: ${g.kind} growth, B ${g.B_before} &rarr; ${g.B_after}, ${g.len} entries</li>`).join("") + "</ul>";
    } else if (d.op === "range") {
      html += `<p><b>range</b> with deletes (through <code>cursor()</code>): ${d.yielded} entries yielded, ${d.removed.length} removed while ranging, ${d.inserted} inserted while ranging; ${d.len} left. Go's rules: every entry present throughout is yielded once; a removed entry not yet reached is not yielded.</p>`;
      html += `<p class="order">Order (small number: the bucket the entry was in when the range began; &#x2717;: removed while ranging): ${d.order.slice(0, 60).map((o) => `<code>${esc(o.key)}</code>${o.was_at ? `<sub>${o.was_at.bucket}</sub>` : ""}${d.removed.includes(o.key) ? "&#x2717;" : ""}`).join(" ")}${d.order.length > 60 ? " &hellip;" : ""}</p>`;
    } else if (d.op === "clear") html += `<p><b>clear</b>: ${d.removed} entries removed; the bucket array is kept (B = ${d.B_after}), as Go's mapclear.</p>`;
    else if (d.op === "reset") html += `<p><b>reset</b>: a new empty GoMap&lt;${d.key}, ${d.value}&gt;.</p>`;
  }
  $("did").innerHTML = html;
}

function hashBits(d) {
  const bits = d.hash_bits;
  const B = d.B;
  let out = '<div class="bits" title="the 64-bit hash: top 8 bits give the tophash, low B bits give the bucket">';
  for (let i = 0; i < 64; i++) {
    const cls = i < 8 ? "top" : i >= 64 - B ? "low" : "";
    out += `<span class="${cls}">${bits[i]}</span>`;
    if (i % 8 === 7) out += " ";
  }
  out += "</div>";
  out += `<div class="bits-legend"><span class="chip topc">top 8 bits = ${parseInt(bits.slice(0, 8), 2)} &rarr; tophash ${d.tophash}</span> <span class="chip lowc">low ${B} bit${B === 1 ? "" : "s"} = ${B ? parseInt(bits.slice(64 - B), 2) : 0} &rarr; bucket ${d.bucket}</span></div>`;
  return out;
}

function cellEl(arr, b, depth, s) {
  return document.querySelector(`.slot[data-a="${arr}"][data-b="${b}"][data-d="${depth}"][data-s="${s}"]`);
}

// The last write's evacuations: each moved key flies from its old slot to
// its X or Y slot; the key's own slot flashes.
function animate(d, prevOld) {
  if (d.slot) {
    const el = cellEl(d.slot.array, d.slot.bucket, d.slot.depth, d.slot.slot);
    if (el) el.classList.add("flash");
  }
  if (!d.evacuated) return;
  for (const e of d.evacuated) {
    const chain = document.querySelector(`.chain[data-a="old"][data-b="${e.old_bucket}"]`);
    if (chain) {
      chain.classList.add("justmoved");
      const note = chain.querySelector(".moved");
      if (note) note.textContent = ` moved by this write: X \u2192 ${e.x}${e.y !== null ? `, Y \u2192 ${e.y}` : ""}`;
    }
    if (!e.entries) continue;
    for (const m of e.entries) {
      if (!m.to) continue;
      const dst = cellEl(m.to.array, m.to.bucket, m.to.depth, m.to.slot);
      if (!dst) continue;
      dst.classList.add(m.half === "Y" ? "arrive-y" : "arrive-x");
      dst.insertAdjacentHTML("beforeend", `<span class="xy">${m.half}</span>`);
      const src = cellEl("old", m.from.bucket, 0, m.from.slot) || document.querySelector(`.chain[data-a="old"][data-b="${m.from.bucket}"]`);
      if (!src) continue;
      const a = src.getBoundingClientRect();
      const b = dst.getBoundingClientRect();
      const fly = document.createElement("div");
      fly.className = "fly " + (m.half === "Y" ? "fly-y" : "fly-x");
      fly.textContent = m.key;
      fly.style.left = a.left + window.scrollX + "px";
      fly.style.top = a.top + window.scrollY + "px";
      document.body.appendChild(fly);
      requestAnimationFrame(() => {
        fly.style.transform = `translate(${b.left - a.left}px, ${b.top - a.top}px)`;
        fly.style.opacity = "0.2";
      });
      setTimeout(() => fly.remove(), 1300);
    }
  }
}

function drawRange() {
  document.querySelectorAll(".ord").forEach((e) => e.remove());
  const o = state.range_order;
  if (!o) {
    $("range-note").textContent = "The map is too large to list an iteration order (over 4096 entries).";
    return;
  }
  o.forEach(([old, b, d, s], i) => {
    const el = cellEl(old ? "old" : "new", b, d, s);
    if (el) el.insertAdjacentHTML("beforeend", `<span class="ord${i === 0 ? " first" : ""}">${i + 1}</span>`);
  });
  $("range-note").textContent = o.length ? `One range visits ${o.length} entries. Go picks a random start bucket (the red 1) and a random slot offset: every bucket is read from that same offset, wrapping around its 8 slots, then the walk moves to the next bucket and wraps around the array. Press again for another random start.` : "The map is empty.";
}

function renderChart() {
  const svg = $("chart");
  const pts = state.history;
  const W = 960, H = 220, L = 70, R = 10, T = 10, B = 30;
  if (pts.length < 2) {
    svg.innerHTML = `<text x="${L}" y="40" class="axis">Writes will draw heap bytes here.</text>`;
    return;
  }
  const xmax = Math.max(1, pts[pts.length - 1].write) * 1.04; // room for the last step
  const ymax = Math.max(1, ...pts.map((p) => p.heap_bytes));
  const x = (w) => L + ((W - L - R) * w) / xmax;
  const y = (b) => T + (H - T - B) * (1 - b / ymax);
  let s = "";
  s += `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" class="ax"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" class="ax"/>`;
  s += `<text x="${L - 4}" y="${T + 8}" text-anchor="end" class="axis">${human(ymax)}</text><text x="${L - 4}" y="${H - B}" text-anchor="end" class="axis">0</text>`;
  s += `<text x="${W - R}" y="${H - 8}" text-anchor="end" class="axis">write ${pts[pts.length - 1].write}</text><text x="${L}" y="${H - 8}" class="axis">writes (inserts and removes) &rarr;</text>`;
  let path = "";
  let prev = null;
  for (const p of pts) {
    // heap bytes change at a write: draw steps
    if (prev) path += ` L${x(p.write).toFixed(1)},${y(prev.heap_bytes).toFixed(1)}`;
    path += `${path ? " L" : "M"}${x(p.write).toFixed(1)},${y(p.heap_bytes).toFixed(1)}`;
    prev = p;
  }
  s += `<path d="${path}" class="heapline"/>`;
  for (const p of pts) {
    if (!p.event || p.event === "first-array") continue;
    const cls = p.event.startsWith("grow") ? "ev-grow" : p.event === "old-freed" ? "ev-free" : "ev-clear";
    s += `<line x1="${x(p.write)}" y1="${T}" x2="${x(p.write)}" y2="${H - B}" class="${cls}"><title>write ${p.write}: ${p.event} (B = ${p.B}, ${p.len} entries, ${human(p.heap_bytes)})</title></line>`;
  }
  s += `<g class="axis"><rect x="${L + 10}" y="${T + 2}" width="10" height="3" class="ev-grow-k"/><text x="${L + 24}" y="${T + 8}">growth starts (new array, old one kept)</text><rect x="${L + 290}" y="${T + 2}" width="10" height="3" class="ev-free-k"/><text x="${L + 304}" y="${T + 8}">old array freed</text></g>`;
  svg.innerHTML = s;
}

function renderHeapWalk() {
  const w = state.heap_walk;
  // GoMap::heap_walk(): Go's GC marking order; `parent` is the index of the
  // object whose pointer leads here (none for the map value itself).
  let rows = "<tr><th>#</th><th>kind</th><th>address</th><th>bytes</th><th>reached from</th></tr>";
  w.slice(0, 200).forEach((o, i) => {
    const parent = o.parent === null ? "&ndash; (the map variable)" : `#${o.parent + 1} ${esc(w[o.parent].kind)}`;
    rows += `<tr><td>${i + 1}</td><td>${esc(o.kind)}</td><td><code>${esc(o.addr)}</code></td><td class="num">${o.size}</td><td>${parent}</td></tr>`;
  });
  $("heapwalk").innerHTML = `<table class="grid">${rows}</table>${w.length > 200 ? `<p class="hint">first 200 of ${w.length}</p>` : ""}`;
}

// ---------------------------------------------------------------- layout lab

async function loadLab() {
  try {
    const r = await api(`/api/layout?key=${encodeURIComponent($("lab-key").value || "u64")}&value=${encodeURIComponent($("lab-value").value || "u64")}`);
    if (!$("lab-key").options.length) {
      for (const sel of ["lab-key", "lab-value"]) $(sel).innerHTML = r.menu.map((m) => `<option>${m}</option>`).join("");
      $("lab-key").value = "u64";
      $("lab-value").value = "u64";
    }
    const l = r.layout;
    const total = l.bucket_size;
    let bar = "";
    for (const g of r.regions) {
      const cls = g.field === "padding" ? "r-pad" : "r-" + g.field;
      bar += `<div class="region ${cls}" style="flex:${g.size}" title="${esc(g.field)} at ${g.offset}, ${g.size} bytes: ${esc(g.note)}"><span>${esc(g.field)}</span><small>@${g.offset}</small></div>`;
    }
    let rows = "<tr><th>offset</th><th>bytes</th><th>field</th><th>what</th></tr>";
    for (const g of r.regions) rows += `<tr><td class="num">${g.offset}</td><td class="num">${g.size}</td><td>${esc(g.field)}</td><td class="hint">${esc(g.note)}</td></tr>`;
    $("lab-out").innerHTML =
      `<p><code>GoMap&lt;${esc(r.key)}, ${esc(r.value)}&gt;</code>: one bucket is <b id="lab-size">${total} bytes</b>, aligned to ${l.bucket_align}; ${l.padding} bytes of padding.${l.indirect_key ? " Keys are over 128 bytes: the bucket holds pointers to them." : ""}${l.indirect_value ? " Values are over 128 bytes: the bucket holds pointers to them (Go's indirect elem)." : ""}</p>` +
      `<div class="layoutbar">${bar}</div><table class="grid">${rows}</table>`;
  } catch (e) {
    showError(e.message);
  }
}

// ---------------------------------------------------------------- wiring

async function preset(name) {
  const t = state.types;
  switch (name) {
    case "first-growth":
      await op(`{"op":"reset","key":"${t.key}","value":"${t.value === "big" ? "u64" : t.value}"}`);
      await op('{"op":"fill","n":1000,"until":"growth"}');
      break;
    case "evacuation":
      await op(`{"op":"reset","key":"${t.key}","value":"${t.value === "big" ? "u64" : t.value}"}`);
      await op('{"op":"fill","n":100}');
      await op('{"op":"fill","n":1000,"until":"growth"}');
      break;
    case "same-size":
      await op(`{"op":"reset","key":"${t.key}","value":"u64"}`);
      await op('{"op":"fill","n":100}');
      await op('{"op":"churn","n":1000000,"until":"same_size_growth"}');
      break;
    case "indirect":
      await op(`{"op":"reset","key":"${t.key}","value":"big"}`);
      await op('{"op":"fill","n":20}');
      $("lab-key").value = t.key;
      $("lab-value").value = "big";
      await loadLab();
      break;
    case "range-delete":
      await op(`{"op":"reset","key":"${t.key}","value":"u64"}`);
      await op('{"op":"fill","n":40}');
      await op('{"op":"range","remove_every":2}');
      break;
  }
}

function wire() {
  $("insert").onclick = () => { const b = keyBody("insert"); if (b) op(b); };
  $("get").onclick = () => { const b = keyBody("get"); if (b) op(b); };
  $("remove").onclick = () => { const b = keyBody("remove"); if (b) op(b); };
  $("key").addEventListener("keydown", (e) => { if (e.key === "Enter") $("insert").click(); });
  $("step").onclick = () => op('{"op":"insert_next"}');
  $("until-growth").onclick = () => op('{"op":"fill","n":1000000,"until":"growth"}');
  const n = () => {
    const v = $("n").value.trim();
    return /^[0-9]{1,9}$/.test(v) ? v : JSON.stringify(v);
  };
  $("fill").onclick = () => op(`{"op":"fill","n":${n()}}`);
  $("churn").onclick = () => op(`{"op":"churn","n":${n()}}`);
  $("clear").onclick = () => op('{"op":"clear"}');
  $("reset").onclick = () => op(`{"op":"reset","key":"${$("rkey").value}","value":"${$("rvalue").value}"}`);
  document.querySelectorAll("[data-preset]").forEach((b) => (b.onclick = () => preset(b.dataset.preset)));
  $("show-range").onclick = async () => { showRange = true; await loadState(); };
  $("hide-range").onclick = () => { showRange = false; render(); $("range-note").textContent = ""; };
  $("lab-key").onchange = loadLab;
  $("lab-value").onchange = loadLab;
  $("zoom").onclick = () => {
    const f = parseInt($("zoom-from").value, 10);
    const t = parseInt($("zoom-to").value, 10);
    if (!(f >= 0 && t > f)) return showError("zoom: from and to must be bucket indexes with to > from");
    page = [f, Math.min(t, f + 1024)];
    loadState().catch((e) => showError(e.message));
  };
  $("heat").onclick = (ev) => {
    const cv = $("heat");
    const r = cv.getBoundingClientRect();
    const px = ((ev.clientX - r.left) * cv.width) / r.width;
    const py = ((ev.clientY - r.top) * cv.height) / r.height - Number(cv.dataset.newTop || 0);
    if (py < 0) return;
    const cellIdx = Math.floor(py / 4) * 256 + Math.floor(px / 4);
    const g = Number(cv.dataset.newGroup || 1);
    const at = cellIdx * g;
    const n = state.current ? state.current.count : 0;
    if (at >= n) return;
    const from = Math.max(0, Math.min(n - ZOOM, at - ZOOM / 2));
    page = [from, from + ZOOM];
    loadState().catch((e) => showError(e.message));
  };
}

window.addEventListener("DOMContentLoaded", async () => {
  wire();
  try {
    await loadState();
    await loadLab();
    document.body.dataset.ready = "1";
  } catch (e) {
    showError(e.message);
  }
});
