//! The structure as SVG: every slot for a small map, a heat map and
//! histograms for a large one.

use super::*;
use std::fmt::Write as _;

/// A tiny SVG writer: elements appended to a string.
struct Svg {
    body: String,
    width: f64,
    height: f64,
}

const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";
const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";

impl Svg {
    fn new() -> Svg {
        Svg {
            body: String::new(),
            width: 0.0,
            height: 0.0,
        }
    }

    fn grow(&mut self, x: f64, y: f64) {
        self.width = self.width.max(x);
        self.height = self.height.max(y);
    }

    #[allow(clippy::too_many_arguments)]
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}" stroke="{stroke}" {extra}/>"#
        );
        self.grow(x + w, y + h);
    }

    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, size: f64, anchor: &str, mono: bool, extra: &str, s: &str) {
        let family = if mono { MONO } else { FONT };
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-family="{family}" font-size="{size}" text-anchor="{anchor}" {extra}>{}</text>"#,
            xml_escape(s)
        );
        let w = s.chars().count() as f64 * size * 0.62;
        let right = match anchor {
            "end" => x,
            "middle" => x + w / 2.0,
            _ => x + w,
        };
        self.grow(right, y + size * 0.3);
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" {extra}/>"#
        );
        self.grow(x1.max(x2), y1.max(y2));
    }

    fn raw(&mut self, s: &str) {
        self.body.push_str(s);
        self.body.push('\n');
    }

    fn finish(self, title: &str) -> String {
        let w = (self.width + 20.0).ceil();
        let h = (self.height + 20.0).ceil();
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "\n",
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
                "\n<title>{title}</title>\n",
                "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n",
                r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##,
                "\n{body}</svg>\n"
            ),
            w = w,
            h = h,
            title = xml_escape(title),
            body = self.body
        )
    }
}

/// Renders the structure as a standalone SVG document.
pub fn render(input: &RenderInput<'_>) -> String {
    let mut svg = Svg::new();
    let headline = input.headline();
    svg.text(
        20.0,
        30.0,
        16.0,
        "start",
        false,
        r#"font-weight="bold""#,
        &headline,
    );
    let top = 50.0;
    let (header_bottom, header_w) = header_box(&mut svg, input, 20.0, top);
    // The legend starts right of the header box, however wide its title made it.
    let legend_x = 20.0 + header_w + 20.0;
    let y0 = if input.detailed() {
        let legend_bottom = slot_legend(&mut svg, legend_x, top);
        header_bottom.max(legend_bottom) + 30.0
    } else {
        let legend_bottom = heat_legend(&mut svg, legend_x, top);
        header_bottom.max(legend_bottom) + 30.0
    };
    match &input.structure.current {
        None => {
            svg.text(
                20.0,
                y0,
                13.0,
                "start",
                false,
                "",
                "no bucket array yet: GoMap::new() allocates nothing; the first insert allocates one bucket",
            );
        }
        Some(cur) if input.detailed() => detailed_arrays(&mut svg, input, cur, y0),
        Some(cur) => heat_arrays(&mut svg, input, cur, y0),
    }
    svg.finish(&headline)
}

