//! The structure as a Graphviz digraph (render with `dot -Tsvg`).

use super::*;
use std::fmt::Write as _;

fn bucket_table(b: &gomap::BucketView, label: &str, has_next: bool, faded: bool) -> String {
    let mut t =
        String::from(r#"<table border="1" cellborder="1" cellspacing="0" cellpadding="3">"#);
    let _ = write!(
        t,
        r#"<tr><td bgcolor="{}">{}</td>"#,
        if faded { "#eeeeee" } else { "#ffffff" },
        xml_escape(label)
    );
    for &top in &b.tophash {
        let st = SlotState::from_tophash(top);
        let _ = write!(
            t,
            r#"<td bgcolor="{}"><font face="monospace">{}</font></td>"#,
            state_color(st),
            slot_text(top)
        );
    }
    let _ = write!(
        t,
        r#"<td port="next">{}</td></tr></table>"#,
        if has_next { "•" } else { "nil" }
    );
    t
}

fn header_table(input: &RenderInput<'_>) -> String {
    let mut t = String::from(
        r##"<table border="1" cellborder="0" cellspacing="0" cellpadding="3" bgcolor="#fbfbf4">"##,
    );
    let _ = write!(
        t,
        r#"<tr><td colspan="2"><b>header (hmap): {}</b></td></tr>"#,
        xml_escape(&input.type_name())
    );
    for (name, value, _) in input.header_rows() {
        let port = match name {
            "buckets" => r#" port="buckets""#,
            "oldbuckets" => r#" port="oldbuckets""#,
            _ => "",
        };
        let _ = write!(
            t,
            r#"<tr><td align="left">{name}</td><td align="left"{port}>{}</td></tr>"#,
            xml_escape(&value)
        );
    }
    t.push_str("</table>");
    t
}

fn summary_table(title: &str, a: &ArrayView) -> String {
    let s = summarize(a);
    let mut t =
        String::from(r#"<table border="1" cellborder="1" cellspacing="0" cellpadding="3">"#);
    let _ = write!(
        t,
        r#"<tr><td colspan="2"><b>{}</b></td></tr><tr><td colspan="2">{} chains, {} buckets, {} entries</td></tr><tr><td colspan="2"><i>chains by length</i></td></tr>"#,
        xml_escape(title),
        a.chains.len(),
        s.buckets,
        s.entries
    );
    for (i, c) in s.chain_len_hist.iter().enumerate() {
        let _ = write!(
            t,
            r#"<tr><td align="left">{} bucket(s)</td><td align="right">{c}</td></tr>"#,
            i + 1
        );
    }
    t.push_str(r#"<tr><td colspan="2"><i>chains by entries</i></td></tr>"#);
    for (e, c) in s.entries_hist.iter().enumerate() {
        let label = if e == 9 {
            "9+".to_string()
        } else {
            e.to_string()
        };
        let _ = write!(
            t,
            r#"<tr><td align="left">{label} entries</td><td align="right">{c}</td></tr>"#
        );
    }
    t.push_str("</table>");
    t
}

/// The key to the colours and markers, as the SVG and Mermaid outputs have.
fn legend_table(detailed: bool) -> String {
    let mut t = String::from(
        r#"<table border="1" cellborder="0" cellspacing="0" cellpadding="3"><tr><td colspan="2"><b>legend</b></td></tr>"#,
    );
    if detailed {
        t.push_str(r#"<tr><td colspan="2" align="left">each bucket: its index, 8 slots (tophash byte in hex), its overflow pointer</td></tr>"#);
        for (st, name, what) in legend() {
            let _ = write!(
                t,
                r#"<tr><td bgcolor="{}"><font face="monospace">{}</font></td><td align="left">{}: {}</td></tr>"#,
                state_color(st),
                slot_text(tophash_of(st)),
                xml_escape(name),
                xml_escape(what)
            );
        }
        t.push_str(r##"<tr><td><font color="#e07b00">→</font></td><td align="left">overflow pointer to the next bucket of the chain ("ovf 1", "ovf 2", ...)</td></tr>"##);
        t.push_str(r##"<tr><td bgcolor="#eeeeee"> </td><td align="left">old bucket already evacuated</td></tr>"##);
    } else {
        t.push_str(r#"<tr><td colspan="2" align="left">too many buckets to draw one by one: each array is summarised by chain length and entries per chain</td></tr>"#);
    }
    t.push_str("</table>");
    t
}

/// A tophash byte that decodes to `st` (for the legend's sample cells).
fn tophash_of(st: SlotState) -> u8 {
    match st {
        SlotState::EmptyRest => 0,
        SlotState::EmptyOne => 1,
        SlotState::EvacuatedX => 2,
        SlotState::EvacuatedY => 3,
        SlotState::EvacuatedEmpty => 4,
        SlotState::Full(t) => t,
    }
}

/// Renders the structure as a Graphviz `digraph`.
pub fn render(input: &RenderInput<'_>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "digraph gomap {{");
    let _ = writeln!(o, "  label=\"{}\";", input.headline().replace('"', "'"));
    let _ = writeln!(
        o,
        "  labelloc=t; rankdir=LR; node [shape=plaintext, fontname=\"Helvetica\"];"
    );
    let _ = writeln!(o, "  header [label=<{}>];", header_table(input));
    let _ = writeln!(o, "  legend [label=<{}>];", legend_table(input.detailed()));
    let arrays = [
        (
            "cur",
            "current array",
            input.structure.current.as_ref(),
            "buckets",
        ),
        (
            "old",
            "old array (being evacuated)",
            input.structure.old.as_ref(),
            "oldbuckets",
        ),
    ];
    for (id, title, array, port) in arrays {
        let Some(a) = array else { continue };
        let _ = writeln!(o, "  subgraph cluster_{id} {{");
        let _ = writeln!(
            o,
            "    label=\"{title} @ {} ({})\";",
            crate::output::addr(a.addr),
            crate::output::plural(a.chains.len() as u64, "bucket")
        );
        if input.detailed() {
            for c in &a.chains {
                let faded = id == "old" && chain_evacuated(c);
                for (d, b) in c.buckets.iter().enumerate() {
                    let label = if d == 0 {
                        format!("[{}]", c.index)
                    } else {
                        format!("ovf {d}")
                    };
                    let _ = writeln!(
                        o,
                        "    {id}_{}_{d} [label=<{}>];",
                        c.index,
                        bucket_table(b, &label, d + 1 < c.buckets.len(), faded)
                    );
                }
            }
            if id == "old" {
                let _ = writeln!(
                    o,
                    "    frontier [shape=note, label=\"nevacuate = {}: old buckets before it are moved\"];",
                    input.structure.header.nevacuate
                );
            }
        } else {
            let _ = writeln!(o, "    {id}_summary [label=<{}>];", summary_table(title, a));
        }
        let _ = writeln!(o, "  }}");
        let first = if input.detailed() {
            a.chains
                .first()
                .map(|c| format!("{id}_{}_0", c.index))
                .unwrap_or_default()
        } else {
            format!("{id}_summary")
        };
        if !first.is_empty() {
            let _ = writeln!(o, "  header:{port} -> {first} [label=\"{port}\"];");
        }
        if input.detailed() {
            for c in &a.chains {
                for d in 1..c.buckets.len() {
                    let _ = writeln!(
                        o,
                        "  {id}_{}_{}:next -> {id}_{}_{d} [color=\"#e07b00\"];",
                        c.index,
                        d - 1,
                        c.index
                    );
                }
            }
        }
    }
    let _ = writeln!(o, "}}");
    o
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn dot_has_nodes_and_edges() {
        let s = sample::growing();
        let out = render(&sample::input(&s));
        assert!(out.starts_with("digraph gomap {"));
        assert!(out.trim_end().ends_with('}'));
        assert!(out.contains("cur_2_0:next -> cur_2_1"));
        assert!(out.contains("header:oldbuckets -> old_0_0"));
        // A legend node, like the SVG's and Mermaid's, naming every slot state.
        let legend = out
            .lines()
            .find(|l| l.trim_start().starts_with("legend ["))
            .unwrap();
        for (_, name, _) in super::super::legend() {
            assert!(legend.contains(name), "{name} missing from {legend}");
        }
        assert_eq!(
            out.matches("[label=<<table border=\"1\" cellborder=\"1\"")
                .count(),
            7
        );
        let big = sample::large(8);
        let out = render(&sample::input(&big));
        assert!(out.contains("cur_summary"));
    }
}
