//! Pictures of a live map's structure, from `GoMap::structure()`: SVG, Graphviz
//! dot and Mermaid. Small maps are drawn slot by slot; past
//! [`DETAIL_MAX_BUCKETS`] buckets the pictures switch to an occupancy heat map
//! and chain-length histograms so they stay readable at any size.

pub mod dot;
pub mod mermaid;
pub mod svg;

use gomap::{ArrayView, BucketLayout, ChainView, MapStructure, SlotState};

/// Above this many buckets in the current array, draw summaries instead of slots.
pub const DETAIL_MAX_BUCKETS: usize = 64;

/// What a picture is drawn from.
#[derive(Debug, Clone)]
pub struct RenderInput<'a> {
    /// The live structure.
    pub structure: &'a MapStructure,
    /// Key type, as written in Rust.
    pub key_type: &'a str,
    /// Value type, as written in Rust.
    pub value_type: &'a str,
    /// The bucket layout of the map's (K, V).
    pub layout: BucketLayout,
}

impl RenderInput<'_> {
    /// Draw every slot (small map) rather than summaries.
    pub fn detailed(&self) -> bool {
        self.structure
            .current
            .as_ref()
            .is_none_or(|a| a.chains.len() <= DETAIL_MAX_BUCKETS)
    }

    /// `GoMap<u64, u64>`.
    pub fn type_name(&self) -> String {
        format!("GoMap<{}, {}>", self.key_type, self.value_type)
    }

    /// One line saying what the map is doing.
    pub fn headline(&self) -> String {
        let s = &self.structure.stats;
        let mut line = format!(
            "{}: {}, B = {} ({} of {} bytes), {}",
            self.type_name(),
            crate::output::plural(s.len as u64, "entry").replace("entrys", "entries"),
            s.b,
            crate::output::plural(s.buckets as u64, "bucket"),
            self.layout.bucket_size,
            crate::output::plural(s.overflow_buckets as u64, "overflow bucket"),
        );
        if s.growing {
            line.push_str(&format!(
                "; {} in progress: {} of {} old buckets evacuated",
                if s.same_size_grow {
                    "same-size growth"
                } else {
                    "doubling"
                },
                evacuated_count(self.structure.old.as_ref()),
                s.old_buckets
            ));
        }
        line
    }

    /// The header rows: (Go field name, value, what it means).
    pub fn header_rows(&self) -> Vec<(&'static str, String, &'static str)> {
        let h = &self.structure.header;
        vec![
            ("count", h.count.to_string(), "entries in the map"),
            (
                "flags",
                format!("{:#04x}", h.flags),
                "bits: 1 iterator, 2 oldIterator, 8 sameSizeGrow",
            ),
            ("B", h.b.to_string(), "log2 of the bucket count"),
            (
                "noverflow",
                h.noverflow.to_string(),
                "overflow buckets made (approx.)",
            ),
            (
                "hash0",
                "(seed)".to_string(),
                "per-map hash seed (the hasher)",
            ),
            (
                "buckets",
                crate::output::addr(h.buckets),
                "current bucket array",
            ),
            (
                "oldbuckets",
                crate::output::addr(h.oldbuckets),
                "array being evacuated",
            ),
            (
                "nevacuate",
                h.nevacuate.to_string(),
                "old buckets below this are moved",
            ),
        ]
    }
}

/// Short, human name of a slot state.
pub fn state_name(s: SlotState) -> &'static str {
    match s {
        SlotState::EmptyRest => "empty-rest",
        SlotState::EmptyOne => "empty-one",
        SlotState::EvacuatedX => "evacuated-x",
        SlotState::EvacuatedY => "evacuated-y",
        SlotState::EvacuatedEmpty => "evacuated-empty",
        SlotState::Full(_) => "full",
    }
}

