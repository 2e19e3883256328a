#!/usr/bin/env python3
"""Turns the JSON that run-benchmarks.sh collected into results.md: the raw
numbers, the ratios against the baselines of the same run, and MET / MISSED
for each target. Nothing here fails on a missed target; it only reports."""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charts  # noqa: E402  (the charts of the Targets table, with gnuplot)
import report_large  # noqa: E402  (section 4b, also run alone by run-large.sh)
import report_remote  # noqa: E402  (section 5, also run alone by run-remote.sh)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


FAILURES = []  # "name: message" for every benchmark run that reported an error


def gb_aggregates(data):
    """{run_name: {aggregate_name: entry}} from a Google Benchmark JSON file.
    A failed run is listed in FAILURES and left out; the others still count."""
    runs = {}
    for entry in data["benchmarks"]:
        if entry.get("error_occurred"):
            FAILURES.append(f"{entry['name']}: {entry.get('error_message')}")
            print(f"report.py: {entry['name']} failed: {entry.get('error_message')}",
                  file=sys.stderr)
            continue
        if entry.get("run_type") == "aggregate":
            runs.setdefault(entry["run_name"], {})[entry["aggregate_name"]] = entry
        else:  # a single repetition: treat it as its own mean and median
            runs.setdefault(entry["run_name"], {}).update(
                {"mean": entry, "median": entry}
            )
    return runs


def fmt_ms(seconds):
    return f"{seconds * 1e3:.3f} ms"


