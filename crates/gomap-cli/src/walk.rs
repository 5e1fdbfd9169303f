//! `gomap walk`: Go's GC marking chain for a live map, measured. The
//! objects are exactly [`GoMap::heap_walk`]'s; for `String` keys and values
//! each string's own buffer is added as the last link (it belongs to the
//! key, not to the map, so `heap_walk` does not list it).

use crate::output::{addr, human_bytes};
use crate::render::xml_escape;
use crate::types::MenuType;
use crate::{CliError, Result};
use gomap::{GoMap, HeapKind, HeapObject};
use serde::Serialize;
use std::fmt::Write as _;

/// Maps with more nodes than this are summarised: the first few objects of
/// each kind are drawn, the rest counted.
pub const FULL_LIMIT: usize = 48;
/// Objects of each kind drawn when summarising.
pub const SHOWN_PER_KIND: usize = 3;

/// A string's buffer, reached through a key or value slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StringLink {
    /// Index in `objects` of the object holding the slot.
    pub holder: usize,
    /// `"key"` or `"value"`.
    pub of: &'static str,
    /// Address of the slot holding the string (its pointer is the link).
    pub slot: usize,
    /// The string's text.
    pub text: String,
    /// Address of its buffer.
    pub addr: usize,
    /// Capacity of its buffer in bytes.
    pub size: usize,
}

/// Everything `gomap walk` shows.
#[derive(Debug, Clone, Serialize)]
pub struct WalkReport {
    /// Key type.
    pub key: &'static str,
    /// Value type.
    pub value: &'static str,
    /// Entries.
    pub len: usize,
    /// log2 of the current bucket count.
    pub b: u8,
    /// A growth is in progress.
    pub growing: bool,
    /// `stats().heap_bytes`.
    pub heap_bytes: usize,
    /// Pre-allocated overflow buckets in the current array.
    pub preallocated_overflow: usize,
    /// The map value lay in this thread's stack (a local), as far as its
    /// address tells.
    pub on_stack: bool,
    /// `heap_walk()`, exactly.
    pub objects: Vec<HeapObject>,
    /// String buffers behind key and value slots.
    pub strings: Vec<StringLink>,
}

/// Fills a map with `n` scattered keys (and, with `mid_growth`, more until
/// a growth is in progress) and walks it. The map lives on this stack frame.
pub fn build<K: MenuType, V: MenuType>(n: u64, mid_growth: bool) -> Result<WalkReport> {
    let mut m: GoMap<K, V> = GoMap::new();
    for i in 0..n {
        m.insert(K::scattered(i), V::scattered(i));
    }
    let mut i = n;
    while mid_growth && !m.header().growing {
        if i >= K::DISTINCT || i > n.saturating_mul(4) + 64 {
            return Err(CliError::msg(format!(
                "could not catch a growth in progress after {i} {} keys",
                K::RUST_NAME
            )));
        }
        m.insert(K::scattered(i), V::scattered(i));
        i += 1;
    }
    Ok(report(&m))
}

/// Walks `m`.
pub fn report<K: MenuType, V: MenuType, S: std::hash::BuildHasher>(
    m: &GoMap<K, V, S>,
) -> WalkReport {
    let objects = m.heap_walk();
    let holder = |a: usize| {
        objects
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, o)| o.addr <= a && a < o.addr + o.size)
            .map_or(0, |(i, _)| i)
    };
    let mut strings = Vec::new();
    for (k, v) in m.iter() {
        for (of, buf, slot, text) in [
            (
                "key",
                k.heap_buffer(),
                k as *const K as usize,
                format!("{k:?}"),
            ),
            (
                "value",
                v.heap_buffer(),
                v as *const V as usize,
                format!("{v:?}"),
            ),
        ] {
            if let Some((addr, size)) = buf {
                strings.push(StringLink {
                    holder: holder(slot),
                    of,
                    slot,
                    text,
                    addr,
                    size,
                });
            }
        }
    }
    // In walk order of their holders, then by address: stable output.
    strings.sort_by_key(|s| (s.holder, s.addr));
    let st = m.stats();
    // A stack local of this frame: a map within 8 MiB of it is a local too
    // (thread stacks are 8 MiB by default; heap memory is far away).
    let probe = 0u8;
    let here = std::hint::black_box(&probe) as *const u8 as usize;
    let on_stack = objects[0].addr.abs_diff(here) < 8 << 20;
    WalkReport {
        on_stack,
        key: K::RUST_NAME,
        value: V::RUST_NAME,
        len: st.len,
        b: st.b,
        growing: st.growing,
        heap_bytes: st.heap_bytes,
        preallocated_overflow: st.preallocated_overflow,
        objects,
        strings,
    }
}

