//! Charts drawn with plotters' SVG backend: insert latency and growth.

use crate::error::{CliError, Result};
use crate::harness::{columns, ContenderReport};
use crate::output::human_ns;
use plotters::prelude::*;

fn perr<E: std::fmt::Debug>(e: E) -> CliError {
    CliError::msg(format!("drawing failed: {e:?}"))
}

/// Colours per contender, in report order.
const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Per-insert latency against insert index for every contender, log scale,
/// bucketed into `cols` columns (max and median of each).
pub fn latency_svg(reports: &[ContenderReport], cols: usize) -> Result<String> {
    let n = reports.iter().map(|r| r.latencies.len()).max().unwrap_or(0);
    if n == 0 {
        return Err(CliError::msg("nothing to plot"));
    }
    let series: Vec<_> = reports
        .iter()
        .map(|r| columns(&r.latencies, cols))
        .collect();
    let ymax = reports
        .iter()
        .map(|r| r.insert.max_ns)
        .max()
        .unwrap_or(1)
        .max(10) as f64
        * 2.0;
    let ymin = series
        .iter()
        .flat_map(|s| s.iter().map(|c| c.median))
        .min()
        .unwrap_or(1)
        .max(1) as f64
        / 2.0;
    // The scheduler tick: on a busy machine a preempted insert takes about
    // a multiple of it, in both maps; those points are labelled, not hidden.
    const TICK_NS: f64 = 4e6;
    let mut buf = String::new();
    {
        let legend_rows = 2 * reports.len() + 1;
        let legend_h = 16 + 22 * legend_rows as u32;
        let root = SVGBackend::with_string(&mut buf, (1280, 720 + legend_h)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        // The legend goes below the plot, so it can never cover a point.
        let (upper, lower) = root.split_vertically(720);
        let key = reports.first().map_or("", |r| r.key);
        let mut chart = ChartBuilder::on(&upper)
            .caption(
                format!(
                    "Time of each insert while growing to {n} {key} keys (each point: the slowest / median insert of {} consecutive inserts)",
                    n.div_ceil(cols.min(n).max(1))
                ),
                ("sans-serif", 18),
            )
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(84)
            .build_cartesian_2d(0f64..n as f64, (ymin..ymax).log_scale())
            .map_err(perr)?;
        chart
            .configure_mesh()
            .x_desc("insert number (map size before the insert)")
            .y_desc("insert latency (log scale)")
            .x_label_formatter(&|v| format_count(*v))
            .y_label_formatter(&|v| human_ns(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(perr)?;
        if ymax > TICK_NS && ymin < TICK_NS {
            let grey = RGBColor(150, 150, 150);
            chart
                .draw_series(LineSeries::new(
                    vec![(0.0, TICK_NS), (n as f64, TICK_NS)],
                    grey.stroke_width(1),
                ))
                .map_err(perr)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    "4 ms: the scheduler tick. Points at about 4, 8, 12 ms in either map are the process being preempted on a shared machine, not map work",
                    (n as f64 * 0.01, TICK_NS * 1.15),
                    ("sans-serif", 13).into_font().color(&grey),
                )))
                .map_err(perr)?;
        }
        let mut legend: Vec<(RGBColor, bool, String)> = Vec::new();
        for (i, (r, s)) in reports.iter().zip(&series).enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            // The slowest insert of each column as a dot: a line through
            // them would fill the chart wherever the OS preempts the process.
            chart
                .draw_series(s.iter().map(|c| {
                    Circle::new(
                        (c.start as f64, (c.max as f64).max(ymin)),
                        2,
                        color.mix(0.6).filled(),
                    )
                }))
                .map_err(perr)?;
            legend.push((
                color,
                false,
                format!(
                    "{}: slowest insert per column (overall max {} at insert {}: the large dot)",
                    r.name,
                    human_ns(r.insert.max_ns as f64),
                    r.insert.max_at
                ),
            ));
            chart
                .draw_series(LineSeries::new(
                    s.iter()
                        .map(|c| (c.start as f64, (c.median as f64).max(ymin))),
                    color.stroke_width(3),
                ))
                .map_err(perr)?;
            legend.push((
                color,
                true,
                format!(
                    "{}: median per column (overall p50 {}, p99.99 {})",
                    r.name,
                    human_ns(r.insert.p50_ns as f64),
                    human_ns(r.insert.p99_99_ns as f64)
                ),
            ));
            // Mark the single slowest insert.
            chart
                .draw_series(std::iter::once(Circle::new(
                    (r.insert.max_at as f64, r.insert.max_ns as f64),
                    5,
                    color.filled(),
                )))
                .map_err(perr)?;
        }
        for (i, (color, line, text)) in legend.iter().enumerate() {
            let y = 14 + 22 * i as i32;
            if *line {
                lower
                    .draw(&PathElement::new(
                        vec![(100, y), (124, y)],
                        color.stroke_width(3),
                    ))
                    .map_err(perr)?;
            } else {
                lower
                    .draw(&Circle::new((112, y), 3, color.mix(0.6).filled()))
                    .map_err(perr)?;
            }
            lower
                .draw(&Text::new(text.clone(), (134, y - 7), ("sans-serif", 14)))
                .map_err(perr)?;
        }
        root.present().map_err(perr)?;
    }
    Ok(buf)
}