/// Fill colour of a slot state.
pub fn state_color(s: SlotState) -> &'static str {
    match s {
        SlotState::Full(_) => "#8fd16a",
        SlotState::EmptyOne => "#fff4b8",
        SlotState::EmptyRest => "#f2f2f2",
        SlotState::EvacuatedX => "#9cc3ec",
        SlotState::EvacuatedY => "#c9a7e0",
        SlotState::EvacuatedEmpty => "#d9d9d9",
    }
}

/// Legend rows: (state, label, explanation for someone who never read Go's source).
pub fn legend() -> Vec<(SlotState, &'static str, &'static str)> {
    vec![
        (
            SlotState::Full(0xa7),
            "full",
            "holds an entry; the byte is the top 8 bits of its key's hash (tophash), checked before the key",
        ),
        (
            SlotState::EmptyOne,
            "empty-one (01)",
            "free slot, e.g. left by a remove; later slots may still be in use",
        ),
        (
            SlotState::EmptyRest,
            "empty-rest (00)",
            "free, and so is every later slot in this chain: lookups stop here",
        ),
        (
            SlotState::EvacuatedX,
            "evacuated-x (02)",
            "entry moved during growth to the new bucket with the same index",
        ),
        (
            SlotState::EvacuatedY,
            "evacuated-y (03)",
            "entry moved to the new bucket at index + old bucket count",
        ),
        (
            SlotState::EvacuatedEmpty,
            "evacuated-empty (04)",
            "slot was empty when its bucket was evacuated",
        ),
    ]
}

/// Text shown in a slot: the tophash byte in hex.
pub fn slot_text(top: u8) -> String {
    format!("{top:02x}")
}

/// Entries (full slots) in a chain.
pub fn chain_entries(c: &ChainView) -> usize {
    c.buckets
        .iter()
        .flat_map(|b| b.tophash.iter())
        .filter(|&&t| SlotState::from_tophash(t).is_full())
        .count()
}

/// A head bucket of an old array has been evacuated (its slots carry evacuation marks).
pub fn chain_evacuated(c: &ChainView) -> bool {
    c.buckets.first().is_some_and(|b| {
        matches!(
            SlotState::from_tophash(b.tophash[0]),
            SlotState::EvacuatedX | SlotState::EvacuatedY | SlotState::EvacuatedEmpty
        )
    })
}

/// Old buckets evacuated so far (not only those below `nevacuate`).
pub fn evacuated_count(old: Option<&ArrayView>) -> usize {
    old.map_or(0, |a| {
        a.chains.iter().filter(|c| chain_evacuated(c)).count()
    })
}

/// Summary of an array, for the large-map pictures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArraySummary {
    /// `chain_len_hist[k]`: chains of `k + 1` buckets.
    pub chain_len_hist: Vec<usize>,
    /// `entries_hist[e]`: chains holding `e` entries (last bin: 9 or more).
    pub entries_hist: [usize; 10],
    /// Total entries.
    pub entries: usize,
    /// Total buckets including overflow.
    pub buckets: usize,
}

/// Histograms of one array.
pub fn summarize(a: &ArrayView) -> ArraySummary {
    let mut s = ArraySummary::default();
    for c in &a.chains {
        let len = c.buckets.len().max(1);
        if s.chain_len_hist.len() < len {
            s.chain_len_hist.resize(len, 0);
        }
        s.chain_len_hist[len - 1] += 1;
        let e = chain_entries(c);
        s.entries_hist[e.min(9)] += 1;
        s.entries += e;
        s.buckets += c.buckets.len();
    }
    s
}

/// Escapes text for XML (SVG) and for Graphviz HTML-like labels.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
pub(crate) mod sample {
    //! Hand-built structures, so the renderers are tested without a live map.
    use gomap::*;

    fn bucket(addr: usize, tophash: [u8; 8], in_array: bool) -> BucketView {
        BucketView {
            addr,
            tophash,
            in_array,
        }
    }