/// One line of the drawn tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// `objects[i]`.
    Object(usize),
    /// `strings[i]`.
    Str(usize),
    /// Children not drawn: their kind's name, count and bytes.
    More(&'static str, usize, usize),
}

/// What [`WalkReport::rows`] draws.
struct Tree<'a> {
    shown: &'a [bool],
    shown_str: &'a [bool],
    children: &'a [Vec<usize>],
    strs: &'a [Vec<usize>],
}

/// A node with its depth in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 0 for the map value.
    pub depth: usize,
    /// What it is.
    pub node: Node,
}

/// Go's and gomap's name for a kind.
pub fn kind_name(k: HeapKind) -> &'static str {
    match k {
        HeapKind::Map => "map value",
        HeapKind::Buckets => "buckets",
        HeapKind::OldBuckets => "oldbuckets",
        HeapKind::Overflow => "overflow bucket",
        HeapKind::Extra => "extra",
        HeapKind::IndirectKey => "indirect key",
        HeapKind::IndirectValue => "indirect value",
    }
}

impl WalkReport {
    /// `GoMap<K, V>`.
    pub fn type_name(&self) -> String {
        format!("GoMap<{}, {}>", self.key, self.value)
    }

    /// Whether the tree is cut down to the first few of each kind.
    pub fn summarised(&self) -> bool {
        self.objects.len() + self.strings.len() > FULL_LIMIT
    }

    /// The tree in depth-first order (a parent, then its children in walk
    /// order, then the strings its slots point to), cut down for large maps.
    pub fn rows(&self) -> Vec<Row> {
        let n = self.objects.len();
        let mut shown = vec![!self.summarised(); n];
        let mut shown_str = vec![!self.summarised(); self.strings.len()];
        if self.summarised() {
            let mut per_kind = std::collections::HashMap::new();
            for (i, o) in self.objects.iter().enumerate() {
                let c = per_kind.entry(o.kind).or_insert(0);
                if *c < SHOWN_PER_KIND
                    || matches!(
                        o.kind,
                        HeapKind::Map | HeapKind::Buckets | HeapKind::OldBuckets | HeapKind::Extra
                    )
                {
                    *c += 1;
                    let mut j = Some(i);
                    while let Some(x) = j {
                        shown[x] = true;
                        j = self.objects[x].parent;
                    }
                }
            }
            for (i, s) in self.strings.iter().enumerate().take(SHOWN_PER_KIND) {
                shown_str[i] = true;
                let mut j = Some(s.holder);
                while let Some(x) = j {
                    shown[x] = true;
                    j = self.objects[x].parent;
                }
            }
        }
        let mut children = vec![Vec::new(); n];
        for (i, o) in self.objects.iter().enumerate() {
            if let Some(p) = o.parent {
                children[p].push(i);
            }
        }
        let mut strs = vec![Vec::new(); n];
        for (i, s) in self.strings.iter().enumerate() {
            strs[s.holder].push(i);
        }
        let mut rows = Vec::new();
        self.emit(
            0,
            0,
            &Tree {
                shown: &shown,
                shown_str: &shown_str,
                children: &children,
                strs: &strs,
            },
            &mut rows,
        );
        rows
    }

    /// Node `i`, then the strings its slots point to, then its children in
    /// walk order, then one summary per kind of what is not drawn.
    fn emit(&self, i: usize, depth: usize, t: &Tree<'_>, rows: &mut Vec<Row>) {
        rows.push(Row {
            depth,
            node: Node::Object(i),
        });
        let mut hidden: Vec<(&'static str, usize, usize)> = Vec::new();
        let mut add =
            |name: &'static str, size: usize| match hidden.iter_mut().find(|h| h.0 == name) {
                Some(h) => {
                    h.1 += 1;
                    h.2 += size;
                }
                None => hidden.push((name, 1, size)),
            };
        for &j in &t.strs[i] {
            if t.shown_str[j] {
                rows.push(Row {
                    depth: depth + 1,
                    node: Node::Str(j),
                });
            } else {
                let s = &self.strings[j];
                add(
                    if s.of == "key" {
                        "string key buffer"
                    } else {
                        "string value buffer"
                    },
                    s.size,
                );
            }
        }
        for &c in &t.children[i] {
            if t.shown[c] {
                self.emit(c, depth + 1, t, rows);
            } else {
                add(kind_name(self.objects[c].kind), self.objects[c].size);
            }
        }
        for (name, count, bytes) in hidden {
            rows.push(Row {
                depth: depth + 1,
                node: Node::More(name, count, bytes),
            });
        }
    }

