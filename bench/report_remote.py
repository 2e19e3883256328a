#!/usr/bin/env python3
"""The remote tier's part of results.md (bench/run-remote.sh collects the
JSON): report.py folds it into the whole report; run alone, it writes this
section by itself (results-remote.md). Nothing fails on a missed target."""
import argparse
import json
import math
import os
import sys

SIZES = (("4 KiB", 4096), ("1 MiB", 1 << 20))
BACKENDS = ("redis", "http")
TARGET = 2.0  # a Redis remote hit over the same GETs made by a bare client


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def aggregates(data, failures):
    """{run_name: {aggregate_name: entry}}; failed runs go to `failures`."""
    runs = {}
    for entry in data["benchmarks"]:
        if entry.get("error_occurred"):
            failures.append(f"{entry['name']}: {entry.get('error_message')}")
            print(f"report_remote.py: {entry['name']} failed: {entry.get('error_message')}",
                  file=sys.stderr)
            continue
        if entry.get("run_type") == "aggregate":
            runs.setdefault(entry["run_name"], {})[entry["aggregate_name"]] = entry
        else:  # a single repetition: its own mean and median
            runs.setdefault(entry["run_name"], {}).update({"mean": entry, "median": entry})
    return runs


def verdict(ratio, target):
    if math.isnan(ratio):
        return "**NOT MEASURED** (a run failed; see below)"
    return "**MET**" if ratio <= target else "**MISSED**"


def to_us(entry):
    """An entry's real_time in microseconds, whatever its unit."""
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[entry["time_unit"]]
    return entry["real_time"] * scale


