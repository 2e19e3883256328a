#!/usr/bin/env python3
"""Large programs and the memory tier: this section's part of results.md
(bench/run-large.sh collects the JSON into BUILD/bench). report.py folds it
into the whole report; run alone, it writes this section by itself
(results-large.md, chart-large.png). Nothing fails on a missed target."""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charts  # noqa: E402

TITLE = "Large programs and the memory tier"
COLD_TARGET = 1.2  # `sealexec run`, memory tier off, over the minimal runner
TIER_TARGET = 2.0  # `sealexec run`, memory tier on, over the program run directly
BIG = "big-hello"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def timer_results(path):
    """interleaved-timer JSON: {name: {mean, median, runs}}."""
    results = {}
    for r in load(path)["results"]:
        times = sorted(r["times"])
        results[r["name"]] = {"mean": sum(times) / len(times),
                              "median": times[len(times) // 2], "runs": len(times),
                              "command": r["command"]}
    return results


def fmt_ms(seconds):
    return f"{seconds * 1e3:.3f} ms"


def verdict(ratio, target):
    if math.isnan(ratio):
        return "**NOT MEASURED** (a run failed; see below)"
    return "**MET**" if ratio <= target else "**MISSED**"


class Large:
    def __init__(self, directory):
        self.failures = []
        path = lambda name: os.path.join(directory, name)  # noqa: E731
        self.info = {}
        with open(path("large-info.txt"), encoding="utf-8") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                self.info[key] = value
        self.off = timer_results(path("large-off.json"))
        self.off_hf = {r["command"]: r for r in load(path("large-off-hf.json"))["results"]}
        self.serve = self.info.get("serve", "not started")
        if self.serve == "ok":
            self.on = timer_results(path("large-on.json"))
            self.on_hf = {r["command"]: r for r in load(path("large-on-hf.json"))["results"]}
        else:
            self.on, self.on_hf = None, None
        with open(path("large-invocations.txt"), encoding="utf-8") as f:
            self.invocations = [line.rstrip("\n") for line in f if line.strip()]
        self.real = self.info.get("real_name") or None

    def not_measured_reason(self):
        if self.serve == "no sealexec serve":
            return "no `sealexec serve`"
        return self.serve

    def ratio(self, timer, hf, a, b):
        """(mean ratio, cross-check text) of two commands of one phase."""
        try:
            mean = timer[a]["mean"] / timer[b]["mean"]
            median = timer[a]["median"] / timer[b]["median"]
            hf_mean = hf[a]["mean"] / hf[b]["mean"]
        except KeyError as missing:
            self.failures.append(f"large programs: no result for {missing}")
            return math.nan, "—"
        return mean, f"{median:.3f}× (interleaved medians), {hf_mean:.3f}× (hyperfine means)"

    def program_rows(self, what, run_off, run_on, runner, direct, cache_off=None, cache_on=None):
        rows = []
        ratio, check = self.ratio(self.off, self.off_hf, run_off, runner)
        rows.append((f"`sealexec run` of {what}, cold (memory tier off) / minimal runner "
                     "(interleaved)", f"{ratio:.3f}×", check, f"≤ {COLD_TARGET:.2f}×",
                     verdict(ratio, COLD_TARGET)))
        if self.on is None:
            rows.append((f"`sealexec run` of {what} again, memory tier on / run directly",
                         "—", "—", f"≤ {TIER_TARGET:.2f}×",
                         f"**NOT MEASURED** ({self.not_measured_reason()})"))
        else:
            ratio, check = self.ratio(self.on, self.on_hf, run_on, direct)
            rows.append((f"`sealexec run` of {what} again, memory tier on / run directly "
                         "(interleaved)", f"{ratio:.3f}×", check, f"≤ {TIER_TARGET:.2f}×",
                         verdict(ratio, TIER_TARGET)))
        ratio, check = self.ratio(self.off, self.off_hf, run_off, direct)
        rows.append((f"`sealexec run` of {what}, memory tier off / run directly",
                     f"{ratio:.3f}×", check, "—", "info"))
        if cache_off:
            ratio, check = self.ratio(self.off, self.off_hf, cache_off, runner)
            rows.append((f"`sealexec cache exec` of {what} (a cache hit), cold (memory tier off) / "
                         "minimal runner of the file", f"{ratio:.3f}×", check, "—", "info"))
            if self.on is None:
                rows.append((f"`sealexec cache exec` of {what} again, memory tier on / run directly",
                             "—", "—", "—", f"**NOT MEASURED** ({self.not_measured_reason()})"))
            else:
                ratio, check = self.ratio(self.on, self.on_hf, cache_on, direct)
                rows.append((f"`sealexec cache exec` of {what} again, memory tier on / run directly",
                             f"{ratio:.3f}×", check, "—", "info"))
        return rows

    def real_label(self):
        size = int(self.info.get("real_bytes", "0")) / 2**20
        return f"`{self.real} --version` (`{self.info.get('real_path')}`, {size:.1f} MiB)"

    def target_rows(self):
        """(comparison, ratio, cross-check, target, verdict) rows for the
        Targets table."""
        rows = self.program_rows(
            "a 100 MiB program",
            f"sealexec run {BIG} (tier off)", f"sealexec run {BIG} (tier on)",
            f"minimal-runner {BIG}", f"{BIG} (direct)",
            f"sealexec cache exec {BIG} (tier off)", f"sealexec cache exec {BIG} (tier on)")
        if self.real:
            name = self.real
            rows += self.program_rows(
                self.real_label(),
                f"sealexec run {name} --version (tier off)",
                f"sealexec run {name} --version (tier on)",
                f"minimal-runner {name} --version", f"{name} --version (direct)")
        else:
            why = "no node, clangd or clang-19 over 30 MB is installed"
            rows.append(("`sealexec run` of a large real program, cold (memory tier off) / "
                         "minimal runner", "—", "—", f"≤ {COLD_TARGET:.2f}×",
                         f"**NOT MEASURED** ({why})"))
            rows.append(("`sealexec run` of a large real program again, memory tier on / run directly", "—",
                         "—", f"≤ {TIER_TARGET:.2f}×", f"**NOT MEASURED** ({why})"))
        return rows

    def section(self):
        out = [f"## {TITLE}\n"]
        big = int(self.info.get("big_bytes", "0"))
        out.append(f"`big-hello`: a C hello (`cc -O2`, `puts`) with 100 MiB of random bytes in "
                   f"`.rodata` (the \"100 MiB program\"), {big:,} bytes in all; it never "
                   "touches them. "
                   + (f"The real program: {self.real_label()}. " if self.real else
                      "No real program over 30 MB (node, clangd, clang-19) is installed. ")
                   + "The minimal runner (`bench/minimal_runner.c`) opens the file, "
                   "sendfiles it into a memfd and execveats that: the floor of any runner that "
                   "copies. **Memory tier off**: `SEALEXEC_MEMORY_TIER=off` is in the "
                   "environment of the timer and of hyperfine, so every command inherits it "
                   "and none pays for an `env` exec; no server runs. **Memory tier on**: "
                   "`sealexec serve --idle-timeout 600`, started by the bench, runs with "
                   "`XDG_RUNTIME_DIR` a private "
                   "directory of the run (the same in both phases), after 3 warm-up runs of "
                   "each command and the timer's 50 rounds. Each ratio is of two commands "
                   "timed in the same phase.\n")
        if self.serve == "ok":
            status = self.info.get("server_status", "")
            rss = self.info.get("server_rss", "")
            if status or rss:
                out.append(f"The server after the runs (`sealexec serve --status`): {status or '?'}; "
                           f"its RSS {rss or '?'} (the images it holds are memfds, not in it).\n")
        else:
            out.append(f"Memory tier on: {self.not_measured_reason()}.\n")
        for phase, timer, hf in (("off", self.off, self.off_hf), ("on", self.on, self.on_hf)):
            if timer is None:
                continue
            out.append(f"### Memory tier {phase}\n")
            out.append("| Name | Mean (interleaved) | Median (interleaved) | Runs | "
                       "hyperfine mean ± σ | hyperfine median |")
            out.append("|---|---:|---:|---:|---:|---:|")
            for name, r in timer.items():
                h = hf.get(name)
                hf_cells = (f"{fmt_ms(h['mean'])} ± {fmt_ms(h['stddev'])} | {fmt_ms(h['median'])}"
                            if h else "— | —")
                out.append(f"| {name} | {fmt_ms(r['mean'])} | {fmt_ms(r['median'])} "
                           f"| {r['runs']} | {hf_cells} |")
            out.append("")
        return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--dir", required=True, help="where run-large.sh wrote its files")
    parser.add_argument("--machine", action="append", default=[])
    args = parser.parse_args()
    large = Large(args.dir)
    rows = large.target_rows()
    drawn = charts.draw(os.path.dirname(os.path.abspath(args.out)), [("large", TITLE, rows)])
    out = ["# sealexec benchmark results: large programs and the memory tier\n",
           "## Machine\n"]
    out.extend(f"- {line}" for line in args.machine)
    out.append("")
    out.append("## Targets\n")
    out.append("| Comparison | Ratio | Cross-check | Target | Verdict |")
    out.append("|---|---:|---:|---:|---|")
    out.extend(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows)
    out.append("")
    out.extend(charts.markdown(drawn))
    out.extend(large.section())
    if large.failures:
        out.append("## Failed runs\n")
        out.extend(f"- {failure}" for failure in large.failures)
        out.append("")
    out.append("## Exact commands\n")
    out.append("```")
    out.extend(large.invocations)
    out.append("```")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