    /// Count and bytes of each kind present, strings last.
    pub fn totals(&self) -> Vec<(&'static str, usize, usize)> {
        let mut t: Vec<(&'static str, usize, usize)> = Vec::new();
        for o in &self.objects[1..] {
            match t.iter_mut().find(|x| x.0 == kind_name(o.kind)) {
                Some(x) => {
                    x.1 += 1;
                    x.2 += o.size;
                }
                None => t.push((kind_name(o.kind), 1, o.size)),
            }
        }
        if !self.strings.is_empty() {
            let bytes = self.strings.iter().map(|s| s.size).sum();
            t.push((
                "string buffers (the keys' and values' own)",
                self.strings.len(),
                bytes,
            ));
        }
        t
    }

    /// Title and detail line of a node.
    pub fn label(&self, node: &Node) -> (String, String) {
        match *node {
            Node::Object(i) => {
                let o = &self.objects[i];
                let title = match o.kind {
                    HeapKind::Map => format!(
                        "{} value on the stack: the header (Go's hmap)",
                        self.type_name()
                    ),
                    HeapKind::Buckets => {
                        let mut t = format!(
                            "buckets: {} head bucket{}",
                            1u64 << self.b,
                            if self.b == 0 { "" } else { "s" }
                        );
                        if self.preallocated_overflow > 0 {
                            t.push_str(&format!(
                                " + {} pre-allocated overflow, one allocation",
                                self.preallocated_overflow
                            ));
                        }
                        t
                    }
                    HeapKind::OldBuckets if self.growing && i == 2 => {
                        "oldbuckets: the array being evacuated".to_string()
                    }
                    HeapKind::OldBuckets => {
                        "old array, evacuated, being handed back to the OS before it is freed"
                            .to_string()
                    }
                    HeapKind::Overflow => "overflow bucket (allocated on its own)".to_string(),
                    HeapKind::Extra => "extra: rarely used bookkeeping (Go's mapextra), \
                                        allocated when first needed"
                        .to_string(),
                    HeapKind::IndirectKey => format!("indirect key ({} > 128 bytes)", self.key),
                    HeapKind::IndirectValue => {
                        format!("indirect value ({} > 128 bytes)", self.value)
                    }
                };
                (
                    title,
                    format!(
                        "#{i} {:?} at {}, {}",
                        o.kind,
                        addr(o.addr),
                        human_bytes(o.size)
                    ),
                )
            }
            Node::Str(j) => {
                let s = &self.strings[j];
                (
                    format!(
                        "{} {}'s bytes (owned by the {}, not the map)",
                        s.of, s.text, s.of
                    ),
                    format!(
                        "slot at {} -> buffer at {}, {}",
                        addr(s.slot),
                        addr(s.addr),
                        human_bytes(s.size)
                    ),
                )
            }
            Node::More(name, count, bytes) => (
                format!("... {count} more: {name}"),
                format!("{} in all (not drawn)", human_bytes(bytes)),
            ),
        }
    }
}

/// The text form: the chain as an indented tree, then totals by kind.
pub fn text(r: &WalkReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "gomap walk: {} with {} entries{}",
        r.type_name(),
        r.len,
        if r.growing { ", mid-growth" } else { "" }
    );
    let _ = writeln!(
        s,
        "Go's GC marks a map along: the variable m (one 8-byte pointer) -> hmap (48 bytes) -> buckets,\n\
         oldbuckets (hmap's field order) -> each bucket's overflow pointer and key/elem pointers -> the data.\n\
         A GoMap value is the header itself (no pointer): the chain starts at it. Measured now:"
    );
    let _ = writeln!(s);
    let rows = r.rows();
    // `open[d]`: the ancestor at depth d has siblings still to come.
    let mut open: Vec<bool> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let last = rows[i + 1..]
            .iter()
            .take_while(|n| n.depth >= row.depth)
            .all(|n| n.depth != row.depth);
        open.truncate(row.depth);
        let mut indent = String::new();
        for &more in open.iter().skip(1) {
            indent.push_str(if more { "│  " } else { "   " });
        }
        let mut pad = indent.clone();
        if row.depth > 0 {
            indent.push_str(if last { "└─ " } else { "├─ " });
            pad.push_str(if last { "   " } else { "│  " });
        }
        open.push(!last);
        let (title, detail) = r.label(&row.node);
        let _ = writeln!(s, "{indent}{title}");
        let _ = writeln!(s, "{pad}   {detail}");
    }
    if r.summarised() {
        let _ = writeln!(
            s,
            "\n({} objects and {} string buffers: the first {SHOWN_PER_KIND} of each kind are drawn)",
            r.objects.len(),
            r.strings.len()
        );
    }
    let _ = writeln!(s, "\nby kind:");
    for (name, count, bytes) in r.totals() {
        let _ = writeln!(s, "  {name:<44} {count:>8}  {:>10}", human_bytes(bytes));
    }
    let sum: usize = r.objects[1..].iter().map(|o| o.size).sum();
    let _ = writeln!(
        s,
        "  the map's heap: {} (sum of the walk after the map value = stats().heap_bytes = {})",
        human_bytes(sum),
        r.heap_bytes
    );
    s
}

