#!/usr/bin/env python3
"""Plots and tables for BENCHMARKS.md, generated from benchmark output.

Inputs (produced by `scripts/bench.sh` or the cargo commands in BENCHMARKS.md):
  target/bench-results/latency.json   from `cargo bench -p gomap --bench latency`
  target/bench-results/latency_seq.json  the same with sequential keys (LAT_KEYS=seq)
  $CARGO_TARGET_DIR/criterion/<key>_<workload>/<map>/<n>/new/estimates.json
                                      from `cargo bench -p gomap --bench throughput`
                                      (target/ unless CARGO_TARGET_DIR or CRITERION_HOME says otherwise)
  target/bench-results/ratios.md      from `scripts/ratios.sh > target/bench-results/ratios.md`
                                      (optional: interleaved gomap/std and gomap/layout ratios)
Outputs (committed):
  crates/gomap/benches/results/latency.png      per-insert latency vs insert index
  crates/gomap/benches/results/latency_seq.png  the same, sequential keys
  crates/gomap/benches/results/throughput.png   ns/element bars, per workload
  crates/gomap/benches/results/tables.md        the tables BENCHMARKS.md quotes

matplotlib is installed into a private virtualenv on first use
(target/bench-venv), so nothing is installed system-wide.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
VENV = os.path.join(ROOT, "target", "bench-venv")


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", "matplotlib"])
    # A venv's python is a symlink to the system one, so compare prefixes,
    # not executables.
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(py, [py] + sys.argv)


ensure_matplotlib()
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = os.path.join(ROOT, "crates", "gomap", "benches", "results")
MAPS = ["gomap", "std", "hashbrown", "griddle"]
COLORS = {"gomap": "#00add8", "std": "#dea584", "hashbrown": "#7b5", "griddle": "#a6a"}
WORKLOADS = ["insert_empty", "insert_presized", "lookup_hit", "lookup_miss",
             "remove", "iterate", "churn"]


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def latency(lines, name="latency", what="random keys"):
    path = os.path.join(ROOT, "target", "bench-results", name + ".json")
    if not os.path.exists(path):
        print(f"no {name}.json; skipping its latency plot")
        return
    d = json.load(open(path))
    n, window = d["n"], d["window"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), sharey=True)
    for ax, mode, title in [(axes[0], None, "wall clock (Instant)"),
                            (axes[1], "cpu", "on-CPU (thread CPU time; preemption excluded)")]:
        for m in MAPS:
            if m not in d["maps"]:
                continue
            v = d["maps"][m] if mode is None else d["maps"][m].get(mode)
            if v is None:
                continue
            s = v["series"]
            xs = [i * window for i in range(len(s))]
            ax.scatter(xs, s, s=2, label=m, color=COLORS[m])
        ax.set_yscale("log")
        ax.set_xlabel("insert index")
        # Two lines: one line of this length ran past the right panel's edge.
        ax.set_title(f"max insert latency per {window} inserts,\n{title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(markerscale=5)
    axes[0].set_ylabel("ns")
    fig.suptitle(f"Growing u64->u64 maps (foldhash) from empty to {n:,}, {what}")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, name + ".png"), dpi=110)

    lines.append(f"### Growing to {n:,} (u64 -> u64, foldhash, {what}), every insert timed\n")
    lines.append(f"Medians of {d['runs']} runs (each in a fresh process). "
                 f"loadavg at start: `{d['loadavg']}`.\n")
    lines.append("| map | total | mean | p50 | p99 | p99.9 | p99.99 | max (median run) | max at insert # | "
                 "max of each run | drop | peak allocated | peak resident (VmHWM - base) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for m in MAPS:
        if m not in d["maps"]:
            continue
        v = d["maps"][m]
        runs = ", ".join(fmt_ns(x) for x in v["max_runs"])
        lines.append(
            f"| {m} | {v['total_ns'] / 1e6:.0f} ms | {v['mean_ns']:.0f} ns | {fmt_ns(v['p50'])} | "
            f"{fmt_ns(v['p99'])} | {fmt_ns(v['p999'])} | {fmt_ns(v['p9999'])} | "
            f"{fmt_ns(v['max_median'])} | {v['max_index']:,.0f} | {runs} | {fmt_ns(v['drop_ns'])} | "
            f"{v['peak_alloc'] / 2**20:.1f} MiB | {v['resident_peak_mib']:.1f} MiB |")
    if any("cpu" in d["maps"][m] for m in d["maps"]):
        lines.append("\nOn-CPU time per insert (`CLOCK_THREAD_CPUTIME_ID`, a syscall: ~1 µs of "
                     "clock overhead in every figure; time spent preempted by other processes "
                     "excluded, page faults and munmap included):\n")
        lines.append("| map | p50 | p99 | p99.9 | p99.99 | max | max at insert # |")
        lines.append("|---|---|---|---|---|---|---|")
        for m in MAPS:
            c = d["maps"].get(m, {}).get("cpu")
            if c:
                lines.append(f"| {m} | {fmt_ns(c['p50'])} | {fmt_ns(c['p99'])} | {fmt_ns(c['p999'])} | "
                             f"{fmt_ns(c['p9999'])} | {fmt_ns(c['max'])} | {c['max_index']:,.0f} |")
    lines.append("")


def criterion_dir():
    if os.environ.get("CRITERION_HOME"):
        return os.environ["CRITERION_HOME"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "criterion")


def criterion_runs():
    """Criterion output directories, one per run of the throughput bench:
    CRITERION_RUNS (colon-separated, written by `BENCH_RUNS=3 scripts/bench.sh`)
    or the one criterion_dir()."""
    runs = [d for d in os.environ.get("CRITERION_RUNS", "").split(":") if d]
    return runs or [criterion_dir()]


def median(xs):
    xs = sorted(xs)
    k = len(xs)
    return xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2


def load_criterion():
    """{(key, workload, n): {map: ns per element}}: each benchmark's criterion
    median, then the median of those over the runs; and the number of runs."""
    runs = criterion_runs()
    per = {}
    for base in runs:
        if not os.path.isdir(base):
            continue
        # criterion turns the group name "<key>/<workload>" into "<key>_<workload>".
        for gdir in sorted(os.listdir(base)):
            if gdir == "report" or "_" not in gdir:
                continue
            key, w = gdir.split("_", 1)
            if w not in WORKLOADS:  # other benches' groups (tiny/...)
                continue
            for m in MAPS + FLOORS:
                mdir = os.path.join(base, gdir, m)
                if not os.path.isdir(mdir):
                    continue
                for n in os.listdir(mdir):
                    est = os.path.join(mdir, n, "new", "estimates.json")
                    if not os.path.exists(est):
                        continue
                    e = json.load(open(est))
                    ns = e["median"]["point_estimate"] / int(n)
                    per.setdefault((key, w, int(n)), {}).setdefault(m, []).append(ns)
    res = {k: {m: median(v) for m, v in r.items()} for k, r in per.items()}
    # Runs per benchmark: a directory may hold only some benchmarks (the
    # 1e7 sizes are usually run on their own, once).
    return res, max((len(v) for r in per.values() for v in r.values()), default=0)


# Pseudo-contenders: the memory floor of Go's layout (throughput.rs, `bench_floor`).
FLOORS = ["floor", "floor_pf", "layout"]


def criterion(lines):
    res, nruns = load_criterion()
    if not res:
        print("no criterion output; skipping throughput")
        return
    keys = sorted({k for k, _, _ in res})
    runs = f", median of up to {nruns} runs each" if nruns > 1 else ""
    lines.append(f"### Throughput (criterion medians{runs}, ns per element; ratio = gomap / std)\n")
    for key in keys:
        sizes = sorted({n for k, _, n in res if k == key})
        lines.append(f"#### {key}\n")
        lines.append("| workload | n | gomap | std | hashbrown | griddle | gomap/std |")
        lines.append("|---|---|---|---|---|---|---|")
        for w in WORKLOADS:
            for n in sizes:
                r = res.get((key, w, n))
                if not r:
                    continue
                cells = [f"{r[m]:.2f}" if m in r else "-" for m in MAPS]
                ratio = f"{r['gomap'] / r['std']:.2f}x" if "gomap" in r and "std" in r else "-"
                lines.append(f"| {w} | {n:,} | " + " | ".join(cells) + f" | {ratio} |")
        lines.append("")
        if key == "u64" and any("floor" in r for (k, _, _), r in res.items() if k == key):
            floor_table(lines, res, sizes)
        if key == "u64" and any("layout" in r for (k, _, _), r in res.items() if k == key):
            layout_table(lines, res, sizes)
        # One bar chart per key: workloads x sizes, grouped by map.
        fig, axes = plt.subplots(1, len(WORKLOADS), figsize=(3.2 * len(WORKLOADS), 4.2))
        for ax, w in zip(axes, WORKLOADS):
            xs = [n for n in sizes if (key, w, n) in res]
            width = 0.2
            for j, m in enumerate(MAPS):
                ys = [res[(key, w, n)].get(m, 0) for n in xs]
                ax.bar([i + (j - 1.5) * width for i in range(len(xs))], ys, width,
                       label=m, color=COLORS[m])
            ax.set_xticks(range(len(xs)))
            ax.set_xticklabels([f"1e{len(str(n)) - 1}" for n in xs])
            ax.set_title(w)
            ax.grid(True, axis="y", alpha=0.3)
        axes[0].set_ylabel("ns / element (lower is better)")
        axes[-1].legend()
        fig.suptitle(f"{key} keys -> u64, foldhash: throughput")
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, f"throughput_{key}.png"), dpi=100)


def floor_table(lines, res, sizes):
    lines.append("Memory floor of Go's layout (u64 -> u64, random buckets of 144 bytes in an "
                 "array of gomap's size for n) and the least code for the layout (`layout`: "
                 "a plain Go-layout table, same keys and loop); ns per lookup; see "
                 "throughput.rs:\n")
    lines.append("| n | floor miss (tophash line) | layout miss | gomap miss | std miss "
                 "| gomap miss / floor | gomap miss / layout "
                 "| floor hit (tophash, then key+value) | floor hit, lines prefetched | layout hit "
                 "| gomap hit | std hit | gomap hit / floor | gomap hit / layout |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        mi = res.get(("u64", "lookup_miss", n), {})
        hi = res.get(("u64", "lookup_hit", n), {})
        if "floor" not in mi and "floor" not in hi:
            continue

        def c(r, m):
            return f"{r[m]:.2f}" if m in r else "-"

        def q(r, a, b):
            return f"{r[a] / r[b]:.2f}x" if a in r and b in r else "-"
        lines.append(f"| {n:,} | {c(mi, 'floor')} | {c(mi, 'layout')} | {c(mi, 'gomap')} | "
                     f"{c(mi, 'std')} | {q(mi, 'gomap', 'floor')} | {q(mi, 'gomap', 'layout')} | "
                     f"{c(hi, 'floor')} | {c(hi, 'floor_pf')} | {c(hi, 'layout')} | "
                     f"{c(hi, 'gomap')} | {c(hi, 'std')} | {q(hi, 'gomap', 'floor')} | "
                     f"{q(hi, 'gomap', 'layout')} |")
    lines.append("")


def layout_table(lines, res, sizes):
    """gomap against Go's layout with the least code, every workload it runs."""
    lines.append("Go's layout with the least code (`layout`: benches/support/go_layout.rs, "
                 "sized once for n, so no `insert_empty`), u64 random keys, ns per element. "
                 "`gomap / layout` is what gomap's code costs beyond its layout's; "
                 "`layout / std` is what the layout itself costs against std:\n")
    lines.append("| workload | n | gomap | layout | std | gomap / layout | layout / std |")
    lines.append("|---|---|---|---|---|---|---|")
    for w in WORKLOADS:
        for n in sizes:
            r = res.get(("u64", w, n), {})
            if "layout" not in r:
                continue

            def c(m):
                return f"{r[m]:.2f}" if m in r else "-"

            def q(a, b):
                return f"{r[a] / r[b]:.2f}x" if a in r and b in r else "-"
            lines.append(f"| {w} | {n:,} | {c('gomap')} | {c('layout')} | {c('std')} | "
                         f"{q('gomap', 'layout')} | {q('layout', 'std')} |")
    lines.append("")


