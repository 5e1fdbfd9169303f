//! `gomap layout`: the bucket layout of a (key, value) pair, checked live.

use crate::{LayoutArgs, LayoutFormat};
use gomap::{BucketLayout, GoMap};
use gomap_cli::layout::{
    header_rows, header_table, live_check, regions, HeaderRow, LiveCheck, Region,
};
use gomap_cli::types::MenuType;
use gomap_cli::{with_type, CliError, Result};
use serde::Serialize;
use std::io::Write;

/// Everything `gomap layout` reports.
#[derive(Debug, Serialize)]
pub struct LayoutReport {
    pub key: &'static str,
    pub value: &'static str,
    pub key_size: usize,
    pub value_size: usize,
    pub layout: BucketLayout,
    pub regions: Vec<Region>,
    pub live_check: LiveCheck,
    /// The map header (Go's hmap) beside GoMap's, offsets read live.
    pub header: Vec<HeaderRow>,
    /// size_of::<GoMap<K, V>>().
    pub header_size: usize,
}

/// Entries the live check inserts: enough for B = 4 and some overflow buckets.
pub const CHECK_ENTRIES: u64 = 200;

pub fn report<K: MenuType, V: MenuType>() -> LayoutReport {
    let l = GoMap::<K, V>::layout();
    LayoutReport {
        key: K::RUST_NAME,
        value: V::RUST_NAME,
        key_size: std::mem::size_of::<K>(),
        value_size: std::mem::size_of::<V>(),
        layout: l,
        regions: regions(&l, K::RUST_NAME, V::RUST_NAME),
        live_check: live_check::<K, V>(CHECK_ENTRIES),
        header: header_rows::<K, V>().0,
        header_size: header_rows::<K, V>().1,
    }
}

pub fn run(a: &LayoutArgs) -> Result<()> {
    let r = with_type!(a.key, K => with_type!(a.value, V => report::<K, V>()));
    let mut o = std::io::stdout().lock();
    match a.format {
        LayoutFormat::Json => {
            gomap_cli::output::write_json(&mut o, &r)?;
        }
        LayoutFormat::Table => {
            write_table(&mut o, &r)?;
            writeln!(
                o,
                "\nThe header: Go's hmap (64-bit) beside GoMap<{}, {}>'s fields as compiled:",
                r.key, r.value
            )?;
            o.write_all(
                header_table(
                    &r.header,
                    r.header_size,
                    &format!("GoMap<{}, {}>", r.key, r.value),
                )
                .as_bytes(),
            )?;
        }
        LayoutFormat::Markdown => write_markdown(&mut o, &r)?,
    }
    o.flush()?;
    if !r.live_check.passed {
        return Err(CliError::msg(format!(
            "live check FAILED: {}",
            r.live_check.failures.join("; ")
        )));
    }
    Ok(())
}

pub fn title(r: &LayoutReport) -> String {
    format!(
        "GoMap<{}, {}>: one bucket (Go's bmap) is {} bytes, aligned to {}",
        r.key, r.value, r.layout.bucket_size, r.layout.bucket_align
    )
}

pub fn check_line(r: &LayoutReport) -> String {
    let c = &r.live_check;
    if c.passed {
        format!(
            "live check passed: {} entries located with locate() in {} buckets ({} entries in overflow buckets): \
             every key at bucket + {} + slot*{}, every value at bucket + {} + slot*{}, \
             {} head buckets at array + index*{}",
            c.entries,
            c.buckets,
            c.in_overflow,
            r.layout.keys_offset,
            r.layout.key_slot_size,
            r.layout.values_offset,
            r.layout.value_slot_size,
            c.heads_checked,
            r.layout.bucket_size
        )
    } else {
        format!("live check FAILED: {}", c.failures.join("; "))
    }
}

pub fn write_table(o: &mut impl Write, r: &LayoutReport) -> std::io::Result<()> {
    writeln!(o, "{}", title(r))?;
    writeln!(
        o,
        "  (size_of::<{}>() = {}, size_of::<{}>() = {})",
        r.key, r.key_size, r.value, r.value_size
    )?;
    writeln!(
        o,
        "  {:>6}  {:>5}  {:<9} contents",
        "offset", "size", "field"
    )?;
    for g in &r.regions {
        writeln!(
            o,
            "  {:>6}  {:>5}  {:<9} {}",
            g.offset, g.size, g.field, g.note
        )?;
    }
    writeln!(
        o,
        "  padding: {} bytes; slot i: key at {} + i*{}, value at {} + i*{}",
        r.layout.padding,
        r.layout.keys_offset,
        r.layout.key_slot_size,
        r.layout.values_offset,
        r.layout.value_slot_size
    )?;
    writeln!(o, "{}", check_line(r))
}

fn write_markdown(o: &mut impl Write, r: &LayoutReport) -> std::io::Result<()> {
    writeln!(o, "**{}**\n", title(r).replace('<', "\\<"))?;
    writeln!(o, "| offset | size | field | contents |")?;
    writeln!(o, "|-------:|-----:|-------|----------|")?;
    for g in &r.regions {
        writeln!(
            o,
            "| {} | {} | {} | {} |",
            g.offset,
            g.size,
            g.field,
            g.note.replace('|', "\\|")
        )?;
    }
    writeln!(o, "\nPadding: {} bytes.\n", r.layout.padding)?;
    writeln!(o, "{}", check_line(r))?;
    writeln!(
        o,
        "\n**The header: Go's hmap (64-bit) beside GoMap's fields**\n"
    )?;
    writeln!(
        o,
        "| field | Go offset | Go size | Go type | GoMap offset | GoMap size | why |"
    )?;
    writeln!(
        o,
        "|-------|----------:|--------:|---------|-------------:|-----------:|-----|"
    )?;
    let opt = |v: Option<usize>| v.map_or("-".to_string(), |v| v.to_string());
    for h in &r.header {
        writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            h.field,
            opt(h.go_offset),
            opt(h.go_size),
            h.go_type,
            opt(h.offset),
            opt(h.size),
            h.why.replace('|', "\\|")
        )?;
    }
    writeln!(
        o,
        "\nGo's hmap is {} bytes behind an 8-byte map variable; GoMap<{}, {}> is {} bytes and is the variable itself.",
        gomap_cli::layout::GO_HMAP_SIZE,
        r.key,
        r.value,
        r.header_size
    )
}
