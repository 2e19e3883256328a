#!/bin/sh
# check agrees with scanelf (pax-utils) on what both report, across
# /usr/lib/x86_64-linux-gnu and /usr/bin: the same set of ELF files under -R
# (neither follows links), the exec bit of an existing PT_GNU_STACK (scanelf's
# STK column, which shows the last header, as ld.so and the kernel use),
# PT_GNU_RELRO present, TEXTREL and BIND_NOW. Where scanelf is known to look
# at less than sealexec (DF_TEXTREL, DF_1_NOW: check-scanelf-differences.sh),
# a disagreement is accepted only when readelf -d shows that flag. Relocatable
# objects are left out: scanelf judges their .note.GNU-stack section, sealexec
# never judges a .o for the stack.
. "$TEST_LIB"
require_command scanelf
require_command readelf
require_command python3
for tree in /usr/lib/x86_64-linux-gnu /usr/bin; do
  [ -d "$tree" ] || skip "no $tree"
done

for tree in /usr/lib/x86_64-linux-gnu /usr/bin; do
  out=$WORK/$(basename "$tree")
  code=0
  "$SEALEXEC" check -R --json "$tree" >"$out.json" 2>"$out.err" || code=$?
  # 2 only when some file could not be read (those are skipped below).
  case $code in
    0) ;;
    2) grep -q '"error"' "$out.json" || fail "check -R $tree exited 2 with no error entry: $(cat "$out.err")" ;;
    *) cat "$out.err" >&2; fail "check -R --json $tree exited $code" ;;
  esac
  # -B: no banner; TYPE last so that the fields split from the right.
  scanelf -B -R -F '%F;%e;%t;%b;%o' "$tree" >"$out.scanelf" 2>"$out.scanelf-err" \
    || fail "scanelf -R $tree failed: $(cat "$out.scanelf-err")"
done

python3 - "$WORK" <<'PY'
import json, os, re, subprocess, sys
work = sys.argv[1]
ours, errors, theirs, scanelf_warned = {}, set(), {}, ""
for tree in ("x86_64-linux-gnu", "bin"):
    doc = json.load(open(f"{work}/{tree}.json"))
    for e in doc["files"]:
        if "error" in e:
            errors.add(e["path"])
        else:
            ours[e["path"]] = e
    for line in open(f"{work}/{tree}.scanelf", errors="replace"):
        path, stk, textrel, bind, etype = line.rstrip("\n").rsplit(";", 4)
        theirs[path] = (stk.split(), textrel.strip(), bind.strip(), etype.strip())
    scanelf_warned += open(f"{work}/{tree}.scanelf-err", errors="replace").read()

def readelf_dynamic(path):
    return subprocess.run(["readelf", "-dW", path], capture_output=True, text=True).stdout

def has_flag(path, tag, flag):
    for line in readelf_dynamic(path).splitlines():
        m = re.search(r"\((\w+)\)\s+(.*)", line)
        if m and m.group(1) == tag and flag in m.group(2).replace("Flags:", "").split():
            return True
    return False

problems = []
# The same ELF files, apart from those one tool could not read.
unreadable = errors | {p for p in theirs if p in scanelf_warned}
only_ours = sorted(set(ours) - set(theirs) - unreadable)
only_scanelf = sorted(set(theirs) - set(ours) - unreadable)
problems += [f"{p}: listed by sealexec -R, not by scanelf -R" for p in only_ours]
problems += [f"{p}: listed by scanelf -R, not by sealexec -R" for p in only_scanelf]

compared = stacks = textrels = binds = relros = accepted = 0
for path in sorted(set(ours) & set(theirs) - unreadable):
    e, (stk, textrel, bind, etype) = ours[path], theirs[path]
    if e["type"] == "obj":
        if etype != "ET_REL":
            problems.append(f"{path}: sealexec says obj, scanelf {etype}")
        continue
    compared += 1
    stack_field = stk[0]
    headers, flags = e["stack"]["gnu_stack_headers"], e["stack"]["gnu_stack_flags"]
    if headers == 0:
        if stack_field != "---":
            problems.append(f"{path}: no PT_GNU_STACK for sealexec, scanelf STK {stack_field}")
    else:
        stacks += 1
        if stack_field not in ("RW-", "RWX", "R--", "R-X", "--X", "-W-", "-WX", "---"):
            problems.append(f"{path}: unexpected scanelf STK {stack_field}")
        elif bool(flags & 1) != (stack_field[2] == "X"):
            problems.append(f"{path}: stack flags {flags} vs scanelf STK {stack_field}")
    relro_field = stk[1]
    relros += relro_field != "---"
    if (relro_field != "---") != (e["relro"] != "none"):
        problems.append(f"{path}: relro {e['relro']} vs scanelf REL {relro_field}")
    # TEXTREL: scanelf reads DT_TEXTREL only.
    textrels += e["textrel"]
    if e["textrel"] != (textrel == "TEXTREL"):
        if e["textrel"] and has_flag(path, "FLAGS", "TEXTREL"):
            accepted += 1
        else:
            problems.append(f"{path}: textrel {e['textrel']} vs scanelf '{textrel}'")
    # BIND: NOW, LAZY, or STATIC (no PT_DYNAMIC); scanelf ignores DF_1_NOW.
    if bind == "STATIC":
        if e["bind_now"]:
            problems.append(f"{path}: bind_now true, scanelf says STATIC")
        continue
    binds += e["bind_now"]
    if e["bind_now"] != (bind == "NOW"):
        if e["bind_now"] and bind == "LAZY" and has_flag(path, "FLAGS_1", "NOW"):
            accepted += 1
        else:
            problems.append(f"{path}: bind_now {e['bind_now']} vs scanelf {bind}")
    # Full RELRO is RELRO plus any of the BIND_NOW forms.
    if relro_field != "---" and (e["relro"] == "full") != e["bind_now"]:
        problems.append(f"{path}: relro {e['relro']} with bind_now {e['bind_now']}")

print(f"{compared} files compared ({stacks} with PT_GNU_STACK, {relros} with RELRO, "
      f"{binds} BIND_NOW, {textrels} TEXTREL); {len(unreadable)} unreadable skipped; "
      f"{accepted} known scanelf blind spots")
if problems:
    print(f"FAIL: {len(problems)} disagreements; the first few:", file=sys.stderr)
    for p in problems[:10]:
        print("  " + p, file=sys.stderr)
    sys.exit(1)
if compared < 50 or stacks < 50 or relros < 10 or binds < 10:
    sys.exit("FAIL: too few files to compare meaningfully")
PY
