#!/usr/bin/env python3
"""Many `sealexec script` runs at once against a Redis-backed cache
(bench/run-remote.sh runs this with a redis-server of its own).

One earlier "machine" compiles the script with a signing key, which writes
the binary and its manifest through to Redis. Then, each round:

  cold_remote   RUNS runs at once, each with a new, empty local cache, all
                reading the one Redis: every run probes the compiler (its
                facts are never shared: they name this machine's inodes),
                then gets the manifest and the binary from Redis
  facts_remote  the same with local caches that already hold the compiler's
                facts and nothing else: the remote hit alone
  warm_local    the cold_remote caches again, now warm: local hits (the
                remote stays configured, as it would be)
  warm_no_remote  the same without the remote settings
and once:
  compile       COMPILES runs at once with new local caches and no remote

Each scenario is also run one process at a time (SEQUENTIAL runs) for the
per-run time without contention. Every run's output is checked, and each
cache's statistics must show the expected remote hits (or none); anything
else fails the benchmark. A batch's processes are all forked first, held on a
pipe, and released together; times are wall-clock from the release to each
one's reaping; CPU times come from wait4.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def die(message):
    sys.exit(f"remote_concurrency.py: {message}")


def base_environment():
    # Nothing of the caller's sealexec settings may leak into the runs.
    return {k: v for k, v in os.environ.items() if not k.startswith("SEALEXEC_")}


def start_held(argv, env, prefix, gate, release):
    """Forks a child that redirects its output to prefix.out/.err, waits
    until `gate` (a pipe's read end) reaches end of file, which it does when
    the parent closes `release`, the write end, then execs argv.
    Forking all of a batch before any of them runs keeps the parent's own
    slowness, on a machine busy with the batch, out of the batch."""
    pid = os.fork()
    if pid == 0:  # the child: nothing here may return
        try:
            os.close(release)  # or the pipe would never reach end of file
            for fd, path, flags in ((0, "/dev/null", os.O_RDONLY),
                                    (1, prefix + ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                    (2, prefix + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                opened = os.open(path, flags, 0o644)
                os.dup2(opened, fd)
                os.close(opened)
            while os.read(gate, 1):
                pass
            os.close(gate)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    return pid


def run_batch(jobs, at_once):
    """jobs: [(argv, env, out_prefix)]. Runs them all at once (forked first,
    then released together) or one by one, with stdout and stderr to
    out_prefix.out/.err. Returns wall seconds (release to last exit) and per
    job: seconds (release to exit), user, sys (wait4: the process and the
    children it waited for), status."""
    results = [None] * len(jobs)

    def run(indices):
        gate, release = os.pipe()
        pids = {start_held(*jobs[i], gate, release): i for i in indices}
        os.close(gate)
        released = time.monotonic()
        os.close(release)  # end of file for every child at once
        last = released
        while pids:
            pid, status, usage = os.wait4(-1, 0)
            last = time.monotonic()
            results[pids.pop(pid)] = {
                "seconds": last - released,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
                "status": os.waitstatus_to_exitcode(status),
            }
        return last - released

    if at_once:
        return run(range(len(jobs))), results
    return sum(run([i]) for i in range(len(jobs))), results


class Bench:
    def __init__(self, args):
        self.args = args
        self.env = base_environment()
        self.failures = []

    def sealexec(self, *argv, cache_dir=None, check=True):
        env = dict(self.env)
        if cache_dir:
            env["SEALEXEC_CACHE_DIR"] = cache_dir
        done = subprocess.run([self.args.sealexec, *argv], env=env, capture_output=True, text=True)
        if check and done.returncode != 0:
            die(f"'sealexec {' '.join(argv)}' failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def stats(self, cache_dir):
        return json.loads(self.sealexec("cache", "--dir", cache_dir, "stats", "--json").stdout)

    def remote_counts(self, cache_dir):
        remote = self.stats(cache_dir)["remote"]
        total = {"hits": 0, "misses": 0, "errors": 0, "timeouts": 0, "rejected": 0, "puts": 0}
        for backend in remote:
            for key in total:
                total[key] += backend[key]
        return total

    def script_argv(self, remote):
        argv = [self.args.sealexec, "script"]
        if remote:
            argv += ["--remote", self.args.redis_url, "--trusted-keys", self.args.trusted_keys]
        return argv + [self.args.script]

    def seed(self):
        """The earlier machine: compiles and writes through to Redis; and a
        local cache holding only the compiler's facts, to copy."""
        seed_dir = os.path.join(self.args.work, "seed")
        done = self.sealexec("script", "--remote", self.args.redis_url, "--signing-key",
                             self.args.signing_key, "--trusted-keys", self.args.trusted_keys,
                             self.args.script, cache_dir=seed_dir)
        if done.stdout != self.args.expect + "\n":
            die(f"the seeding run printed {done.stdout!r}")
        counts = self.remote_counts(seed_dir)
        if counts["puts"] < 2 or counts["errors"] or counts["timeouts"]:
            die(f"the seeding run did not write the manifest and the binary to Redis: {counts}")
        facts_dir = os.path.join(self.args.work, "facts")
        done = self.sealexec("script", self.args.script, cache_dir=facts_dir)
        listed = json.loads(self.sealexec("cache", "--dir", facts_dir, "ls", "--json").stdout)
        for entry in listed:
            if not entry["description"].startswith("compiler facts:"):
                # `cache rm` takes a user's key, not the hex one ls prints:
                # unlink the entry file (cache.h's layout, ac/<2 hex>/<hex>).
                # Its blob stays, as after an eviction until gc.
                key = entry["key"]
                os.unlink(os.path.join(facts_dir, "ac", key[:2], key))
        left = json.loads(self.sealexec("cache", "--dir", facts_dir, "ls", "--json").stdout)
        if len(left) != 1:
            die(f"expected one compiler-facts entry, found {left}")
        self.facts_dir = facts_dir
        return {"remote_puts": counts["puts"]}

    def batch(self, name, dirs, remote, at_once, prepare=None):
        jobs = []
        for index, cache_dir in enumerate(dirs):
            if prepare:
                prepare(cache_dir)
            env = dict(self.env)
            env["SEALEXEC_CACHE_DIR"] = cache_dir
            jobs.append((self.script_argv(remote), env, f"{cache_dir}.run"))
        wall, results = run_batch(jobs, at_once)
        for (argv, _, prefix), result in zip(jobs, results):
            with open(prefix + ".out", encoding="utf-8", errors="replace") as f:
                out = f.read()
            with open(prefix + ".err", encoding="utf-8", errors="replace") as f:
                err = f.read().strip()
            if result["status"] != 0 or out != self.args.expect + "\n":
                self.failures.append(f"{name}: {' '.join(argv)} (cache {prefix[:-4]}) exited "
                                     f"{result['status']}, printed {out!r}; stderr: {err[:500]!r}")
            elif err:
                self.failures.append(f"{name}: unexpected messages (cache {prefix[:-4]}): {err[:500]!r}")
        return wall, results

    def check_remote(self, name, dirs, hits):
        """Each cache's remote counts: exactly `hits` hits and nothing else;
        with hits None, no remote at all and a compiled binary put."""
        for cache_dir in dirs:
            if hits is None:
                stats = self.stats(cache_dir)
                if stats["remote"] or stats["puts"] < 2:
                    self.failures.append(f"{name}: cache {cache_dir}: expected a compile and no "
                                         f"remote, found {stats}")
                continue
            counts = self.remote_counts(cache_dir)
            bad = {k: v for k, v in counts.items() if k != "hits" and v}
            if counts["hits"] != hits or bad:
                self.failures.append(f"{name}: cache {cache_dir}: expected {hits} remote hits and "
                                     f"nothing else, found {counts}")

    def scenario(self, name, runs, remote, prepare, expected_hits, reuse=None):
        """One round: `runs` caches (new, or `reuse`), all at once."""
        self.round_counter = getattr(self, "round_counter", 0) + 1
        base = os.path.join(self.args.work, f"{name}.{self.round_counter}")
        dirs = reuse or [os.path.join(base, str(i)) for i in range(runs)]
        if not reuse:
            os.makedirs(base)
        wall, results = self.batch(name, dirs, remote, True, prepare)
        self.check_remote(name, dirs, expected_hits)
        return dirs, {"wall_s": wall, "runs": results}

    def sequential(self, name, runs, remote, prepare, expected_hits, warm_first=False):
        base = os.path.join(self.args.work, f"{name}.sequential")
        os.makedirs(base)
        dirs = [os.path.join(base, str(i)) for i in range(runs)]
        if warm_first:  # warm each cache with one untimed remote hit
            self.batch(name + " (warming)", dirs, True, False, prepare)
            prepare = None
        wall, results = self.batch(name, dirs, remote, False, prepare)
        self.check_remote(name, dirs, expected_hits)
        return {"wall_s": wall, "runs": results}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sealexec", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--expect", required=True, help="the script's one line of output")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--signing-key", required=True)
    parser.add_argument("--trusted-keys", required=True)
    parser.add_argument("--work", required=True, help="an empty directory for the caches")
    parser.add_argument("--runs", type=int, default=64)
    parser.add_argument("--compiles", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=8)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    bench = Bench(args)
    seed = bench.seed()
    copy_facts = lambda cache_dir: shutil.copytree(bench.facts_dir, cache_dir, symlinks=True)
    scenarios = {name: {"rounds": []} for name in
                 ("cold_remote", "facts_remote", "warm_local", "warm_no_remote", "compile")}
    for _ in range(args.rounds):
        dirs, result = bench.scenario("cold_remote", args.runs, True, None, 2)
        scenarios["cold_remote"]["rounds"].append(result)
        _, result = bench.scenario("facts_remote", args.runs, True, copy_facts, 2)
        scenarios["facts_remote"]["rounds"].append(result)
        # Still two remote hits each: a local hit asks no one.
        _, result = bench.scenario("warm_local", args.runs, True, None, 2, reuse=dirs)
        scenarios["warm_local"]["rounds"].append(result)
        # The same without the remote settings: what they cost a local hit.
        _, result = bench.scenario("warm_no_remote", args.runs, False, None, 2, reuse=dirs)
        scenarios["warm_no_remote"]["rounds"].append(result)
    _, result = bench.scenario("compile", args.compiles, False, None, None)
    scenarios["compile"]["rounds"].append(result)

    scenarios["cold_remote"]["sequential"] = bench.sequential(
        "cold_remote", args.sequential, True, None, 2)
    scenarios["facts_remote"]["sequential"] = bench.sequential(
        "facts_remote", args.sequential, True, copy_facts, 2)
    scenarios["warm_local"]["sequential"] = bench.sequential(
        "warm_local", args.sequential, True, None, 2, warm_first=True)
    scenarios["warm_no_remote"]["sequential"] = bench.sequential(
        "warm_no_remote", args.sequential, False, None, 2, warm_first=True)
    scenarios["compile"]["sequential"] = bench.sequential(
        "compile", max(1, min(args.sequential, 3)), False, None, None)
    for name, scenario in scenarios.items():
        scenario["concurrency"] = args.compiles if name == "compile" else args.runs

    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"seed": seed, "runs": args.runs, "compiles": args.compiles,
                   "rounds": args.rounds, "cores": os.cpu_count(),
                   "scenarios": scenarios, "failures": bench.failures}, f, indent=1)
    if bench.failures:
        for failure in bench.failures[:20]:
            print(f"remote_concurrency.py: {failure}", file=sys.stderr)
        die(f"{len(bench.failures)} run(s) failed or were not what they should be "
            f"(details in {args.out})")
    for name, scenario in scenarios.items():
        walls = [r["wall_s"] for r in scenario["rounds"]]
        per_run = [x["seconds"] for r in scenario["rounds"] for x in r["runs"]]
        seq = [x["seconds"] for x in scenario["sequential"]["runs"]]
        print(f"{name:13} {scenario['concurrency']:3} at once: wall {min(walls) * 1e3:8.1f} ms (best of "
              f"{len(walls)}), per run mean {sum(per_run) / len(per_run) * 1e3:8.1f} ms; "
              f"alone {sum(seq) / len(seq) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
