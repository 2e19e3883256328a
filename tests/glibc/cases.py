#!/usr/bin/env python3
"""The glibc 2.41 cases, run for real and compared with check's predictions.

Called by run-cases.sh (inside a mount namespace where ROOT/proc is mounted)
once the fixtures are built in BIN, a directory under ROOT. For every case and
every GLIBC_TUNABLES=glibc.rtld.execstack value it runs the fixture with
`chroot ROOT`, classifies what happened in the contract's terms (outcome
refused/allowed, main stack executable/not-executable/null), runs
`sealexec check --deps --json` on the program (start-up cases) or on the
library (dlopen cases), and compares each execstack culprit's matching
"glibc_2_41" entry with the measurement. Prints one table row per comparison;
exits 1 on any disagreement, missing or malformed prediction, or broken
fixture run."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

TUNABLES = (0, 1, 2)
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
ENTRY_KEYS = {"loaded", "program_stack", "tunable", "outcome", "stack"}
STACK_STATES = ("executable", "not-executable")
PROGRAM_STATES = STACK_STATES + ("no-gnu-stack",)

# Start-up cases: (fixture, what it is, {culprit: its program_stack}). The
# fixture is both what runs and what check looks at; a root-program culprit
# has program_stack None, a dependency the program's own state.
STARTUP = [
    ("prog-plain", "RW program, no culprit (control)", {}),
    ("prog-links", "RW program, DT_NEEDED execstack lib",
     {"libexecstack.so": "not-executable"}),
    ("prog-x", "program linked -z execstack", {"prog-x": None}),
    ("prog-x-links", "-z execstack program, DT_NEEDED execstack lib",
     {"prog-x-links": None, "libexecstack.so": "executable"}),
    ("prog-nohdr", "program without PT_GNU_STACK", {"prog-nohdr": None}),
    ("prog-nohdr-links", "program without PT_GNU_STACK, DT_NEEDED execstack lib",
     {"prog-nohdr-links": None, "libexecstack.so": "no-gnu-stack"}),
]

# dlopen cases: every probe program dlopen()s every library; check looks at
# the library, and its culprits' entries for the probe's program_stack apply.
#
# The last field says whether the entry's "stack" can be held to this probe.
# A program without PT_GNU_STACK is "executable" in ld.so's view (x86_64's
# default), yet the kernel (>= 5.8) gave its main stack rw-, and ld.so,
# believing it executable already, never mprotect()s it: with tunable 1 its
# [stack] stays rw- after the dlopen, where the PF_X probe's is rwx. So it
# has its own program_stack, "no-gnu-stack", and every field is compared.
PROBES = [
    ("probe-rw", "RW program", "not-executable", True),
    ("probe-x", "-z execstack program", "executable", True),
    ("probe-nohdr", "program without PT_GNU_STACK", "no-gnu-stack", True),
]
LIBRARIES = [
    ("libexecstack.so", "execstack lib", {"libexecstack.so"}),
    ("libwrap.so", "RW lib needing the execstack lib", {"libexecstack.so"}),
    ("libnohdr.so", "lib without PT_GNU_STACK", {"libnohdr.so"}),
    ("libclean.so", "RW lib (control)", set()),
]


def printable(text, limit=110):
    text = re.sub(r"[^\x20-\x7e]", "?", text.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def stack_state(perms):
    if not re.fullmatch(r"[r-][w-][x-][ps]", perms or ""):
        return None
    return "executable" if perms[2] == "x" else "not-executable"


class Run:
    """One fixture run in the chroot and its classification."""

    def __init__(self, root, inside, argv, tunable, loaded):
        self.tunable = tunable
        self.broken = None
        env = {"PATH": "/usr/bin:/bin", "GLIBC_TUNABLES": f"glibc.rtld.execstack={tunable}"}
        try:
            # The host's chroot, found on the host's PATH, not the child's.
            done = subprocess.run([CHROOT, root] + [os.path.join(inside, argv[0])] + argv[1:],
                                  env=env, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            self.set_broken("timed out after 30 s")
            return
        self.exit = done.returncode
        out = done.stdout.decode("utf-8", "replace").splitlines()
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        # Messages name the fixtures by their random scratch path: keep the
        # table stable by naming them as the fixture directory BIN/.
        err = [line.replace(inside + "/", "BIN/") for line in err]
        self.message = printable(err[0], 200) if err else ""
        kv = dict(line.split("=", 1) for line in out if "=" in line)
        self.thread_stack = kv.get("thread_stack", "-")
        self.stack_before = kv.get("stack_before", "-")
        if "started" not in out:
            # ld.so gave up before main(): the process never ran.
            self.outcome, self.stack, self.perms = "refused", None, "-"
            if self.exit == 0:
                self.set_broken("exit 0 without starting")
            return
        if self.exit != 0:
            self.set_broken(f"started but exited {self.exit}: {self.message}")
            return
        self.perms = kv.get("stack", "none")
        self.stack = stack_state(self.perms)
        if self.stack is None:
            self.set_broken(f"no [stack] permissions in its output ({self.perms!r})")
            return
        self.outcome = "allowed"
        if loaded == "dlopen":
            if kv.get("dlopen") == "failed":
                self.outcome = "refused"
                why = kv.get("dlerror", "?").replace(inside + "/", "BIN/")
                self.message = printable(f"dlerror: {why} (errno {kv.get('errno', '?')})", 200)
            elif kv.get("dlopen") != "ok":
                self.set_broken("no dlopen= line in its output")

    def set_broken(self, why):
        self.broken = why
        self.exit = getattr(self, "exit", "-")
        self.outcome, self.stack, self.perms = "broken", None, "-"
        self.message = why

    def measured(self):
        return describe(self.outcome, self.stack)


def describe(outcome, stack):
    return f"{outcome}, stack {stack or 'null'}"


class Predictions:
    """check --deps --json on one file: its execstack culprits by file name."""

    def __init__(self, sealexec, path, loaded):
        self.problems = []
        self.culprits = {}
        done = subprocess.run([sealexec, "check", "--deps", "--json", path],
                              capture_output=True, timeout=60)
        if done.returncode != 0:
            how = (f"was killed by signal {-done.returncode}" if done.returncode < 0
                   else f"exited {done.returncode}")
            self.problems.append(f"check {how}: {printable(done.stderr.decode('utf-8', 'replace'))}")
            return
        try:
            culprits = json.loads(done.stdout)["files"][0]["closure"]["culprits"]
            if not isinstance(culprits, list):
                raise TypeError("culprits is not an array")
        except (ValueError, KeyError, IndexError, TypeError) as e:
            self.problems.append(f"check's JSON has no files[0].closure.culprits: {e}")
            return
        for c in culprits:
            if not isinstance(c, dict) or c.get("execstack") is not True:
                continue
            name = os.path.basename(str(c.get("path", "")))
            self.culprits[name] = self.entries(name, c, loaded)

    def entries(self, name, culprit, loaded):
        """The culprit's glibc_2_41 cases, checked against the contract's
        shape; None (and a problem noted) when absent or malformed."""
        cases = culprit.get("glibc_2_41")
        if cases is None:
            self.problems.append(f"{name}: no \"glibc_2_41\" key")
            return None
        want = 3 if loaded == "startup" else 9
        bad = []
        if not isinstance(cases, list) or len(cases) != want:
            bad.append(f"expected an array of {want} cases")
        else:
            seen = set()
            for e in cases:
                if not isinstance(e, dict) or set(e) != ENTRY_KEYS:
                    bad.append(f"entry {e!r} lacks or adds keys")
                    continue
                key = (e["loaded"], e["program_stack"], e["tunable"])
                if (e["loaded"] != loaded or e["program_stack"] not in PROGRAM_STATES + (None,)
                        or e["tunable"] not in TUNABLES or isinstance(e["tunable"], bool)
                        or e["outcome"] not in ("refused", "allowed")
                        or e["stack"] not in STACK_STATES + (None,)):
                    bad.append(f"entry {e!r} has a value outside the contract")
                if key in seen:
                    bad.append(f"two entries for {key}")
                seen.add(key)
        if bad:
            self.problems.append(f"{name}: malformed glibc_2_41: {'; '.join(bad)}")
            return None
        return cases

    def lookup(self, name, loaded, program_stack, tunable):
        """The prediction as (text, entry or None)."""
        if name not in self.culprits:
            return "culprit not reported", None
        cases = self.culprits[name]
        if cases is None:
            return "glibc_2_41 absent/malformed", None
        for e in cases:
            if (e["loaded"], e["program_stack"], e["tunable"]) == (loaded, program_stack, tunable):
                return describe(e["outcome"], e["stack"]), e
        return f"no entry for {loaded}/{program_stack}/{tunable}", None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sealexec", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--glibc", required=True)
    ap.add_argument("--table")
    args = ap.parse_args()

    failures = []
    m = re.search(r"release version (\d+\.\d+)", args.glibc)
    version = m.group(1) if m else None
    print(f"glibc in {args.root}: {printable(args.glibc)}")
    if version != "2.41":
        failures.append(f"the root's glibc is {version or 'unknown'} ({printable(args.glibc)}), "
                        "not 2.41: glibc_2_41 predictions cannot be checked against it")

    inside = "/" + os.path.relpath(args.bin, args.root)
    rows = []      # comparisons: case, tunable, culprit, predicted, measured, agree
    measured = []  # one per run, for the README's table

    # (case label, description, loaded, argv, check target,
    #  {culprit: program_stack}, whether the stack is compared)
    cases = []
    for prog, what, culprits in STARTUP:
        cases.append((prog, what, "startup", [prog], prog, culprits, True))
    for probe, probe_what, probe_stack, stack_comparable in PROBES:
        for lib, lib_what, culprits in LIBRARIES:
            cases.append((f"{probe} dlopen {lib}", f"{probe_what} dlopen()s {lib_what}", "dlopen",
                          [probe, os.path.join(inside, lib)], lib,
                          {c: probe_stack for c in culprits}, stack_comparable))

    checked = {}
    for label, what, loaded, argv, target, culprits, stack_comparable in cases:
        if target not in checked:
            checked[target] = Predictions(args.sealexec, os.path.join(args.bin, target), loaded)
            for p in checked[target].problems:
                failures.append(f"check --deps --json {target}: {p}")
        pred = checked[target]
        reported = set(pred.culprits)
        if reported != set(culprits):
            failures.append(f"check --deps {target}: execstack culprits {sorted(reported)}, "
                            f"expected {sorted(culprits)}")
        for t in TUNABLES:
            run = Run(args.root, inside, argv, t, loaded)
            measured.append((label, what, loaded, t, run))
            if run.broken:
                failures.append(f"{label}, tunable {t}: the fixture run is broken: {run.broken}")
            if not culprits:
                rows.append((label, t, "(none: control)", "(no culprit)", run.measured(), "-"))
            for name, program_stack in sorted(culprits.items()):
                text, entry = pred.lookup(name, loaded, program_stack, t)
                agree = (entry is not None and not run.broken and entry["outcome"] == run.outcome
                         and (not stack_comparable or entry["stack"] == run.stack))
                verdict = ("yes" if stack_comparable else "outcome") if agree else "NO"
                rows.append((label, t, f"{name} ({program_stack or 'root'})", text,
                             run.measured(), verdict))
                if not agree:
                    failures.append(f"{label}, tunable {t}, culprit {name}: "
                                    f"predicted {text}, measured {run.measured()}")

    head = ("case", "tunable", "culprit (program_stack)", "predicted", "measured", "agree")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())

    print("\nmeasured details (stack = main [stack], thread = a new thread's stack):")
    for label, what, loaded, t, run in measured:
        before = f" before={run.stack_before}" if loaded == "dlopen" else ""
        print(f"  {label:34} t={t} exit={run.exit!s:3} {run.outcome:8}{before} "
              f"stack={run.perms} thread={run.thread_stack}  {run.message}")

    if args.table:
        with open(args.table, "w") as f:
            f.write(f"Measured with `{printable(args.glibc)}`\n\n")
            f.write("| case | what | tunable | outcome | exit | [stack] before | [stack] | thread stack | message |\n")
            f.write("|---|---|---|---|---|---|---|---|---|\n")
            for label, what, loaded, t, run in measured:
                before = run.stack_before if loaded == "dlopen" else "-"
                f.write(f"| {label} | {what} | {t} | {run.outcome} | {run.exit} | {before} | "
                        f"{run.perms} | {run.thread_stack} | {run.message.replace('|', '/')} |\n")
        print(f"\nmeasured table written to {args.table}")

    if failures:
        print(f"\nFAIL: check-glibc: {len(failures)} problem(s):", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    print(f"\ncheck-glibc: all {len(rows)} comparisons agree with glibc {version} "
          "(every field compared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
