//! The structure as a Mermaid flowchart (paste into any Markdown that renders Mermaid).

use super::*;
use std::fmt::Write as _;

/// Makes text safe inside a quoted Mermaid label: the `<br/>` line breaks
/// this module inserts are kept, everything else that Mermaid could read as
/// markup becomes one of its entity codes (`#quot;`, `#lt;`, `#gt;`, `#35;`).
fn label(s: &str) -> String {
    s.split("<br/>")
        .map(|part| {
            let mut o = String::with_capacity(part.len());
            for ch in part.chars() {
                match ch {
                    '#' => o.push_str("#35;"),
                    '"' => o.push_str("#quot;"),
                    '<' => o.push_str("#lt;"),
                    '>' => o.push_str("#gt;"),
                    c => o.push(c),
                }
            }
            o
        })
        .collect::<Vec<_>>()
        .join("<br/>")
}

fn bucket_label(c: &ChainView, d: usize) -> String {
    let b = &c.buckets[d];
    let slots: Vec<String> = b
        .tophash
        .iter()
        .map(|&t| match SlotState::from_tophash(t) {
            SlotState::Full(_) => slot_text(t),
            SlotState::EmptyRest => "__".to_string(),
            SlotState::EmptyOne => "e1".to_string(),
            SlotState::EvacuatedX => "eX".to_string(),
            SlotState::EvacuatedY => "eY".to_string(),
            SlotState::EvacuatedEmpty => "e0".to_string(),
        })
        .collect();
    let head = if d == 0 {
        format!("bucket {}", c.index)
    } else {
        format!("overflow {d} of bucket {}", c.index)
    };
    format!("{head}<br/>{}", slots.join(" "))
}

/// Renders the structure as a Mermaid `flowchart`.
pub fn render(input: &RenderInput<'_>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "flowchart LR");
    let mut header = format!("header (hmap): {}", input.type_name());
    for (name, value, _) in input.header_rows() {
        let _ = write!(header, "<br/>{name} = {value}");
    }
    let _ = writeln!(o, "    header[\"{}\"]", label(&header));
    let _ = writeln!(
        o,
        "    legend[\"slots: hex = tophash of a full slot, __ = empty-rest, e1 = empty-one,<br/>eX / eY = evacuated to the same index / index + old size, e0 = evacuated-empty\"]"
    );
    let mut faded = Vec::new();
    let arrays = [
        (
            "cur",
            "current array",
            input.structure.current.as_ref(),
            "buckets",
        ),
        (
            "old",
            "old array, being evacuated",
            input.structure.old.as_ref(),
            "oldbuckets",
        ),
    ];
    for (id, title, array, field) in arrays {
        let Some(a) = array else { continue };
        let _ = writeln!(
            o,
            "    subgraph {id} [\"{}\"]",
            label(&format!(
                "{title} at {}: {}",
                crate::output::addr(a.addr),
                crate::output::plural(a.chains.len() as u64, "bucket")
            ))
        );
        let _ = writeln!(o, "        direction TB");
        if input.detailed() {
            for c in &a.chains {
                for d in 0..c.buckets.len() {
                    let _ = writeln!(
                        o,
                        "        {id}{}_{d}[\"{}\"]",
                        c.index,
                        label(&bucket_label(c, d))
                    );
                }
                if id == "old" && chain_evacuated(c) {
                    faded.push(format!("{id}{}_0", c.index));
                }
            }
            if id == "old" {
                let _ = writeln!(
                    o,
                    "        frontier[\"nevacuate = {}: old buckets before it are moved\"]",
                    input.structure.header.nevacuate
                );
            }
        } else {
            let s = summarize(a);
            let mut text = format!(
                "{} chains, {} buckets, {} entries<br/>chains by length:",
                a.chains.len(),
                s.buckets,
                s.entries
            );
            for (i, c) in s.chain_len_hist.iter().enumerate() {
                let _ = write!(text, "<br/>{} bucket(s): {c}", i + 1);
            }
            text.push_str("<br/>chains by entries:");
            for (e, c) in s.entries_hist.iter().enumerate() {
                if *c > 0 {
                    let name = if e == 9 {
                        "9+".to_string()
                    } else {
                        e.to_string()
                    };
                    let _ = write!(text, "<br/>{name} entries: {c}");
                }
            }
            let _ = writeln!(o, "        {id}summary[\"{}\"]", label(&text));
        }
        let _ = writeln!(o, "    end");
        let _ = writeln!(o, "    header -->|{field}| {id}");
        if input.detailed() {
            for c in &a.chains {
                for d in 1..c.buckets.len() {
                    let _ = writeln!(
                        o,
                        "    {id}{}_{} -->|overflow| {id}{}_{d}",
                        c.index,
                        d - 1,
                        c.index
                    );
                }
            }
        }
    }
    let _ = writeln!(
        o,
        "    classDef evacuated fill:#e5e5e5,stroke:#999,color:#777"
    );
    let _ = writeln!(o, "    classDef hdr fill:#fbfbf4,stroke:#555");
    let _ = writeln!(o, "    class header hdr");
    if !faded.is_empty() {
        let _ = writeln!(o, "    class {} evacuated", faded.join(","));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn mermaid_is_a_flowchart() {
        let s = sample::growing();
        let out = render(&sample::input(&s));
        assert!(out.starts_with("flowchart LR\n"));
        assert!(out.contains("cur2_0 -->|overflow| cur2_1"));
        assert!(out.contains("class old0_0 evacuated"));
        // Type names are escaped, line breaks kept.
        assert!(out.contains("GoMap#lt;u64, u64#gt;<br/>count = 20"));
        // Subgraphs balanced.
        assert_eq!(
            out.matches("subgraph ").count(),
            out.matches("\n    end\n").count()
        );
        // No stray quotes inside labels: every label line has exactly two quotes.
        for l in out.lines().filter(|l| l.contains("[\"")) {
            assert_eq!(l.matches('"').count(), 2, "{l}");
        }
    }
}