/// Mermaid flowchart of the tree.
pub fn mermaid(r: &WalkReport) -> String {
    let esc = |t: &str| {
        t.chars()
            .map(|c| match c {
                '"' => "#quot;".to_string(),
                '<' => "#lt;".to_string(),
                '>' => "#gt;".to_string(),
                '#' => "#35;".to_string(),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    let mut s = String::new();
    let _ = writeln!(s, "flowchart LR");
    let _ = writeln!(
        s,
        "  %% {} with {} entries: Go's GC marking chain, from gomap walk",
        esc(&r.type_name()),
        r.len
    );
    let rows = r.rows();
    let mut parents: Vec<usize> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (title, detail) = r.label(&row.node);
        let class = match row.node {
            Node::Object(j) => format!("{:?}", r.objects[j].kind),
            Node::Str(_) => "Str".to_string(),
            Node::More(..) => "More".to_string(),
        };
        let _ = writeln!(
            s,
            "  n{i}[\"{}<br/>{}\"]:::{class}",
            esc(&title),
            esc(&detail)
        );
        parents.truncate(row.depth);
        if let Some(&p) = parents.last() {
            let _ = writeln!(s, "  n{p} --> n{i}");
        }
        parents.push(i);
    }
    for (class, fill) in KIND_COLORS {
        let _ = writeln!(s, "  classDef {class} fill:{fill},stroke:#333,color:#000");
    }
    s
}

const KIND_COLORS: [(&str, &str); 9] = [
    ("Map", "#ffe9a8"),
    ("Buckets", "#cfe3ff"),
    ("OldBuckets", "#e4d4f7"),
    ("Overflow", "#ffd3c4"),
    ("Extra", "#f7e0ef"),
    ("IndirectKey", "#d2f0d2"),
    ("IndirectValue", "#d2f0e8"),
    ("Str", "#f0f0f0"),
    ("More", "#ffffff"),
];

fn color_of(r: &WalkReport, n: &Node) -> &'static str {
    let class = match n {
        Node::Object(j) => match r.objects[*j].kind {
            HeapKind::Map => "Map",
            HeapKind::Buckets => "Buckets",
            HeapKind::OldBuckets => "OldBuckets",
            HeapKind::Overflow => "Overflow",
            HeapKind::Extra => "Extra",
            HeapKind::IndirectKey => "IndirectKey",
            HeapKind::IndirectValue => "IndirectValue",
        },
        Node::Str(_) => "Str",
        Node::More(..) => "More",
    };
    KIND_COLORS
        .iter()
        .find(|c| c.0 == class)
        .map_or("#ffffff", |c| c.1)
}

/// Width in pixels of `t` at `size` px in a sans-serif font, generously
/// (so boxes always hold their text).
fn text_width(t: &str, size: f64) -> f64 {
    t.chars().count() as f64 * size * 0.6
}

/// A standalone SVG: one box per node, indented by depth, with elbow
/// arrows from each parent; a legend of kinds; totals.
pub fn svg(r: &WalkReport) -> String {
    const ROW: f64 = 46.0;
    const BOX_H: f64 = 38.0;
    const INDENT: f64 = 34.0;
    let rows = r.rows();
    let title = format!(
        "{} with {} entries{}: Go's GC marking chain, measured",
        r.type_name(),
        r.len,
        if r.growing { " (mid-growth)" } else { "" }
    );
    let sub = "Go: m (8-byte pointer) -> hmap -> buckets, oldbuckets -> overflow buckets, key/elem data. A GoMap value is the header itself.";
    let labels: Vec<(String, String)> = rows.iter().map(|row| r.label(&row.node)).collect();
    let box_w = labels
        .iter()
        .map(|(t, d)| text_width(t, 13.0).max(text_width(d, 12.0)) + 24.0)
        .fold(320.0, f64::max);
    let max_depth = rows.iter().map(|r| r.depth).max().unwrap_or(0) as f64;
    let top = 80.0;
    let mut body = String::new();
    let mut parents: Vec<(f64, f64)> = Vec::new();
    for (i, (row, (t, d))) in rows.iter().zip(&labels).enumerate() {
        let x = 20.0 + row.depth as f64 * INDENT;
        let y = top + i as f64 * ROW;
        parents.truncate(row.depth);
        if let Some(&(px, py)) = parents.last() {
            let _ = writeln!(
                body,
                r##"<path d="M {:.1} {:.1} V {:.1} H {:.1}" fill="none" stroke="#444" marker-end="url(#arrow)"/>"##,
                px + 14.0,
                py + BOX_H,
                y + BOX_H / 2.0,
                x
            );
        }
        parents.push((x, y));
        let dashed = if matches!(row.node, Node::More(..)) {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = writeln!(
            body,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{box_w:.1}" height="{BOX_H}" rx="4" fill="{}" stroke="#333"{dashed}/>"##,
            color_of(r, &row.node)
        );
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="{:.1}" font-family="sans-serif" font-size="13">{}</text>"#,
            x + 8.0,
            y + 16.0,
            xml_escape(t)
        );
        let _ = writeln!(
            body,
            r##"<text x="{:.1}" y="{:.1}" font-family="monospace" font-size="12" fill="#333">{}</text>"##,
            x + 8.0,
            y + 31.0,
            xml_escape(d)
        );
    }
    // Legend and totals below the tree.
    let mut y = top + rows.len() as f64 * ROW + 20.0;
    let _ = writeln!(
        body,
        r#"<text x="20" y="{y:.1}" font-family="sans-serif" font-size="13" font-weight="bold">By kind (count, bytes)</text>"#
    );
    for (name, count, bytes) in r.totals() {
        y += 18.0;
        let _ = writeln!(
            body,
            r#"<text x="28" y="{y:.1}" font-family="monospace" font-size="12" xml:space="preserve">{}</text>"#,
            xml_escape(&format!(
                "{name:<44} {count:>8}  {:>10}",
                human_bytes(bytes)
            ))
        );
    }
    y += 18.0;
    let _ = writeln!(
        body,
        r#"<text x="28" y="{y:.1}" font-family="monospace" font-size="12" xml:space="preserve">{}</text>"#,
        xml_escape(&format!(
            "the map's heap = stats().heap_bytes = {} B",
            r.heap_bytes
        ))
    );
    if r.summarised() {
        y += 18.0;
        let _ = writeln!(
            body,
            r#"<text x="28" y="{y:.1}" font-family="sans-serif" font-size="12" font-style="italic">{}</text>"#,
            xml_escape(&format!(
                "{} objects and {} string buffers: the first {SHOWN_PER_KIND} of each kind are drawn, the rest counted in dashed boxes",
                r.objects.len(),
                r.strings.len()
            ))
        );
    }
    let w = (20.0 + max_depth * INDENT + box_w + 20.0)
        .max(text_width(&title, 16.0) + 40.0)
        .max(text_width(sub, 12.0) + 40.0)
        .max(700.0)
        .ceil();
    let h = (y + 24.0).ceil();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
            "\n<title>{title}</title>\n",
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n",
            r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##,
            "\n",
            r#"<text x="20" y="30" font-family="sans-serif" font-size="16" font-weight="bold">{title}</text>"#,
            "\n",
            r##"<text x="20" y="52" font-family="sans-serif" font-size="12" fill="#333">{sub}</text>"##,
            "\n{body}</svg>\n"
        ),
        w = w,
        h = h,
        title = xml_escape(&title),
        sub = xml_escape(sub),
        body = body
    )
}
