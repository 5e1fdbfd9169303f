//! `gomap trace`: one line per growth event.

use crate::{TextOrJson, TraceArgs};
use gomap::GoMap;
use gomap_cli::trace::{event_line, FirstAlloc, GrowthEvent, GrowthTracer, Transition};
use gomap_cli::types::{check_memory, map_bytes_per_entry, MenuType, TypeName};
use gomap_cli::{alloc, with_type, CliError, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::Write;

/// Final numbers of a traced map.
#[derive(Debug, Serialize)]
pub struct FinalState {
    pub len: usize,
    pub b: u8,
    pub buckets: usize,
    pub overflow_buckets: usize,
    pub noverflow: u16,
    pub growing: bool,
    pub heap_bytes: usize,
}

#[derive(Debug, Serialize)]
struct TraceJson<'a> {
    key: &'static str,
    value: &'static str,
    n: u64,
    hint: u64,
    churn: u64,
    writes: u64,
    first_alloc: Option<FirstAlloc>,
    events: &'a [GrowthEvent],
    #[serde(rename = "final")]
    final_state: FinalState,
}

/// A small deterministic generator for churn.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

pub fn validate(a: &TraceArgs) -> Result<()> {
    let bucket = with_type!(a.key, K => GoMap::<K, u64>::layout().bucket_size);
    let per = map_bytes_per_entry(a.key, TypeName::U64, bucket);
    check_memory("--n", a.n, per)?;
    if a.hint > 0 {
        check_memory("--hint", a.hint, per)?;
    }
    if a.churn > gomap_cli::types::MAX_N {
        return Err(CliError::msg(format!("--churn = {} is too large", a.churn)));
    }
    a.key
        .check_distinct(a.n.saturating_add(a.churn), "--n + --churn")
}

pub fn run(a: &TraceArgs) -> Result<()> {
    validate(a)?;
    with_type!(a.key, K => trace::<K>(a))
}

fn progress(total: u64) -> ProgressBar {
    if total < 2_000_000 {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} writes ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb
}

fn trace<K: MenuType>(a: &TraceArgs) -> Result<()> {
    let text = matches!(a.format, TextOrJson::Text);
    let mut o = std::io::stdout().lock();
    if text {
        writeln!(
            o,
            "gomap trace: GoMap<{}, u64>, n = {}, hint = {}, churn = {} remove+insert pairs",
            K::RUST_NAME,
            a.n,
            a.hint,
            a.churn
        )?;
    }
    let pb = progress(a.n + 2 * a.churn);
    let heap_known = alloc::is_installed();
    // Everything above allocated already: heap numbers below are the map's.
    let base = alloc::live_bytes();
    let mut m: GoMap<K, u64> = GoMap::try_with_capacity(a.hint as usize)
        .map_err(|e| CliError::msg(format!("--hint = {}: {e}", a.hint)))?;
    let mut tr = GrowthTracer::new(&m, alloc::snapshot).with_base(base);
    if text && a.hint > 0 {
        let h = m.header();
        writeln!(
            o,
            "with_capacity({}): B = {}, buckets {}{}",
            a.hint,
            h.b,
            gomap_cli::output::addr(h.buckets),
            if heap_known {
                format!(
                    ", heap {}",
                    gomap_cli::output::human_bytes(alloc::live_bytes().saturating_sub(base))
                )
            } else {
                String::new()
            }
        )?;
    }
    pb.set_message("filling");
    // A growth's line is printed once its old array is freed (the write
    // that finishes the evacuation, or, from 1 MiB, a few writes later).
    let mut printed = 0;
    let mut emit =
        |o: &mut std::io::StdoutLock<'_>, tr: &GrowthTracer, t: Transition| -> Result<()> {
            if !text {
                return Ok(());
            }
            if t == Transition::FirstAlloc {
                let f = tr.first_alloc.expect("just set");
                let mut s = format!(
                "alloc    @write {:<8} first bucket array (Go's makemap_small): B = {}, buckets {}",
                f.at_write,
                f.b,
                gomap_cli::output::addr(f.buckets)
            );
                if heap_known {
                    s.push_str(&format!(", heap +{} B", f.heap_added));
                }
                pb.suspend(|| writeln!(o, "{s}"))?;
            }
            while let Some(e) = tr.events.get(printed) {
                if e.finished.is_none_or(|f| f.freed_at_write.is_none()) {
                    break;
                }
                pb.suspend(|| writeln!(o, "{}", event_line(e, heap_known)))?;
                printed += 1;
            }
            Ok(())
        };
    for i in 0..a.n {
        m.insert(K::from_index(i), i);
        let t = tr.after_write(&m);
        emit(&mut o, &tr, t)?;
        if i % 65536 == 0 {
            pb.set_position(i);
        }
    }
    if a.churn > 0 {
        pb.set_message("churning");
        let mut live: Vec<u64> = (0..a.n).collect();
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for j in 0..a.churn {
            let next = a.n + j;
            let r = (rng.next() % live.len() as u64) as usize;
            let victim = live.swap_remove(r);
            m.remove(&K::from_index(victim));
            let t = tr.after_write(&m);
            emit(&mut o, &tr, t)?;
            m.insert(K::from_index(next), next);
            live.push(next);
            let t = tr.after_write(&m);
            emit(&mut o, &tr, t)?;
            if j % 32768 == 0 {
                pb.set_position(a.n + 2 * j);
            }
        }
    }
    pb.finish_and_clear();
    let st = m.stats();
    let fin = FinalState {
        len: st.len,
        b: st.b,
        buckets: st.buckets,
        overflow_buckets: st.overflow_buckets,
        noverflow: st.noverflow,
        growing: st.growing,
        heap_bytes: st.heap_bytes,
    };
    if text {
        for e in &tr.events[printed..] {
            writeln!(o, "{}", event_line(e, heap_known))?;
        }
        let doublings = tr
            .events
            .iter()
            .filter(|e| e.kind == gomap_cli::trace::GrowthKind::Doubling)
            .count();
        writeln!(
            o,
            "done: {}, len {}, B {} ({} + {} overflow), {} ({} doubling, {} same-size), map heap {}{}",
            gomap_cli::output::plural(tr.writes(), "write"),
            fin.len,
            fin.b,
            gomap_cli::output::plural(fin.buckets as u64, "bucket"),
            fin.overflow_buckets,
            gomap_cli::output::plural(tr.events.len() as u64, "growth"),
            doublings,
            tr.events.len() - doublings,
            gomap_cli::output::human_bytes(fin.heap_bytes),
            if fin.growing { ", still growing" } else { "" }
        )?;
    } else {
        let j = TraceJson {
            key: K::RUST_NAME,
            value: "u64",
            n: a.n,
            hint: a.hint,
            churn: a.churn,
            writes: tr.writes(),
            first_alloc: tr.first_alloc,
            events: &tr.events,
            final_state: fin,
        };
        gomap_cli::output::write_json(&mut o, &j)?;
    }
    o.flush()?;
    Ok(())
}
