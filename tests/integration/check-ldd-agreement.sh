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

python3 "$SOURCE_DIR/tests/integration/lib/ldd_compare.py" "$WORK/programs" "$WORK/sealexec.json" "$WORK/ldd.txt" ||
  fail "sealexec's closures differ from ldd's"
