#!/bin/sh
# check --deps resolves closures exactly as glibc's ld.so does: for every
# dynamically linked ELF program under /usr/bin (symlinks resolved, each file
# once), the objects in sealexec's closure equal what ldd lists, name for name
# and path for path (or "not found"). Both run in the same scrubbed
# environment. The main program and linux-vdso are left out; ldd lists the
# interpreter under its own path, as sealexec names it.
. "$TEST_LIB"
require_command ldd
require_command python3
[ -d /usr/bin ] || skip "no /usr/bin"

python3 - "$WORK/programs" <<'PY'
import os, sys
seen = set()
for root, dirs, files in os.walk("/usr/bin"):
    dirs.sort()
    for name in sorted(files):
        real = os.path.realpath(os.path.join(root, name))
        if real in seen or not os.path.isfile(real):
            continue
        try:
            with open(real, "rb") as f:
                if f.read(4) != b"\x7fELF":
                    continue
        except OSError:
            continue
        seen.add(real)
with open(sys.argv[1], "w") as out:
    out.write("".join(p + "\n" for p in sorted(seen)))
PY
count=$(wc -l <"$WORK/programs")
[ "$count" -ge 10 ] || skip "only $count ELF files under /usr/bin"

# One sealexec run with every file as an operand, and one ldd run (its own
# loop prints "PATH:" before each file's list), in the same scrubbed
# environment. python3 passes the operands: no xargs splitting.
python3 - "$WORK/programs" "$SEALEXEC" "$WORK" <<'PY'
import subprocess, sys
programs = [l.rstrip("\n") for l in open(sys.argv[1])]
env = {"PATH": "/usr/bin:/bin"}
with open(sys.argv[3] + "/sealexec.json", "wb") as out, open(sys.argv[3] + "/sealexec.err", "wb") as err:
    code = subprocess.call([sys.argv[2], "check", "--deps", "--json", *programs], env=env, stdout=out, stderr=err)
if code != 0:
    sys.stderr.write(open(sys.argv[3] + "/sealexec.err").read())
    sys.exit(f"FAIL: sealexec check --deps --json exited {code}, expected 0")
# ldd exits 1 when some file is not dynamic; its output is still complete
# ("not a dynamic executable" goes to stderr, in order with the rest).
with open(sys.argv[3] + "/ldd.txt", "wb") as out:
    subprocess.call(["ldd", *programs], env=env, stdout=out, stderr=subprocess.STDOUT)
PY

python3 - "$WORK/programs" "$WORK/sealexec.json" "$WORK/ldd.txt" <<'PY'
import json, re, sys
from collections import Counter

programs = [l.rstrip("\n") for l in open(sys.argv[1])]
doc = json.load(open(sys.argv[2]))
ours = {}
for entry in doc["files"]:
    if "error" in entry:
        sys.exit(f"FAIL: sealexec could not check {entry['path']}: {entry['error']}")
    ours[entry["path"]] = entry

# Parse ldd: with several operands it prints "PATH:" and then the list.
theirs, static, current = {}, set(), None
for line in open(sys.argv[3], errors="replace"):
    line = line.rstrip("\n")
    if not line.startswith("\t") and line.endswith(":") and line[:-1] in ours:
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
    m = re.fullmatch(r"(\S+) => not found", text)
    if m:
        theirs[current][(m.group(1), "not found")] += 1
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

differences, compared, pairs = [], 0, 0
for path in programs:
    if path not in ours:
        differences.append(f"{path}: missing from sealexec's output")
        continue
    if path not in theirs:
        differences.append(f"{path}: missing from ldd's output")
        continue
    closure = ours[path].get("closure")
    if path in static:
        # A static program has no closure beyond itself.
        if closure is not None and len(closure["objects"]) > 1:
            differences.append(f"{path}: ldd says static, sealexec lists {closure['objects'][1:]}")
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
        differences.append(f"{path}: only sealexec {only_ours}; only ldd {only_ldd}")

print(f"{compared} dynamic programs ({pairs} objects) compared, {len(static)} static skipped")
if differences:
    print(f"FAIL: {len(differences)} programs differ; the first few:", file=sys.stderr)
    for d in differences[:8]:
        print("  " + d, file=sys.stderr)
    sys.exit(1)
if compared < 10 or pairs < 3 * compared:
    sys.exit(f"FAIL: only {compared} programs ({pairs} objects) compared")
PY