/// Draws the header box; returns its bottom and its width (wide enough for
/// its title, however long the type name).
fn header_box(svg: &mut Svg, input: &RenderInput<'_>, x: f64, y: f64) -> (f64, f64) {
    let rows = input.header_rows();
    let row_h = 18.0;
    let title = format!(
        "map header (Go's hmap) — the {} value itself",
        input.type_name()
    );
    // Bold 13 px sans-serif: at most about 0.62 em a character.
    let w = (title.chars().count() as f64 * 13.0 * 0.62 + 20.0).max(480.0);
    let h = 26.0 + rows.len() as f64 * row_h + 8.0;
    svg.raw(r#"<g class="header">"#);
    svg.rect(x, y, w, h, "#fbfbf4", "#555", r#"rx="4""#);
    svg.text(
        x + 10.0,
        y + 18.0,
        13.0,
        "start",
        false,
        r#"font-weight="bold""#,
        &title,
    );
    for (i, (name, value, what)) in rows.iter().enumerate() {
        let ry = y + 26.0 + (i as f64 + 0.75) * row_h;
        svg.text(x + 10.0, ry, 12.0, "start", true, "", name);
        svg.text(
            x + 100.0,
            ry,
            12.0,
            "start",
            true,
            r#"font-weight="bold""#,
            value,
        );
        svg.text(
            x + 240.0,
            ry,
            11.0,
            "start",
            false,
            r##"fill="#555""##,
            what,
        );
    }
    svg.raw("</g>");
    (y + h, w)
}

fn slot_legend(svg: &mut Svg, x: f64, y: f64) -> f64 {
    let rows = legend();
    let row_h = 20.0;
    svg.raw(r#"<g class="legend">"#);
    svg.text(
        x,
        y + 12.0,
        13.0,
        "start",
        false,
        r#"font-weight="bold""#,
        "each bucket: 8 slots (tophash byte shown in hex), then its overflow pointer",
    );
    let mut ry = y + 22.0;
    for (state, label, what) in &rows {
        let text = match state {
            SlotState::Full(t) => slot_text(*t),
            s => slot_text(tophash_of(*s)),
        };
        svg.rect(x, ry, 26.0, 16.0, state_color(*state), "#666", "");
        svg.text(x + 13.0, ry + 12.0, 11.0, "middle", true, "", &text);
        svg.text(
            x + 34.0,
            ry + 12.0,
            12.0,
            "start",
            false,
            r#"font-weight="bold""#,
            label,
        );
        svg.text(x + 200.0, ry + 12.0, 11.0, "start", false, "", what);
        ry += row_h;
    }
    svg.rect(
        x,
        ry,
        26.0,
        16.0,
        "#ffffff",
        "#e07b00",
        r#"stroke-width="2""#,
    );
    svg.text(
        x + 34.0,
        ry + 12.0,
        12.0,
        "start",
        false,
        r#"font-weight="bold""#,
        "overflow bucket",
    );
    svg.text(
        x + 200.0,
        ry + 12.0,
        11.0,
        "start",
        false,
        "",
        "an extra bucket chained from the one to its left when all 8 slots were taken",
    );
    svg.raw("</g>");
    ry + row_h
}

fn tophash_of(s: SlotState) -> u8 {
    match s {
        SlotState::EmptyRest => 0,
        SlotState::EmptyOne => 1,
        SlotState::EvacuatedX => 2,
        SlotState::EvacuatedY => 3,
        SlotState::EvacuatedEmpty => 4,
        SlotState::Full(t) => t,
    }
}

const CELL_W: f64 = 26.0;
const CELL_H: f64 = 22.0;
const PTR_W: f64 = 34.0;
const LABEL_W: f64 = 46.0;
const BUCKET_W: f64 = 8.0 * CELL_W + PTR_W;
const GAP: f64 = 34.0;
const ROW_H: f64 = 32.0;
/// Room for the "nevacuate = N / all buckets above are moved" label.
const NEVACUATE_LABEL_W: f64 = 170.0;

fn column_width(a: &ArrayView) -> f64 {
    let max_chain = a.chains.iter().map(|c| c.buckets.len()).max().unwrap_or(1) as f64;
    LABEL_W + max_chain * (BUCKET_W + GAP) - GAP
}

fn detailed_arrays(svg: &mut Svg, input: &RenderInput<'_>, cur: &ArrayView, y0: f64) {
    let mut x = 20.0;
    if let Some(old) = &input.structure.old {
        detailed_array(svg, input, old, true, x, y0);
        // Room for the old column, then for the nevacuate label drawn right
        // of it, so the label never runs into the new array.
        x += (column_width(old).max(360.0) + NEVACUATE_LABEL_W + 30.0).max(620.0);
    }
    detailed_array(svg, input, cur, false, x, y0);
}

fn detailed_array(
    svg: &mut Svg,
    input: &RenderInput<'_>,
    a: &ArrayView,
    is_old: bool,
    x: f64,
    y0: f64,
) {
    let n = a.chains.len();
    let kind = if is_old { "old" } else { "current" };
    let title = if is_old {
        format!(
            "old array (oldbuckets) @ {}: {n} buckets being evacuated",
            crate::output::addr(a.addr)
        )
    } else {
        format!(
            "current array (buckets) @ {}: 2^B = {n} buckets of {} bytes",
            crate::output::addr(a.addr),
            input.layout.bucket_size
        )
    };
    svg.raw(&format!(r#"<g class="array" data-array="{kind}">"#));
    svg.text(x, y0, 14.0, "start", false, r#"font-weight="bold""#, &title);
    let sub = if !is_old {
        "a key goes to bucket (hash & (2^B - 1)); a row is one bucket, arrows lead to overflow buckets".to_string()
    } else if input.structure.header.same_size_grow {
        "each insert or remove moves up to 2 of these into the new array (same index); greyed: already moved".to_string()
    } else {
        format!("each insert or remove moves up to 2 of these; old bucket i splits into new i (x) and i + {n} (y); greyed: moved")
    };
    svg.text(x, y0 + 17.0, 11.0, "start", false, r##"fill="#444""##, &sub);
    let top = y0 + 40.0;
    // Column captions over the first bucket.
    for s in 0..8 {
        svg.text(
            x + LABEL_W + s as f64 * CELL_W + CELL_W / 2.0,
            top - 4.0,
            9.0,
            "middle",
            true,
            r##"fill="#777""##,
            &format!("{s}"),
        );
    }
    svg.text(
        x + LABEL_W + 8.0 * CELL_W + PTR_W / 2.0,
        top - 4.0,
        9.0,
        "middle",
        false,
        r##"fill="#777""##,
        "next",
    );
    for (r, chain) in a.chains.iter().enumerate() {
        let y = top + r as f64 * ROW_H;
        let evacuated = is_old && chain_evacuated(chain);
        svg.text(
            x + LABEL_W - 8.0,
            y + 15.0,
            12.0,
            "end",
            true,
            "",
            &format!("[{}]", chain.index),
        );
        for (d, b) in chain.buckets.iter().enumerate() {
            let bx = x + LABEL_W + d as f64 * (BUCKET_W + GAP);
            let opacity = if evacuated { r#" opacity="0.55""# } else { "" };
            svg.raw(&format!(
                r#"<g class="bucket" data-array="{kind}" data-index="{}" data-depth="{d}" data-addr="{:#x}"{opacity}>"#,
                chain.index, b.addr
            ));
            let label = if d == 0 {
                format!("{kind} bucket {} @ {:#x}", chain.index, b.addr)
            } else {
                format!(
                    "overflow bucket {d} of chain {} @ {:#x}{}",
                    chain.index,
                    b.addr,
                    if b.in_array {
                        " (pre-allocated in the array)"
                    } else {
                        ""
                    }
                )
            };
            svg.raw(&format!("<title>{}</title>", xml_escape(&label)));
            for (s, &t) in b.tophash.iter().enumerate() {
                let st = SlotState::from_tophash(t);
                let cx = bx + s as f64 * CELL_W;
                svg.raw(&format!(
                    r#"<g class="slot" data-state="{}">"#,
                    state_name(st)
                ));
                svg.rect(cx, y, CELL_W, CELL_H, state_color(st), "#666", "");
                svg.text(
                    cx + CELL_W / 2.0,
                    y + 15.0,
                    11.0,
                    "middle",
                    true,
                    "",
                    &slot_text(t),
                );
                svg.raw("</g>");
            }
            let has_next = d + 1 < chain.buckets.len();
            let px = bx + 8.0 * CELL_W;
            svg.rect(px, y, PTR_W, CELL_H, "#ffffff", "#666", "");
            svg.text(
                px + PTR_W / 2.0,
                y + 15.0,
                10.0,
                "middle",
                true,
                "",
                if has_next { "•" } else { "nil" },
            );
            let border = if d > 0 { "#e07b00" } else { "#222" };
            svg.rect(
                bx,
                y,
                BUCKET_W,
                CELL_H,
                "none",
                border,
                r#"stroke-width="2""#,
            );
            svg.raw("</g>");
            if has_next {
                svg.line(
                    px + PTR_W / 2.0,
                    y + CELL_H / 2.0,
                    bx + BUCKET_W + GAP - 2.0,
                    y + CELL_H / 2.0,
                    "#444",
                    r#"stroke-width="1.5" marker-end="url(#arrow)""#,
                );
            }
        }
    }
    if is_old {
        let nev = input.structure.header.nevacuate.min(n);
        let ly = top + nev as f64 * ROW_H - (ROW_H - CELL_H) / 2.0;
        let w = column_width(a).max(360.0);
        svg.line(
            x,
            ly,
            x + w,
            ly,
            "#d62728",
            r#"stroke-width="2" stroke-dasharray="6 4""#,
        );
        svg.text(
            x + w + 6.0,
            ly + 4.0,
            12.0,
            "start",
            false,
            r##"fill="#d62728" font-weight="bold""##,
            &format!("nevacuate = {nev}"),
        );
        svg.text(
            x + w + 6.0,
            ly + 18.0,
            10.0,
            "start",
            false,
            r##"fill="#d62728""##,
            "all buckets above are moved",
        );
    }
    svg.raw("</g>");
}

/// Colour for a chain holding `entries` (mean) entries: white to dark blue
/// for 0..=8, orange beyond (the chain needed overflow buckets).
fn occupancy_color(entries: f64) -> String {
    if entries > 8.0 {
        return "#f28e2b".to_string();
    }
    let t = (entries / 8.0).clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(247.0, 8.0),
        lerp(251.0, 48.0),
        lerp(255.0, 107.0)
    )
}

fn heat_legend(svg: &mut Svg, x: f64, y: f64) -> f64 {
    svg.raw(r#"<g class="legend">"#);
    svg.text(
        x,
        y + 12.0,
        13.0,
        "start",
        false,
        r#"font-weight="bold""#,
        "too many buckets to draw each slot: one square per bucket chain, coloured by entries",
    );
    let sy = y + 24.0;
    for e in 0..=9 {
        let ex = x + e as f64 * 30.0;
        svg.rect(ex, sy, 28.0, 16.0, &occupancy_color(e as f64), "#999", "");
        svg.text(
            ex + 14.0,
            sy + 30.0,
            11.0,
            "middle",
            false,
            "",
            &if e == 9 {
                "9+".to_string()
            } else {
                e.to_string()
            },
        );
    }
    svg.text(
        x + 310.0,
        sy + 12.0,
        11.0,
        "start",
        false,
        "",
        "entries in the chain (8 fit in a bucket; 9+ means overflow buckets)",
    );
    svg.rect(x, sy + 44.0, 28.0, 16.0, "#d9d9d9", "#999", "");
    svg.text(
        x + 36.0,
        sy + 56.0,
        11.0,
        "start",
        false,
        "",
        "old bucket already evacuated (moved to the new array) during growth",
    );
    svg.raw("</g>");
    sy + 66.0
}

fn heat_arrays(svg: &mut Svg, input: &RenderInput<'_>, cur: &ArrayView, y0: f64) {
    let mut y = heat_array(svg, input, cur, false, 20.0, y0);
    if let Some(old) = &input.structure.old {
        y = heat_array(svg, input, old, true, 20.0, y + 30.0);
    }
    let _ = y;
}

/// Draws one array as a heat map plus histograms; returns the bottom y.
fn heat_array(
    svg: &mut Svg,
    input: &RenderInput<'_>,
    a: &ArrayView,
    is_old: bool,
    x: f64,
    y0: f64,
) -> f64 {
    const MAX_CELLS: usize = 4096;
    const PER_ROW: usize = 64;
    const CELL: f64 = 12.0;
    let n = a.chains.len();
    let group = n.div_ceil(MAX_CELLS).next_power_of_two();
    let cells = n.div_ceil(group);
    let kind = if is_old { "old" } else { "current" };
    let title = format!(
        "{} array @ {}: {n} buckets",
        if is_old {
            "old (being evacuated)"
        } else {
            "current"
        },
        crate::output::addr(a.addr),
    );
    let sub = if group > 1 {
        format!("one square = {group} consecutive buckets, coloured by mean entries per chain; left to right, top to bottom")
    } else {
        "one square = one bucket chain, coloured by its entries; left to right, top to bottom"
            .to_string()
    };
    svg.raw(&format!(r#"<g class="array" data-array="{kind}">"#));
    svg.text(x, y0, 14.0, "start", false, r#"font-weight="bold""#, &title);
    svg.text(x, y0 + 16.0, 11.0, "start", false, r##"fill="#444""##, &sub);
    let top = y0 + 26.0;
    for c in 0..cells {
        let chains = &a.chains[c * group..((c + 1) * group).min(n)];
        let evacuated = is_old && chains.iter().all(chain_evacuated);
        let entries: usize = chains.iter().map(chain_entries).sum();
        let mean = entries as f64 / chains.len() as f64;
        let overflow = chains.iter().any(|ch| ch.buckets.len() > 1);
        let fill = if evacuated {
            "#d9d9d9".to_string()
        } else {
            occupancy_color(mean)
        };
        // A lone chain with overflow buckets gets a dark outline.
        let stroke = if overflow && group == 1 {
            "#7f2704"
        } else {
            "#ffffff"
        };
        let cx = x + (c % PER_ROW) as f64 * CELL;
        let cy = top + (c / PER_ROW) as f64 * CELL;
        let _ = write!(
            svg.body,
            r##"<rect class="cell" x="{cx:.1}" y="{cy:.1}" width="{w:.1}" height="{w:.1}" fill="{fill}" stroke="{stroke}" stroke-width="0.5"><title>buckets {}..{}: {entries} entries</title></rect>"##,
            c * group,
            ((c + 1) * group).min(n) - 1,
            w = CELL
        );
        svg.body.push('\n');
    }
    let rows = cells.div_ceil(PER_ROW);
    let grid_w = PER_ROW.min(cells) as f64 * CELL;
    svg.grow(x + grid_w, top + rows as f64 * CELL);
    if is_old {
        let nev = input.structure.header.nevacuate.min(n);
        let c = nev / group;
        if c < cells {
            let cx = x + (c % PER_ROW) as f64 * CELL;
            let cy = top + (c / PER_ROW) as f64 * CELL;
            svg.rect(
                cx,
                cy,
                CELL,
                CELL,
                "none",
                "#d62728",
                r#"stroke-width="2.5""#,
            );
        }
        svg.text(
            x,
            top + rows as f64 * CELL + 16.0,
            12.0,
            "start",
            false,
            r##"fill="#d62728""##,
            &format!(
                "nevacuate = {nev} (red square): every old bucket before it has been moved; {} of {n} moved so far",
                evacuated_count(Some(a))
            ),
        );
    }
    // Histograms to the right of the grid.
    let sum = summarize(a);
    let hx = x + grid_w.max(560.0) + 40.0;
    let mut hy = y0 + 34.0;
    let chain_rows: Vec<(String, usize)> = sum
        .chain_len_hist
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            (
                format!("{} bucket{}", i + 1, if i == 0 { "" } else { "s" }),
                c,
            )
        })
        .collect();
    hy = histogram(
        svg,
        hx,
        hy,
        "chains by length (head + overflow buckets)",
        &chain_rows,
    ) + 20.0;
    let entry_rows: Vec<(String, usize)> = sum
        .entries_hist
        .iter()
        .enumerate()
        .map(|(e, &c)| {
            (
                if e == 9 {
                    "9+ entries".to_string()
                } else {
                    format!("{e} entries")
                },
                c,
            )
        })
        .collect();
    hy = histogram(svg, hx, hy, "chains by entries held", &entry_rows);
    svg.raw("</g>");
    (top + rows as f64 * CELL + 24.0).max(hy)
}

fn histogram(svg: &mut Svg, x: f64, y: f64, title: &str, rows: &[(String, usize)]) -> f64 {
    svg.raw(r#"<g class="histogram">"#);
    svg.text(x, y, 13.0, "start", false, r#"font-weight="bold""#, title);
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let mut ry = y + 8.0;
    for (label, count) in rows {
        svg.text(x + 80.0, ry + 12.0, 11.0, "end", false, "", label);
        let w = 240.0 * *count as f64 / max;
        svg.rect(x + 86.0, ry + 2.0, w.max(0.5), 13.0, "#4c78a8", "none", "");
        svg.text(
            x + 92.0 + w,
            ry + 12.0,
            11.0,
            "start",
            false,
            "",
            &count.to_string(),
        );
        ry += 17.0;
    }
    svg.raw("</g>");
    ry
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn detailed_svg_has_one_group_per_bucket() {
        let s = sample::growing();
        let out = render(&sample::input(&s));
        assert!(out.starts_with("<?xml"));
        // 4 heads + 1 overflow in the current array, 2 in the old one.
        assert_eq!(out.matches(r#"class="bucket""#).count(), 7);
        assert!(out.contains("nevacuate = 1"));
        assert!(out.contains(">a5<"));
    }

    #[test]
    fn large_svg_is_a_heat_map() {
        let s = sample::large(12);
        let out = render(&sample::input(&s));
        assert_eq!(out.matches(r#"class="bucket""#).count(), 0);
        assert_eq!(out.matches(r#"class="cell""#).count(), 4096);
        assert!(out.contains("chains by length"));
        let s = sample::large(14);
        let out = render(&sample::input(&s));
        assert_eq!(out.matches(r#"class="cell""#).count(), 4096);
    }
}
