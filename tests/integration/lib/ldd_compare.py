"""Compares check --deps --json closures with what ld.so itself lists.

Used by the scenarios that hold sealexec's resolver against the real loader:
ldd on this machine, `chroot ROOT ldd` in a Debian root, and a foreign
architecture's ld.so --list under qemu-user. The listing is ldd's format:
"PATH:" before each program's lines (ldd prints it when given several
files; the callers print it themselves otherwise).

    python3 ldd_compare.py PROGRAMS CHECK_JSON LDD_OUTPUT [MIN_PROGRAMS]

The main program and linux-vdso are left out; the interpreter counts under
its own path, as sealexec names it (qemu's `ld.so --list` prints it as
"INTERP => HOST_PATH", which is the same object).
"""
import json
import re
import sys
from collections import Counter


def parse_ldd(lines, known):
    theirs, static, current = {}, set(), None
    for line in lines:
        line = line.rstrip("\n")
        if not line.startswith("\t") and line.endswith(":") and line[:-1] in known:
            current = line[:-1]
            theirs[current] = Counter()
            continue
        if current is None:
            continue
        text = line.strip()
        if text in ("statically linked", "not a dynamic executable"):
            static.add(current)
            continue
        if text.startswith("linux-vdso.so") or text.startswith("linux-gate.so"):
            continue
        if text.startswith("ldd: warning:"):  # a library without execute permission
            continue
        m = re.fullmatch(r"(\S+) => not found", text)
        if m:
            theirs[current][(m.group(1), "not found")] += 1
            continue
        m = re.fullmatch(r"(/\S+) => (\S+) \(0x[0-9a-f]+\)", text)
        if m:
            # Only ld.so run by hand names itself "INTERP => FILE RUN".
            theirs[current][(m.group(1), m.group(1))] += 1
            continue
        m = re.fullmatch(r"(\S+) => (\S+) \(0x[0-9a-f]+\)", text)
        if m:
            theirs[current][(m.group(1), m.group(2))] += 1
            continue
        m = re.fullmatch(r"(/\S+) \(0x[0-9a-f]+\)", text)
        if m:
            theirs[current][(m.group(1), m.group(1))] += 1
            continue
        theirs[current][("unparsed ldd line", text)] += 1
    return theirs, static


def main():
    programs = [l.rstrip("\n") for l in open(sys.argv[1])]
    doc = json.load(open(sys.argv[2]))
    minimum = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    ours = {}
    for entry in doc["files"]:
        if "error" in entry:
            sys.exit(f"FAIL: sealexec could not check {entry['path']}: {entry['error']}")
        ours[entry["path"]] = entry
    theirs, static = parse_ldd(open(sys.argv[3], errors="replace"), ours)

    differences, compared, pairs = [], 0, 0
    for path in programs:
        if path not in ours:
            differences.append(f"{path}: missing from sealexec's output")
            continue
        if path not in theirs:
            differences.append(f"{path}: missing from the loader's output")
            continue
        closure = ours[path].get("closure")
        if path in static:
            # A static program has no closure beyond itself.
            if closure is not None and len(closure["objects"]) > 1:
                differences.append(f"{path}: the loader says static, sealexec lists {closure['objects'][1:]}")
            continue
        if closure is None:
            differences.append(f"{path}: no closure in sealexec's output")
            continue
        mine = Counter()
        for obj in closure["objects"][1:]:
            mine[(obj["name"], obj["path"] if obj["path"] is not None else "not found")] += 1
        compared += 1
        pairs += sum(theirs[path].values())
        if mine != theirs[path]:
            only_ours = sorted((mine - theirs[path]).elements())
            only_ldd = sorted((theirs[path] - mine).elements())
            differences.append(f"{path}: only sealexec {only_ours}; only the loader {only_ldd}")

    print(f"{compared} dynamic objects ({pairs} loaded objects) agree or differ below; "
          f"{len(static)} static or not loadable skipped; {len(differences)} differ")
    if differences:
        print(f"FAIL: {len(differences)} objects differ; the first few:", file=sys.stderr)
        for d in differences[:8]:
            print("  " + d, file=sys.stderr)
        sys.exit(1)
    if compared < minimum or pairs < 2 * compared:
        sys.exit(f"FAIL: only {compared} objects ({pairs} loaded objects) compared")


if __name__ == "__main__":
    main()