def seq_vs_rand(lines):
    """gomap / std for random and sequential u64 keys side by side."""
    res, _ = load_criterion()
    ratio = {}
    for (key, w, n), r in res.items():
        if key in ("u64", "u64seq") and "gomap" in r and "std" in r:
            ratio[(key, w, n)] = r["gomap"] / r["std"]
    if not any(k == "u64seq" for k, _, _ in ratio):
        return
    sizes = sorted({n for _, _, n in ratio})
    lines.append("### gomap / std: random versus sequential u64 keys\n")
    lines.append("| workload | " + " | ".join(f"{n:,} rand | {n:,} seq" for n in sizes) + " |")
    lines.append("|---|" + "---|---|" * len(sizes))
    for w in WORKLOADS:
        cells = []
        for n in sizes:
            for key in ("u64", "u64seq"):
                r = ratio.get((key, w, n))
                cells.append(f"{r:.2f}x" if r else "-")
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    lines.append("")


def ratios(lines):
    """The interleaved ratios table, if `scripts/ratios.sh` wrote one."""
    path = os.path.join(ROOT, "target", "bench-results", "ratios.md")
    if not os.path.exists(path):
        return
    lines.append("### Interleaved ratios (`scripts/ratios.sh`)\n")
    lines.append(open(path).read().strip() + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    latency(lines)
    latency(lines, "latency_seq", "sequential keys 0..n")
    criterion(lines)
    seq_vs_rand(lines)
    ratios(lines)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "tables.md"), "w") as f:
        f.write(text)
    # Splice the tables into BENCHMARKS.md between its markers.
    doc = os.path.join(ROOT, "BENCHMARKS.md")
    start, end = "<!-- tables:start -->", "<!-- tables:end -->"
    if os.path.exists(doc):
        d = open(doc).read()
        if start in d and end in d:
            a, b = d.index(start) + len(start), d.index(end)
            open(doc, "w").write(d[:a] + "\n" + text + d[b:])
    print(text)


if __name__ == "__main__":
    main()