/// One point of a growth run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GrowthSample {
    /// Entries in the map.
    pub entries: u64,
    /// Go's B.
    pub b: u8,
    /// Head buckets (2^B; 0 before the first insert).
    pub buckets: u64,
    /// Overflow buckets created (Go's noverflow).
    pub noverflow: u64,
    /// Live heap bytes (from the counting allocator).
    pub heap: u64,
    /// An old array is still held.
    pub growing: bool,
}

/// Marks on the growth chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrowthMark {
    /// Entries when a growth started.
    pub started_at: u64,
    /// Entries when its old array was freed (None if still growing).
    pub freed_at: Option<u64>,
    /// Bytes freed then.
    pub freed_bytes: u64,
}

/// B, bucket count and heap bytes against entries, with the moments each
/// growth started and its old array was freed.
pub fn growth_svg(samples: &[GrowthSample], marks: &[GrowthMark], title: &str) -> Result<String> {
    let n = samples.iter().map(|s| s.entries).max().unwrap_or(1).max(2) as f64;
    let bmax = samples.iter().map(|s| s.b).max().unwrap_or(1) as f64 + 1.0;
    let bucket_max = samples
        .iter()
        .map(|s| s.buckets + s.noverflow)
        .max()
        .unwrap_or(1)
        .max(2) as f64
        * 2.0;
    let heap_max = samples.iter().map(|s| s.heap).max().unwrap_or(1).max(2) as f64 * 2.0;
    let heap_min = samples
        .iter()
        .map(|s| s.heap)
        .filter(|&h| h > 0)
        .min()
        .unwrap_or(1) as f64
        / 2.0;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (1200, 980)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let root = root.titled(title, ("sans-serif", 20)).map_err(perr)?;
        let panels = root.split_evenly((3, 1));
        let x_range = || (1f64..n).log_scale();
        let start_color = RGBColor(44, 160, 44);
        let red = RGBColor(214, 39, 40);
        let blue = PALETTE[0];

        // Panel 1: B.
        let mut c = ChartBuilder::on(&panels[0])
            .caption(
                "B (the map has 2^B buckets): +1 at each doubling",
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range(), -0.5f64..bmax)
            .map_err(perr)?;
        c.configure_mesh()
            .x_desc("entries (log scale)")
            .y_desc("B")
            .x_label_formatter(&|v| format_count(*v))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(perr)?;
        draw_marks(&mut c, marks, -0.5, bmax, start_color, red)?;
        c.draw_series(LineSeries::new(
            step(samples, |s| s.b as f64),
            blue.stroke_width(2),
        ))
        .map_err(perr)?;

        // Panel 2: bucket counts.
        let mut c = ChartBuilder::on(&panels[1])
            .caption(
                "buckets: the 2^B array, and with the overflow buckets chained to it (log scale)",
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range(), (0.5f64..bucket_max).log_scale())
            .map_err(perr)?;
        c.configure_mesh()
            .x_desc("entries (log scale)")
            .y_desc("buckets")
            .x_label_formatter(&|v| format_count(*v))
            .y_label_formatter(&|v| format_count(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(perr)?;
        draw_marks(&mut c, marks, 0.5, bucket_max, start_color, red)?;
        c.draw_series(LineSeries::new(
            step(samples, |s| (s.buckets as f64).max(0.5)),
            blue.stroke_width(2),
        ))
        .map_err(perr)?
        .label("2^B buckets")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
        let orange = PALETTE[1];
        c.draw_series(LineSeries::new(
            step(samples, |s| ((s.buckets + s.noverflow) as f64).max(0.5)),
            orange.stroke_width(1),
        ))
        .map_err(perr)?
        .label("2^B + overflow buckets")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(2)));
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;

        // Panel 3: heap bytes.
        let mut c = ChartBuilder::on(&panels[2])
            .caption(
                "heap bytes the map holds (log scale): up when a growth allocates the new array, down when the old one is freed",
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range(), (heap_min..heap_max).log_scale())
            .map_err(perr)?;
        c.configure_mesh()
            .x_desc("entries (log scale)")
            .y_desc("heap")
            .x_label_formatter(&|v| format_count(*v))
            .y_label_formatter(&|v| si_bytes(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(perr)?;
        draw_marks(&mut c, marks, heap_min, heap_max, start_color, red)?;
        c.draw_series(LineSeries::new(
            step(samples, |s| (s.heap as f64).max(heap_min)),
            blue.stroke_width(2),
        ))
        .map_err(perr)?;
        root.present().map_err(perr)?;
    }
    Ok(buf)
}

type LogX = plotters::coord::types::RangedCoordf64;
type Chart<'a, Y> =
    ChartContext<'a, SVGBackend<'a>, Cartesian2d<plotters::coord::combinators::LogCoord<f64>, Y>>;

fn draw_marks<Y>(
    c: &mut Chart<'_, Y>,
    marks: &[GrowthMark],
    lo: f64,
    hi: f64,
    start_color: RGBColor,
    red: RGBColor,
) -> Result<()>
where
    Y: Ranged<ValueType = f64>,
{
    let _unused: Option<LogX> = None;
    for m in marks {
        let x = m.started_at.max(1) as f64;
        c.draw_series(LineSeries::new(
            vec![(x, lo), (x, hi)],
            start_color.mix(0.7).stroke_width(1),
        ))
        .map_err(perr)?;
        if let Some(f) = m.freed_at {
            let x = f.max(1) as f64;
            c.draw_series(LineSeries::new(
                vec![(x, lo), (x, hi)],
                red.mix(0.5).stroke_width(1),
            ))
            .map_err(perr)?;
        }
    }
    Ok(())
}

/// Turns samples into a step line (horizontal, then vertical at each change).
fn step(samples: &[GrowthSample], y: impl Fn(&GrowthSample) -> f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = Vec::with_capacity(samples.len() * 2);
    for s in samples {
        let x = s.entries.max(1) as f64;
        let v = y(s);
        if let Some(&(_, prev)) = pts.last() {
            if prev != v {
                pts.push((x, prev));
            }
        }
        pts.push((x, v));
    }
    pts
}

/// Bytes in decimal units, for log-scale axes whose ticks are powers of ten: "10 kB".
pub fn si_bytes(v: f64) -> String {
    if v >= 1e9 {
        format!("{} GB", trim(v / 1e9))
    } else if v >= 1e6 {
        format!("{} MB", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{} kB", trim(v / 1e3))
    } else {
        format!("{} B", trim(v))
    }
}

/// 1234567 -> "1.2M", 2000 -> "2k".
pub fn format_count(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{LatencySummary, Throughput};

    fn report(name: &'static str, spike_at: usize) -> ContenderReport {
        let mut lat = vec![50u32; 100_000];
        lat[spike_at] = 5_000_000;
        ContenderReport {
            name,
            key: "u64",
            n: lat.len() as u64,
            insert: LatencySummary::from_latencies(&lat),
            insert_wall_ns: 0,
            heap_bytes: None,
            lookup_hit: Throughput::default(),
            lookup_miss: Throughput::default(),
            iterate: Throughput::default(),
            remove: Throughput::default(),
            latencies: lat,
        }
    }

    #[test]
    fn latency_chart_is_svg() {
        let svg = latency_svg(&[report("a", 65_000), report("b", 1000)], 2000).unwrap();
        assert!(svg.contains("<svg"));
        assert!(svg.contains("slowest insert per column"));
        assert!(svg.len() < 2_000_000);
    }

    #[test]
    fn growth_chart_is_svg() {
        let samples: Vec<GrowthSample> = (1..1000u64)
            .map(|e| GrowthSample {
                entries: e,
                b: (64 - (e / 7).leading_zeros()) as u8,
                buckets: 1 << (64 - (e / 7).leading_zeros()),
                noverflow: e / 100,
                heap: e * 20,
                growing: false,
            })
            .collect();
        let marks = [GrowthMark {
            started_at: 9,
            freed_at: Some(9),
            freed_bytes: 144,
        }];
        let svg = growth_svg(&samples, &marks, "test").unwrap();
        assert!(svg.contains("<svg"));
    }

    #[test]
    fn counts() {
        assert_eq!(format_count(2000.0), "2k");
        assert_eq!(format_count(1_500_000.0), "1.5M");
        assert_eq!(format_count(12.0), "12");
    }
}
