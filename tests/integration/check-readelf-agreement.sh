#!/bin/sh
# check agrees with readelf (binutils) across /usr/lib/x86_64-linux-gnu and
# /usr/bin, file by file: the number of PT_GNU_STACK headers and the flags of
# the last one, TEXTREL (DT_TEXTREL or DF_TEXTREL), BIND_NOW (DT_BIND_NOW,
# DF_BIND_NOW or DF_1_NOW), and RELRO: none without PT_GNU_RELRO, full with
# it and BIND_NOW, partial otherwise; the ELF type too. readelf takes many
# files per run, so every file is compared, not a sample.
. "$TEST_LIB"
require_command readelf
require_command python3
for tree in /usr/lib/x86_64-linux-gnu /usr/bin; do
  [ -d "$tree" ] || skip "no $tree"
done

for tree in /usr/lib/x86_64-linux-gnu /usr/bin; do
  out=$WORK/$(basename "$tree").json
  code=0
  "$SEALEXEC" check -R --json "$tree" >"$out" 2>"$WORK/err" || code=$?
  case $code in
    0) ;;
    2) grep -q '"error"' "$out" || fail "check -R $tree exited 2 with no error entry: $(cat "$WORK/err")" ;;
    *) cat "$WORK/err" >&2; fail "check -R --json $tree exited $code" ;;
  esac
done

python3 - "$WORK" <<'PY'
import json, re, subprocess, sys
work = sys.argv[1]
ours, skipped = {}, []
for tree in ("x86_64-linux-gnu", "bin"):
    for e in json.load(open(f"{work}/{tree}.json"))["files"]:
        if "error" in e:
            skipped.append(e["path"])
        elif e["type"] != "obj":  # readelf -l has nothing to say about a .o
            ours[e["path"]] = e

# readelf prints "File: PATH" before each file when given several; chunks
# of at least two files each.
paths = sorted(ours)
chunks = [paths[i:i + 200] for i in range(0, len(paths), 200)]
if len(chunks) > 1 and len(chunks[-1]) < 2:
    chunks[-2] += chunks.pop()
text = {}
for chunk in chunks:
    if len(chunk) < 2:
        chunk = chunk + chunk  # the same file twice still gets its header
    run = subprocess.run(["readelf", "-lWd", *chunk], capture_output=True, text=True,
                         errors="replace")
    current = None
    for line in run.stdout.splitlines():
        if line.startswith("File: ") and line[6:] in ours:
            current = line[6:]
            text[current] = []
        elif current is not None:
            text[current].append(line)

FLAG_BITS = {"R": 4, "W": 2, "E": 1}
problems, compared = [], 0
totals = dict(stacks=0, textrel=0, bind_now=0, relro=0, full=0)
for path in paths:
    lines = text.get(path)
    if not lines or not any(l.startswith("Elf file type is ") for l in lines):
        skipped.append(path)  # readelf could not parse it
        continue
    e = ours[path]
    compared += 1
    etype = next(l for l in lines if l.startswith("Elf file type is ")).split()[4]
    stack_flags, relro_headers, tags = [], 0, {}
    for l in lines:
        m = re.match(r"\s+GNU_STACK\s+(?:0x[0-9a-f]+\s+){5}(.{3}) ", l)
        if m:
            stack_flags.append(sum(FLAG_BITS.get(c, 0) for c in m.group(1)))
        if re.match(r"\s+GNU_RELRO\s", l):
            relro_headers += 1
        m = re.match(r"\s+0x[0-9a-f]+ \((\w+)\)\s+(.*)", l)
        if m:
            tags.setdefault(m.group(1), []).append(m.group(2).replace("Flags:", "").split())
    flag_words = lambda tag: {w for v in tags.get(tag, []) for w in v}
    textrel = "TEXTREL" in tags or "TEXTREL" in flag_words("FLAGS")
    bind_now = "BIND_NOW" in tags or "BIND_NOW" in flag_words("FLAGS") or "NOW" in flag_words("FLAGS_1")
    relro = "none" if relro_headers == 0 else ("full" if bind_now else "partial")
    expected_type = {"EXEC": ("exec",), "DYN": ("pie", "lib")}.get(etype, ("?",))

    def differ(what, mine, readelf):
        problems.append(f"{path}: {what}: sealexec {mine!r}, readelf {readelf!r}")

    if e["type"] not in expected_type:
        differ("type", e["type"], etype)
    if e["stack"]["gnu_stack_headers"] != len(stack_flags):
        differ("PT_GNU_STACK headers", e["stack"]["gnu_stack_headers"], len(stack_flags))
    last = stack_flags[-1] if stack_flags else None
    mine = e["stack"]["gnu_stack_flags"]
    if (mine & 7 if mine is not None else None) != last:
        differ("PT_GNU_STACK flags", mine, last)
    if e["textrel"] != textrel:
        differ("TEXTREL", e["textrel"], textrel)
    if e["bind_now"] != bind_now:
        differ("BIND_NOW", e["bind_now"], bind_now)
    if e["relro"] != relro:
        differ("RELRO", e["relro"], relro)
    totals["stacks"] += bool(stack_flags)
    totals["textrel"] += textrel
    totals["bind_now"] += bind_now
    totals["relro"] += relro != "none"
    totals["full"] += relro == "full"

print(f"{compared} files compared with readelf ({totals}); {len(skipped)} skipped as unreadable")
if problems:
    print(f"FAIL: {len(problems)} disagreements; the first few:", file=sys.stderr)
    for p in problems[:10]:
        print("  " + p, file=sys.stderr)
    sys.exit(1)
if compared < 50 or totals["stacks"] < 50 or totals["full"] < 10 or totals["relro"] == totals["full"]:
    sys.exit("FAIL: too few files to compare meaningfully")
if len(skipped) > max(5, compared // 100):
    sys.exit(f"FAIL: {len(skipped)} files skipped, e.g. {skipped[:5]}")
PY