class Remote:
    def __init__(self, bench_path, redis_benchmark_path, concurrency_path, invocations_path):
        self.failures = []
        self.data = load(bench_path)
        self.runs = aggregates(self.data, self.failures)
        self.redis_benchmark = load(redis_benchmark_path)["results"]
        self.concurrency = load(concurrency_path)
        with open(invocations_path, encoding="utf-8") as f:
            self.invocations = [line.rstrip("\n") for line in f if line.strip()]
        for failure in self.concurrency.get("failures", []):
            self.failures.append(f"script runs: {failure}")

    def fail(self, message):
        if message not in self.failures:
            self.failures.append(message)

    def entry(self, name, aggregate="mean"):
        for suffix in ("/real_time", "/manual_time", ""):
            if name + suffix in self.runs and aggregate in self.runs[name + suffix]:
                return self.runs[name + suffix][aggregate]
        return None

    def us(self, name, aggregate="mean"):
        entry = self.entry(name, aggregate)
        if entry is None:
            self.fail(f"{name}: no {aggregate} in the results")
            return math.nan
        return to_us(entry)

    def counter(self, name, key, aggregate="mean"):
        entry = self.entry(name, aggregate)
        if entry is None or key not in entry:
            self.fail(f"{name}: no {aggregate} {key} in the results")
            return math.nan
        return entry[key]

    def redis_get_us(self, size=None, envelope=False, clients=1):
        """Microseconds per GET from redis-benchmark's requests/s (one client)."""
        for r in self.redis_benchmark:
            if r["clients"] == clients and (r["envelope"] if envelope else r["size"] == size):
                return 1e6 / r["rps"]
        return math.nan

    def target_rows(self):
        """(comparison, ratio, cross-check, target, verdict) rows for the
        Targets table: the Redis target per size, and what informs it."""
        rows = []
        for label, size in SIZES:
            name = f"BM_FetchVsRawGets/redis/{size}"
            ratio = self.counter(name, "ratio")
            median = self.counter(name, "ratio", "median")
            one = self.counter(name, "ratio_one_get")
            separate = (self.us(f"BM_RemoteFetch/redis/{size}")
                        / self.us(f"BM_RawTwoGets/redis/{size}"))
            external = self.us(f"BM_RemoteFetch/redis/{size}") / (
                self.redis_get_us(envelope=True) + self.redis_get_us(size))
            rows.append((
                f"Redis remote hit (`RemoteTier::fetch`), {label} / two bare hiredis GETs of "
                "the same entry and blob (interleaved)",
                f"{ratio:.3f}×",
                f"{median:.3f}× (median); {separate:.3f}× (separate runs); "
                f"{external:.3f}× (over two GETs of redis-benchmark -c 1, 1 / rate each); "
                f"{one:.3f}× over one GET",
                f"≤ {TARGET:.2f}×",
                verdict(ratio, TARGET)))
        for label, size in SIZES:
            through = self.us(f"BM_RemoteHitThroughCache/redis/{size}")
            fetch = self.us(f"BM_RemoteFetch/redis/{size}")
            rows.append((f"Redis remote hit through the cache (fetch + local publish + map) / "
                         f"the fetch alone, {label}",
                         f"{through / fetch:.2f}×", f"{through:.0f} / {fetch:.0f} µs", "—",
                         "info"))
        for label, size in SIZES:
            ratio = self.counter(f"BM_FetchVsRawGets/http/{size}", "ratio")
            rows.append((f"HTTP (nginx) remote hit / two bare libcurl GETs, {label} "
                         "(interleaved)", f"{ratio:.3f}×", "sealexec-remote-http helper in between",
                         "—", "info"))
        scenarios = self.concurrency["scenarios"]

        def wall(name):
            return min(r["wall_s"] for r in scenarios[name]["rounds"])

        runs, compiles = self.concurrency["runs"], self.concurrency["compiles"]
        rows.append((f"{runs} cold script runs at once, every one a Redis hit / "
                     f"{compiles} compiling at once (wall time, new caches)",
                     f"{wall('cold_remote') / wall('compile'):.3f}×",
                     f"{wall('cold_remote') * 1e3:.0f} ms / {wall('compile') * 1e3:.0f} ms",
                     "—", "info"))
        rows.append((f"{runs} cold script runs at once, Redis hits / the same with warm local "
                     "caches (wall time)",
                     f"{wall('cold_remote') / wall('warm_local'):.2f}×",
                     f"{wall('cold_remote') * 1e3:.0f} ms / {wall('warm_local') * 1e3:.0f} ms",
                     "—", "info"))
        return rows

    def section(self):
        out = ["## The remote tier (`bench_remote`, redis-benchmark, script runs at once)\n"]
        out.append("Servers on 127.0.0.1 (TCP loopback), started by `bench/run-remote.sh` for "
                   "this run: redis-server without persistence, nginx serving a WebDAV "
                   "directory as a Bazel HTTP cache. Entries are signed with an Ed25519 key "
                   "the readers trust, as `--signing-key` / `--trusted-keys` set it up.\n")
        out.append("### Remote hits, one client, loopback\n")
        out.append("| Backend | Size | Remote hit (fetch) | Hits/s | Throughput | Through the "
                   "cache | Bare GET of the blob | Bare GETs, entry + blob | Fetch / two GETs "
                   "(interleaved) | Fetch / one GET |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for backend in BACKENDS:
            for label, size in SIZES:
                fetch = self.entry(f"BM_RemoteFetch/{backend}/{size}")
                fetch_us = self.us(f"BM_RemoteFetch/{backend}/{size}")
                rate = fetch.get("items_per_second", math.nan) if fetch else math.nan
                bps = fetch.get("bytes_per_second", math.nan) if fetch else math.nan
                name = f"BM_FetchVsRawGets/{backend}/{size}"
                out.append(
                    f"| {backend} | {label} | {fetch_us:.1f} µs | {rate:,.0f} "
                    f"| {bps / 2**20:.1f} MiB/s "
                    f"| {self.us(f'BM_RemoteHitThroughCache/{backend}/{size}'):.1f} µs "
                    f"| {self.us(f'BM_RawGet/{backend}/{size}'):.1f} µs "
                    f"| {self.us(f'BM_RawTwoGets/{backend}/{size}'):.1f} µs "
                    f"| {self.counter(name, 'ratio'):.3f}× "
                    f"| {self.counter(name, 'ratio_one_get'):.3f}× |")
        envelope = self.counter("BM_FetchVsRawGets/redis/4096", "envelope_bytes")
        out.append("")
        out.append(f"Means over the repetitions. A remote hit (`RemoteTier::fetch`, public) GETs "
                   f"the signed entry ({envelope:.0f} bytes here), checks its Ed25519 signature, "
                   "GETs the blob and checks its size, SHA-256 and XXH3-128. *Through the cache* "
                   "is `Cache::load_mapping` after the local entry and blob were removed "
                   "(untimed): the fetch, then the local publish of what it fetched (temporary "
                   "file, fsync, rename, entry likewise) and the mapping, which is what a program "
                   "waits for on a remote hit. The bare clients read the very same keys in the "
                   "same process with no checks: hiredis `redisCommand(\"GET %s\")` on a blocking "
                   "connection, libcurl on a kept-alive handle. **The ≤ 2× target compares a "
                   "fetch with two bare GETs (the entry, then the blob), the same work on the "
                   "wire**, from `BM_FetchVsRawGets`, which alternates the fetch, the two GETs and "
                   "the one GET in one loop; the ratio to one GET of the blob is given too.\n")

        out.append("### redis-benchmark, same server, same run\n")
        out.append("| Value size | Clients | GET requests/s | µs per GET (1 / rate) | Avg latency "
                   "| p50 | p99 |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for r in sorted(self.redis_benchmark, key=lambda r: (r["size"], r["clients"])):
            size = f"{r['size']} B (the entry's size)" if r["envelope"] else f"{r['size']} B"
            out.append(f"| {size} | {r['clients']} | {r['rps']:,.0f} | {1e6 / r['rps']:.1f} "
                       f"| {r['avg_latency_ms'] * 1e3:.0f} µs | {r['p50_latency_ms'] * 1e3:.0f} µs "
                       f"| {r['p99_latency_ms'] * 1e3:.0f} µs |")
        out.append("")
        out.append("`-t set,get`: the SETs write the key the GETs then read (a GET-only run "
                   "would read a key nobody wrote); only the GET line is shown. One client with "
                   "no pipelining (`-c 1 -P 1`) is comparable with one process's remote hit; 50 "
                   "clients (redis-benchmark's default) show what the server serves in all.\n")

        out.append("### Where a Redis remote hit's time goes\n")
        out.append("| Step | 4 KiB | 1 MiB |")
        out.append("|---|---:|---:|")
        steps = (
            ("sealexec's Redis client: GET the entry", lambda s: self.us("BM_ClientGetEntry/redis")),
            ("Ed25519 check and parse of the entry", lambda s: self.us("BM_OpenSignedEntry")),
            ("sealexec's Redis client: GET the blob", lambda s: self.us(f"BM_ClientGet/redis/{s}")),
            ("SHA-256 of the blob", lambda s: self.us(f"BM_Sha256/{s}")),
            ("XXH3-128 of the blob", lambda s: self.us(f"BM_Xxh3/{s}")),
        )
        sums = {size: 0.0 for _, size in SIZES}
        for label, step in steps:
            cells = []
            for _, size in SIZES:
                value = step(size)
                sums[size] += value
                cells.append(f"{value:.1f} µs")
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("| **sum of the steps** | " + " | ".join(
            f"**{sums[size]:.1f} µs**" for _, size in SIZES) + " |")
        out.append("| measured fetch | " + " | ".join(
            f"{self.us(f'BM_RemoteFetch/redis/{size}'):.1f} µs" for _, size in SIZES) + " |")
        out.append("| bare hiredis GET of the entry, for comparison | " + " | ".join(
            f"{self.us('BM_RawGetEntry/redis'):.1f} µs" for _ in SIZES) + " |")
        out.append("| bare hiredis GET of the blob, for comparison | " + " | ".join(
            f"{self.us(f'BM_RawGet/redis/{size}'):.1f} µs" for _, size in SIZES) + " |")
        out.append("| local publish (the put a hit through the cache adds) | " + " | ".join(
            f"{self.us(f'BM_LocalPublish/{size}'):.1f} µs" for _, size in SIZES) + " |")
        out.append("")
        out.append("Each step is its own benchmark in `bench_remote` (no profiler), so the sum "
                   "only approximates the fetch.\n")

        c = self.concurrency
        out.append(f"### {c['runs']} `sealexec script` runs at once against one Redis\n")
        out.append("| Scenario | At once | Wall time (best / mean of rounds) | Runs per second "
                   "| Per run: mean / median / max | CPU per run (user + sys) | One at a time: "
                   "per run |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        labels = {
            "cold_remote": "new local caches, every run a Redis hit (compiler probed too)",
            "facts_remote": "local caches holding only the compiler's facts: Redis hits",
            "warm_local": "the same caches warm: local hits",
            "warm_no_remote": "the same, without the remote settings",
            "compile": "new local caches, no remote: every run compiles",
        }
        for name, label in labels.items():
            scenario = c["scenarios"][name]
            walls = [r["wall_s"] for r in scenario["rounds"]]
            runs = [x for r in scenario["rounds"] for x in r["runs"]]
            per = sorted(x["seconds"] for x in runs)
            cpu = sum(x["user_s"] + x["sys_s"] for x in runs) / len(runs)
            alone = [x["seconds"] for x in scenario["sequential"]["runs"]]
            n = scenario["concurrency"]
            out.append(
                f"| {label} | {n} | {min(walls) * 1e3:.0f} / {sum(walls) / len(walls) * 1e3:.0f} ms "
                f"| {n / min(walls):,.0f} | {sum(per) / len(per) * 1e3:.1f} / "
                f"{per[len(per) // 2] * 1e3:.1f} / {per[-1] * 1e3:.1f} ms | {cpu * 1e3:.1f} ms "
                f"| {sum(alone) / len(alone) * 1e3:.1f} ms ({len(alone)} runs) |")
        out.append("")
        out.append(f"{c['cores']} cores. `bench/scripts/hello.cpp` (`<iostream>`); one earlier "
                   "run with the signing key wrote its binary and manifest through to Redis. "
                   f"The Redis scenarios ran {c['rounds']} round(s) of {c['runs']} runs: the "
                   "first two on new caches each round, the warm ones on that round's "
                   "cold_remote caches; the compiles ran once. A batch's processes are forked "
                   "first, held on a pipe and released together; wall time runs from the "
                   "release to the last exit, per-run times from the release to each exit; CPU "
                   "from wait4, the compiler's included. Every run's "
                   "output was checked, and every cache's statistics had to show exactly two "
                   "Redis hits (manifest and binary) and nothing else — or, for the compiles, "
                   "a put and no remote. The compiler's facts are never shared (they name this "
                   "machine's inodes), so a new cache probes the compiler before it asks "
                   "Redis.\n")

        out.append("### All `bench_remote` results\n")
        out.append("| Benchmark | Wall time, mean ± σ | Median | Items/s (mean) | Throughput "
                   "(mean) | Counters (mean) |")
        out.append("|---|---:|---:|---:|---:|---|")
        for name, aggs in self.runs.items():
            mean, median = aggs["mean"], aggs["median"]
            stddev = aggs.get("stddev", {}).get("real_time", 0.0)
            unit = mean["time_unit"]
            items = mean.get("items_per_second")
            bps = mean.get("bytes_per_second")
            counters = ", ".join(f"{k} = {mean[k]:.3f}" for k in
                                 ("fetch_us", "two_gets_us", "one_get_us", "ratio",
                                  "ratio_one_get", "envelope_bytes") if k in mean)
            out.append(f"| `{name}` | {mean['real_time']:.1f} ± {stddev:.1f} {unit} "
                       f"| {median['real_time']:.1f} {unit} "
                       f"| {f'{items:,.0f}' if items else ''} "
                       f"| {f'{bps / 2**20:.1f} MiB/s' if bps else ''} | {counters} |")
        out.append("")
        return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--redis-benchmark", required=True)
    parser.add_argument("--concurrency", required=True)
    parser.add_argument("--invocations", required=True)
    parser.add_argument("--machine", action="append", default=[])
    args = parser.parse_args()
    remote = Remote(args.bench, args.redis_benchmark, args.concurrency, args.invocations)
    rows = remote.target_rows()
    section = remote.section()
    out = ["# sealexec benchmark results: the remote tier\n", "## Machine\n"]
    out.extend(f"- {line}" for line in args.machine)
    out.append(f"- Google Benchmark library build type: "
               f"{remote.data['context'].get('library_build_type', '?')}")
    out.append("")
    out.append("## Targets\n")
    out.append("| Comparison | Ratio | Cross-check | Target | Verdict |")
    out.append("|---|---:|---:|---:|---|")
    out.extend(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows)
    out.append("")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import charts  # noqa: E402  (beside this file)
    out.extend(charts.markdown(charts.draw(os.path.dirname(os.path.abspath(args.out)),
                                           [("remote", "The remote tier", rows)])))
    out.extend(section)
    if remote.failures:
        out.append("## Failed runs\n")
        out.extend(f"- {failure}" for failure in remote.failures)
        out.append("")
    out.append("## Exact commands\n")
    out.append("```")
    out.extend(remote.invocations)
    out.append("```")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