def verdict(ratio, target, at_most):
    if math.isnan(ratio):
        return "**NOT MEASURED** (a run failed; see below)"
    met = ratio <= target if at_most else ratio >= target
    return "**MET**" if met else "**MISSED**"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--commands", required=True, help="name<TAB>command per line")
    parser.add_argument("--hyperfine", required=True)
    parser.add_argument("--interleaved", required=True)
    parser.add_argument("--check", required=True)
    parser.add_argument("--checksec", required=True)
    parser.add_argument("--check-memory", required=True)
    parser.add_argument("--check-deps", required=True)
    parser.add_argument("--check-deps-memory", required=True)
    parser.add_argument("--check-image", required=True)
    parser.add_argument("--check-image-memory", required=True)
    parser.add_argument("--spawn", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--scripts-warm", required=True)
    parser.add_argument("--scripts-cold", required=True)
    parser.add_argument("--scripts-fresh", required=True)
    # Section 5's files; when bench/run-remote.sh failed, some are missing
    # and the report says the remote tier was not measured.
    parser.add_argument("--remote-bench", required=True)
    parser.add_argument("--remote-redis-benchmark", required=True)
    parser.add_argument("--remote-concurrency", required=True)
    parser.add_argument("--remote-invocations", required=True)
    # Section 4b's directory (bench/run-large.sh's files); likewise.
    parser.add_argument("--large-dir", required=True)
    parser.add_argument("--machine", action="append", default=[])
    parser.add_argument("--invocation", action="append", default=[])
    args = parser.parse_args()

    commands = {}
    with open(args.commands, encoding="utf-8") as f:
        for line in f:
            name, _, command = line.rstrip("\n").partition("\t")
            commands[name] = command
    hf = {r["command"]: r for r in load(args.hyperfine)["results"]}
    def interleaved(path):
        results = {}
        for r in load(path)["results"]:
            times = sorted(r["times"])
            results[r["name"]] = {"mean": sum(times) / len(times),
                                  "median": times[len(times) // 2], "runs": len(times)}
        return results

    paired = interleaved(args.interleaved)
    scripts_warm = interleaved(args.scripts_warm)
    scripts_cold = interleaved(args.scripts_cold)
    scripts_fresh = {r["command"]: r for r in load(args.scripts_fresh)["results"]}
    for name in commands:
        if name not in hf:
            sys.exit(f"report.py: no hyperfine result for {name!r}")
    spawn_data = load(args.spawn)
    image_data = load(args.image)
    spawn = gb_aggregates(spawn_data)
    image = gb_aggregates(image_data)
    cache = gb_aggregates(load(args.cache))

    def hf_ratio(a, b):
        return tuple(hf[a][k] / hf[b][k] for k in ("mean", "median", "min"))

    def gb(runs, name, aggregate, field):
        try:
            return runs[name][aggregate][field]
        except KeyError:
            FAILURES.append(f"{name}: no {aggregate} {field} in the results")
            return math.nan

    rows = []  # (comparison, ratio, cross-check, target text, verdict)
    sections = []  # (chart name, title, index of its first row): one chart each

    def section(name, title):
        sections.append((name, title, len(rows)))

    def startup_row(label, a, b, target=None):
        hf_mean_ratio, _, _ = hf_ratio(a, b)
        if a in paired and b in paired:
            mean_ratio = paired[a]["mean"] / paired[b]["mean"]
            median_ratio = paired[a]["median"] / paired[b]["median"]
            check = (f"{median_ratio:.3f}× (interleaved medians), "
                     f"{hf_mean_ratio:.3f}× (hyperfine means)")
        else:
            mean_ratio = hf_mean_ratio
            check = "hyperfine only"
        rows.append((
            label,
            f"{mean_ratio:.3f}×",
            check,
            f"≤ {target:.2f}×" if target else "—",
            verdict(mean_ratio, target, True) if target else "info",
        ))

    section("startup", "Start-up")
    startup_row("`sealexec run` / `minimal-runner` (dynamic runner)",
                "sealexec run", "minimal-runner", 1.10)
    startup_row("`sealexec run` / `minimal-runner-static`",
                "sealexec run", "minimal-runner-static", 1.10)
    startup_row("`sealexec run --policy=off` / `minimal-runner` (without the closure check)",
                "sealexec run --policy=off", "minimal-runner", 1.10)
    startup_row("`sealexec run` / `sealexec run --policy=off` (what the default check costs)",
                "sealexec run", "sealexec run --policy=off")
    startup_row("`sealexec-dynamic run` / `sealexec run` (what static linking buys)",
                "sealexec-dynamic run", "sealexec run")
    startup_row("`sealexec run` / `hello` run directly", "sealexec run", "hello (direct)")
    startup_row("`python_runner.py` / `sealexec run`", "python_runner.py", "sealexec run")

    section("images", "Spawn and images")
    for program in ("hello", "hello_static"):
        interleaved = f"BM_SpawnVsPosixSpawn/{program}/real_time"
        ratio = gb(spawn, interleaved, "mean", "ratio")
        separate = (gb(spawn, f"BM_Spawn/{program}/real_time", "mean", "real_time")
                    / gb(spawn, f"BM_PosixSpawn/{program}/real_time", "mean", "real_time"))
        rows.append((
            f"`spawn` / `posix_spawn`, {program.replace('_', '-')} (interleaved)",
            f"{ratio:.3f}×",
            f"{separate:.3f}× (separate runs)",
            "≤ 1.05×",
            verdict(ratio, 1.05, True),
        ))

    for program in ("hello", "hello_static"):
        ratio = gb(spawn, f"BM_CApiVsCppSpawn/{program}/real_time", "mean", "ratio")
        rows.append((
            f"C consumer's `sealexec_spawn` (libsealexec.so) / C++ `sealexec::spawn`, "
            f"{program.replace('_', '-')} (interleaved)",
            f"{ratio:.3f}×",
            "",
            "≤ 1.05×",
            verdict(ratio, 1.05, True),
        ))

    def throughput(name, aggregate="mean"):
        return gb(image, name, aggregate, "bytes_per_second")

    from_file = "BM_ImageFromFile/100MiB/real_time"
    for baseline, label in (("BM_MemcpyFreshBuffer/real_time", "fresh mmap'd buffer, faults included"),
                            ("BM_MemcpyReusedBuffer/real_time", "pre-faulted reused buffer")):
        ratio = throughput(from_file) / throughput(baseline)
        median_ratio = throughput(from_file, "median") / throughput(baseline, "median")
        rows.append((
            f"image from 100 MiB file / memcpy into {label}",
            f"{ratio * 100:.1f}%",
            f"{median_ratio * 100:.1f}% (medians)",
            "≥ 50%",
            verdict(ratio, 0.50, False),
        ))
    ratio = throughput("BM_ImageFromBytes/real_time") / throughput("BM_MemcpyFreshBuffer/real_time")
    median_ratio = (throughput("BM_ImageFromBytes/real_time", "median")
                    / throughput("BM_MemcpyFreshBuffer/real_time", "median"))
    rows.append(("image from 100 MiB buffer (`from_bytes`) / memcpy into fresh buffer",
                 f"{ratio * 100:.1f}%", f"{median_ratio * 100:.1f}% (medians)", "—", "info"))

    section("cache", "The cache")
    sizes = (("4 KiB", 4096), ("1 MiB", 1 << 20), ("64 MiB", 64 << 20))
    for label, size in sizes:
        ratio = gb(cache, f"BM_HitVsSendfile/{size}/real_time", "mean", "ratio")
        separate = (gb(cache, f"BM_CacheHit/{size}/real_time", "mean", "real_time")
                    / gb(cache, f"BM_BaselineOpenSendfile/{size}/real_time", "mean", "real_time"))
        rows.append((f"cache hit into a `SealedImage` / open + sendfile into a memfd, {label} "
                     "(interleaved)",
                     f"{ratio:.3f}×", f"{separate:.3f}× (separate runs)", "≤ 1.30×",
                     verdict(ratio, 1.30, True)))
    for label, size in sizes:
        ratio = (gb(cache, f"BM_CacheHitMapping/{size}/real_time", "mean", "real_time")
                 / gb(cache, f"BM_CacheHit/{size}/real_time", "mean", "real_time"))
        rows.append((f"cache hit as a mapping / as a `SealedImage`, {label}",
                     f"{ratio:.3f}×", "means", "—", "info"))
    for label, size in sizes[:2]:
        ratio = (gb(cache, f"BM_CachePut/{size}/real_time", "mean", "real_time")
                 / gb(cache, f"BM_BaselineWriteFsyncRename/{size}/real_time", "mean", "real_time"))
        rows.append((f"cache put / write + fsync + rename + fsync(dir), {label}",
                     f"{ratio:.3f}×", "means", "—", "info"))
    for what in ("Put", "Hit"):
        ratio = (gb(cache, f"BM_{what}CompiledCode/1/real_time", "mean", "real_time")
                 / gb(cache, f"BM_{what}CompiledCode/0/real_time", "mean", "real_time"))
        rows.append((f"{what.lower()} of compiled code, zstd / uncompressed",
                     f"{ratio:.3f}×", "means", "—", "info"))
    stored = gb(cache, "BM_PutCompiledCode/1/real_time", "mean", "stored_fraction")
    rows.append(("compiled code stored as zstd / its size", f"{stored * 100:.1f}%", "—", "—",
                 "info"))

    whole = gb(cache, "BM_GcWholeCache100k/iterations:2/real_time", "mean", "real_time")
    shard = gb(cache, "BM_GcOneShard100k/real_time", "mean", "real_time")
    rows.append(("gc over 100,000 entries: whole cache (`sealexec cache gc`) / "
                 "one shard (automatic, after a put)",
                 f"{whole:.0f} ms / {shard / 1e3:.2f} ms", "means", "—", "info"))
    eight = gb(cache, "BM_EightProcessHits/iterations:1/real_time", "mean", "loads_per_s")
    one = 1e9 / gb(cache, "BM_CacheHit/1048576/real_time", "mean", "real_time")
    rows.append(("8 processes loading 1 MiB entries at once / one process alone, loads per second",
                 f"{eight / one:.2f}×", f"{eight:.0f} / {one:.0f} loads/s", "—", "info"))

    def script_row(label, runs, a, b, target=None, as_overhead=False):
        mean_ratio = runs[a]["mean"] / runs[b]["mean"]
        median_ratio = runs[a]["median"] / runs[b]["median"]
        if as_overhead:
            figure, check = f"{(mean_ratio - 1) * 100:+.1f}%", f"{(median_ratio - 1) * 100:+.1f}% (medians)"
            verdict_text = verdict(mean_ratio, 1 + target, True) if target else "info"
            target_text = f"≤ +{target * 100:.0f}%" if target else "—"
        else:
            figure, check = f"{mean_ratio:.3f}×", f"{median_ratio:.3f}× (medians)"
            verdict_text = verdict(mean_ratio, target, True) if target else "info"
            target_text = f"≤ {target:.2f}×" if target else "—"
        rows.append((label, figure, check, target_text, verdict_text))

    section("scripts", "C and C++ scripts")
    script_row("`sealexec hello.cpp`, warm / the same binary prebuilt, run directly (interleaved)",
               scripts_warm, "sealexec hello.cpp", "prebuilt (direct)", 1.5)
    script_row("`sealexec hello-c.c` (a C `#!` script, `// sealexec: -O2`), warm / the same "
               "binary prebuilt with `cc -O2`, run directly (interleaved)",
               scripts_warm, "sealexec hello-c.c", "prebuilt C (direct)", 2.0)
    script_row("`sealexec hello-tool` (the same file, extensionless, `#!`), warm / "
               "`sealexec hello.cpp`, warm", scripts_warm, "sealexec hello-tool (extensionless)",
               "sealexec hello.cpp", 1.05)
    script_row("`sealexec zlib-pkg.cpp` (`--pkg zlib`), warm / `sealexec zlib-flags.cpp` "
               "(`-lz` written out), warm: pkg-config is not started",
               scripts_warm, "sealexec zlib-pkg.cpp (--pkg zlib)", "sealexec zlib-flags.cpp (-lz)",
               1.05)
    script_row("`minimal-runner` of the prebuilt binary / the binary run directly (any runner's floor)",
               scripts_warm, "minimal-runner prebuilt", "prebuilt (direct)")
    script_row("`sealexec hello.cpp`, warm / `sealexec run --policy=off` of the prebuilt binary "
               "(what the script's checks cost)",
               scripts_warm, "sealexec hello.cpp", "sealexec run --policy=off prebuilt")
    script_row("`tcc -run hello.c` / `sealexec hello.cpp`, warm",
               scripts_warm, "tcc -run hello.c", "sealexec hello.cpp")
    script_row("`tcc -run hello.c` / `sealexec hello-c.c` (the same C program), warm",
               scripts_warm, "tcc -run hello.c", "sealexec hello-c.c")
    script_row("`ccache c++ -c` (a hit), `c++ -o a.out`, `./a.out` / `sealexec hello.cpp`, warm",
               scripts_warm, "ccache c++ -c, c++, ./a.out", "sealexec hello.cpp")
    script_row("`sealexec script --rebuild hello.cpp` (compile, publish, run) over `c++ -o` "
               "(interleaved)", scripts_cold, "sealexec script --rebuild hello.cpp", "c++ -o",
               0.05, as_overhead=True)
    fresh = scripts_fresh["sealexec hello.cpp, empty cache"]["mean"] / scripts_fresh["c++ -o"]["mean"]
    fresh_median = (scripts_fresh["sealexec hello.cpp, empty cache"]["median"]
                    / scripts_fresh["c++ -o"]["median"])
    rows.append(("`sealexec hello.cpp` with an empty cache (compiler probed too) over `c++ -o`",
                 f"{(fresh - 1) * 100:+.1f}%", f"{(fresh_median - 1) * 100:+.1f}% (medians)",
                 "—", "info"))

    section("large", report_large.TITLE)
    if os.path.exists(os.path.join(args.large_dir, "large-info.txt")) and os.path.exists(
            os.path.join(args.large_dir, "large-off-hf.json")):
        large = report_large.Large(args.large_dir)
        rows.extend(large.target_rows())
        large_section = large.section()
        large_invocations = large.invocations
        FAILURES.extend(large.failures)
    else:
        for label, target in (("`sealexec run` of a 100 MiB program, cold (memory tier off) / "
                               "minimal runner", report_large.COLD_TARGET),
                              ("`sealexec run` of a 100 MiB program again, memory tier on / run "
                               "directly", report_large.TIER_TARGET)):
            rows.append((label, "—", "—", f"≤ {target:.2f}×",
                         "**NOT MEASURED** (bench/run-large.sh failed; see below)"))
        large_section = [f"## {report_large.TITLE}\n",
                         "Not measured: `bench/run-large.sh` failed; its output in the log "
                         "says why.\n"]
        large_invocations = []
        FAILURES.append("large programs: bench/run-large.sh failed")

    section("check", "sealexec check and its peers")
    check = {r["command"]: r for r in load(args.check)["results"]}
    ratio = check["sealexec check"]["mean"] / check["scanelf"]["mean"]
    median_ratio = check["sealexec check"]["median"] / check["scanelf"]["median"]
    rows.append(("`sealexec check -R --json` / `scanelf -qR -e -t -b`, same tree, warm",
                 f"{ratio:.3f}×", f"{median_ratio:.3f}× (medians)", "≤ 0.50×",
                 verdict(ratio, 0.50, True)))
    deps = {r["command"]: r for r in load(args.check_deps)["results"]}
    for baseline, label in (("scanelf", "`scanelf -qR -e -t -b`"), ("scanelf -qR", "`scanelf -qR`")):
        ratio = deps["sealexec check --deps"]["mean"] / deps[baseline]["mean"]
        median_ratio = deps["sealexec check --deps"]["median"] / deps[baseline]["median"]
        rows.append((f"`sealexec check -R --deps --json` / {label}, same tree, warm",
                     f"{ratio:.3f}×", f"{median_ratio:.3f}× (medians)", "≤ 1.00×",
                     verdict(ratio, 1.00, True)))
    with open(args.check_deps_memory, encoding="utf-8") as f:
        tree, files, rss_kb, seconds = f.read().split()
    rows.append((f"`sealexec check -R --deps --json {tree}` ({files} files): peak RSS",
                 f"{int(rss_kb) / 1024:.1f} MB", f"{float(seconds):.2f} s", "bounded", "info"))
    if os.path.exists(args.check_image):
        image_check = {r["command"]: r for r in load(args.check_image)["results"]}
        for mine, base, label in (("check --image", "check -R unpacked", ""),
                                  ("check --image --deps", "check -R --deps unpacked", " --deps")):
            ratio = image_check[mine]["mean"] / image_check[base]["mean"]
            median_ratio = image_check[mine]["median"] / image_check[base]["median"]
            rows.append((f"`check --image IMAGE -R{label}` / `check -R{label}` of the same tree "
                         "unpacked (Debian 13 minbase, docker-archive)",
                         f"{ratio:.3f}×", f"{median_ratio:.3f}× (medians)", "≤ 1.50×",
                         verdict(ratio, 1.50, True)))
        with open(args.check_image_memory, encoding="utf-8") as f:
            _, rss_kb, seconds = f.read().split()
        rows.append(("`check --image IMAGE -R --deps`: peak RSS", f"{int(rss_kb) / 1024:.1f} MB",
                     f"{float(seconds):.2f} s", "bounded", "info"))
    else:
        rows.append(("`check --image` / `check -R` unpacked", "—", "—", "≤ 1.50×",
                     "**NOT MEASURED** (bench/image-fixture.sh could not build the image)"))
    checksec = {r["command"]: r for r in load(args.checksec)["results"]}
    rows.append(("`checksec --dir` / `sealexec check -R`, 40 files",
                 f"{checksec['checksec']['mean'] / checksec['sealexec check']['mean']:.0f}×",
                 "hyperfine means", "—", "info"))
    remote_files = (args.remote_bench, args.remote_redis_benchmark, args.remote_concurrency,
                    args.remote_invocations)
    section("remote", "The remote tier")
    if all(os.path.exists(path) for path in remote_files):
        remote = report_remote.Remote(*remote_files)
        rows.extend(remote.target_rows())
        remote_section = remote.section()
        remote_invocations = remote.invocations
        FAILURES.extend(remote.failures)
    else:
        missing = ", ".join(path for path in remote_files if not os.path.exists(path))
        rows.append(("Redis remote hit / two bare hiredis GETs, 4 KiB and 1 MiB", "—", "—",
                     "≤ 2.00×", "**NOT MEASURED** (bench/run-remote.sh failed; see below)"))
        remote_section = ["## The remote tier\n",
                          f"Not measured: `bench/run-remote.sh` failed (missing: {missing}); "
                          "its output in the log says why.\n"]
        remote_invocations = []
        FAILURES.append(f"the remote tier: bench/run-remote.sh failed (missing: {missing})")

    memory_lines = []
    with open(args.check_memory, encoding="utf-8") as f:
        for line in f:
            tree, files, rss_kb, seconds = line.split()
            memory_lines.append((tree, int(files), int(rss_kb), float(seconds)))

    out = []
    out.append("# sealexec benchmark results\n")
    out.append("## Machine\n")
    out.extend(f"- {line}" for line in args.machine)
    out.append(f"- Google Benchmark library build type: "
               f"{spawn_data['context'].get('library_build_type', '?')}")
    out.append("")

    out.append("## Targets\n")
    out.append("| Comparison | Ratio | Cross-check | Target | Verdict |")
    out.append("|---|---:|---:|---:|---|")
    out.extend(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows)
    out.append("")
    out.append("Start-up ratios are of means from `interleaved-timer`, which runs the commands "
               "in turn, run by run, so that the machine's drift affects them alike; hyperfine, "
               "which times one command after the other, is the cross-check. Spawn ratios are the mean over "
               "repetitions of `BM_SpawnVsPosixSpawn`, which alternates the two in one loop; "
               "image ratios are of mean throughputs. The cross-check column gives the same "
               "ratio computed another way; where the two disagree on a verdict, the machine "
               "was too noisy to decide.\n")
    chart_list = []
    for k, (name, title, start) in enumerate(sections):
        end = sections[k + 1][2] if k + 1 < len(sections) else len(rows)
        chart_list.append((name, title, rows[start:end]))
    out.extend(charts.markdown(charts.draw(os.path.dirname(os.path.abspath(args.out)),
                                           chart_list)))

    out.append("## Start-up, interleaved (`interleaved-timer`, warm, output to /dev/null)\n")
    out.append("| Name | Mean | Median | Runs |")
    out.append("|---|---:|---:|---:|")
    for name, r in paired.items():
        out.append(f"| {name} | {fmt_ms(r['mean'])} | {fmt_ms(r['median'])} | {r['runs']} |")
    out.append("")

    out.append("## Start-up (hyperfine, warm, `-N`, output to /dev/null)\n")
    out.append("| Name | Command | Mean ± σ | Median | Min | User | System | Runs |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, command in commands.items():
        r = hf[name]
        out.append(f"| {name} | `{command}` | {fmt_ms(r['mean'])} ± {fmt_ms(r['stddev'])} "
                   f"| {fmt_ms(r['median'])} | {fmt_ms(r['min'])} | {fmt_ms(r['user'])} "
                   f"| {fmt_ms(r['system'])} | {len(r['times'])} |")
    out.append("")

    def gb_table(runs, unit_note):
        lines = ["| Benchmark | Wall time, mean ± σ | Median | Throughput (mean) | Counters (mean) |",
                 "|---|---:|---:|---:|---|"]
        for name, aggs in runs.items():
            mean, median = aggs["mean"], aggs["median"]
            stddev = aggs.get("stddev", {}).get("real_time", 0.0)
            unit = mean["time_unit"]
            bps = mean.get("bytes_per_second")
            rate = f"{bps / 2**30:.2f} GiB/s" if bps else ""
            counters = ", ".join(f"{k} = {mean[k]:.3f}"
                                 for k in ("spawn_us", "posix_spawn_us", "hit_us", "sendfile_us",
                                           "ratio", "stored_fraction", "loads_per_s")
                                 if k in mean)
            label = mean.get("label", "")
            extra = "; ".join(x for x in (label, counters) if x)
            lines.append(f"| `{name}` | {mean['real_time']:.1f} ± {stddev:.1f} {unit} "
                         f"| {median['real_time']:.1f} {unit} | {rate} | {extra} |")
        lines.append("")
        lines.append(unit_note)
        lines.append("")
        return lines

    out.append("## `sealexec check` and its peers\n")
    out.append("| Name | Mean ± σ | Median |")
    out.append("|---|---:|---:|")
    for name, r in list(check.items()) + [(f"{k} (40 files)", v) for k, v in checksec.items()]:
        out.append(f"| {name} | {fmt_ms(r['mean'])} ± {fmt_ms(r['stddev'])} | {fmt_ms(r['median'])} |")
    out.append("")
    out.append("| Tree | Files | Max RSS | Wall time |")
    out.append("|---|---:|---:|---:|")
    for tree, files, rss_kb, seconds in memory_lines:
        out.append(f"| {tree} | {files} | {rss_kb / 1024:.1f} MiB | {seconds:.2f} s |")
    out.append("")

    out.append("## Spawn from an existing image (`bench_spawn`)\n")
    out.extend(gb_table(spawn, "Each iteration starts the program with stdout on /dev/null and "
                               "waits for it. `BM_SpawnVsPosixSpawn` times one of each per "
                               "iteration."))
    out.append("## Making images (`bench_image`)\n")
    out.extend(gb_table(image, "The 100 MiB file is warm in the page cache. memcpy into a fresh "
                               "buffer maps, fills (page faults included) and unmaps 100 MiB of "
                               "anonymous memory each iteration; the image benchmarks likewise "
                               "free their image each iteration."))

    out.append("## The cache (`bench_cache`)\n")
    out.extend(gb_table(cache, "Hits load an entry put beforehand and free the image again; "
                               "the baseline opens a plain file with the same bytes and "
                               "sendfiles it into a new memfd, with no checks. "
                               "`BM_HitVsSendfile` alternates the two in one loop. Puts write "
                               "new random content each time. Compiled code is this "
                               "benchmark's own executable. gc runs over 100,000 entries "
                               "(whole cache, then one shard as after a put); "
                               "`BM_EightProcessHits` runs 8 processes loading 1 MiB entries "
                               "for 0.5 s on however many cores there are."))
    out.append("## C and C++ scripts\n")
    out.append("| Name | Mean | Median | Runs |")
    out.append("|---|---:|---:|---:|")
    for name, r in list(scripts_warm.items()) + list(scripts_cold.items()):
        out.append(f"| {name} | {fmt_ms(r['mean'])} | {fmt_ms(r['median'])} | {r['runs']} |")
    for name, r in scripts_fresh.items():
        out.append(f"| {name} (hyperfine, --prepare rm -rf the cache) | {fmt_ms(r['mean'])} "
                   f"| {fmt_ms(r['median'])} | {len(r['times'])} |")
    out.append("")
    out.append("Warm rows run in turn, round by round, with the script's cache and ccache's warm; "
               "the prebuilt binary is `c++ -o` of the same file, the same compiler sealexec "
               "uses; the C script (`hello-c.c`: `#!/usr/bin/env sealexec`, "
               "`// sealexec: -O2`, then `bench/scripts/hello.c`) is compared with `cc -O2` of "
               "`hello.c`. Cold rows alternate a plain compile with a `--rebuild` of the "
               "script.\n")
    out.extend(large_section)
    out.extend(remote_section)

    if FAILURES:
        out.append("## Failed runs\n")
        out.extend(f"- {failure}" for failure in FAILURES)
        out.append("")
    out.append("## Exact commands\n")
    out.append("```")
    out.extend(commands.values())
    out.extend(args.invocation)
    out.extend(large_invocations)
    out.extend(remote_invocations)
    out.append("```")

    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