    /// A map of B = 2 growing from B = 1, with one overflow chain.
    pub fn growing() -> MapStructure {
        let cur_addr = 0x1000;
        let old_addr = 0x9000;
        let mut chains = Vec::new();
        for i in 0..4 {
            let mut buckets = vec![bucket(
                cur_addr + i * 144,
                [0xa5, 0x17, 0x80 + i as u8, 0, 0, 0, 0, 0],
                true,
            )];
            if i == 2 {
                buckets[0].tophash = [0xa5, 0x17, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
                buckets.push(bucket(0x7000, [0x99, 1, 0xfe, 0, 0, 0, 0, 0], false));
            }
            chains.push(ChainView { index: i, buckets });
        }
        let old = ArrayView {
            addr: old_addr,
            b: 1,
            chains: vec![
                ChainView {
                    index: 0,
                    buckets: vec![bucket(old_addr, [2, 3, 2, 4, 4, 4, 4, 4], true)],
                },
                ChainView {
                    index: 1,
                    buckets: vec![bucket(old_addr + 144, [0x42, 0xc1, 0, 0, 0, 0, 0, 0], true)],
                },
            ],
        };
        let stats = MapStats {
            len: 20,
            b: 2,
            buckets: 4,
            overflow_buckets: 1,
            noverflow: 1,
            growing: true,
            same_size_grow: false,
            old_buckets: 2,
            evacuated: 1,
            heap_bytes: 6 * 144 + 144,
            max_chain: 2,
            buckets_addr: cur_addr,
            old_buckets_addr: old_addr,
            ..MapStats::default()
        };
        let header = HeaderView {
            count: 20,
            flags: 0,
            b: 2,
            noverflow: 1,
            buckets: cur_addr,
            oldbuckets: old_addr,
            nevacuate: 1,
            growing: true,
            same_size_grow: false,
            ..HeaderView::default()
        };
        MapStructure {
            stats,
            header,
            current: Some(ArrayView {
                addr: cur_addr,
                b: 2,
                chains,
            }),
            old: Some(old),
        }
    }

    /// A map with `1 << b` buckets, some with overflow, not growing.
    pub fn large(b: u8) -> MapStructure {
        let n = 1usize << b;
        let chains: Vec<ChainView> = (0..n)
            .map(|i| {
                let fill = (i * 7 % 9) as u8;
                let mut top = [0u8; 8];
                for (s, t) in top.iter_mut().enumerate() {
                    if (s as u8) < fill {
                        *t = 0x80 | s as u8;
                    }
                }
                let mut buckets = vec![bucket(0x10000 + i * 144, top, true)];
                if i % 13 == 0 {
                    buckets.push(bucket(
                        0x900000 + i * 144,
                        [0x90, 0, 0, 0, 0, 0, 0, 0],
                        false,
                    ));
                }
                ChainView { index: i, buckets }
            })
            .collect();
        let mut s = MapStructure {
            stats: MapStats {
                b,
                buckets: n,
                buckets_addr: 0x10000,
                ..MapStats::default()
            },
            header: HeaderView {
                b,
                buckets: 0x10000,
                ..HeaderView::default()
            },
            current: Some(ArrayView {
                addr: 0x10000,
                b,
                chains,
            }),
            old: None,
        };
        let sum = super::summarize(s.current.as_ref().unwrap());
        s.stats.len = sum.entries;
        s.header.count = sum.entries;
        s.stats.overflow_buckets = sum.buckets - n;
        s
    }

    /// The render input for a structure of u64 -> u64.
    pub fn input(s: &MapStructure) -> super::RenderInput<'_> {
        super::RenderInput {
            structure: s,
            key_type: "u64",
            value_type: "u64",
            layout: BucketLayout::of::<u64, u64>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let s = sample::growing();
        let cur = summarize(s.current.as_ref().unwrap());
        assert_eq!(cur.chain_len_hist, vec![3, 1]);
        assert_eq!(cur.buckets, 5);
        assert_eq!(evacuated_count(s.old.as_ref()), 1);
        let inp = sample::input(&s);
        assert!(inp.detailed());
        assert!(inp.headline().contains("1 of 2 old buckets evacuated"));
        let big = sample::large(8);
        assert!(!sample::input(&big).detailed());
    }
}
