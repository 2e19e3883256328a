#!/bin/sh
# A sealed script's $0 leads to its sealed descriptor, N, in whichever
# process opens it, so N sits high, where programs rarely put anything: a
# script that takes a low descriptor for itself (exec 5<jobs) and re-runs
# "$0" runs itself, not its jobs file; and a sealed script run by a sealed
# script gets its own high descriptor below the outer one's (it used to
# fall back to the lowest free one, and the jobs file ran as the script).
. "$TEST_LIB"
export XDG_RUNTIME_DIR="$WORK/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"

printf 'echo "OTHER BYTES RAN"\n' >"$WORK/jobs.txt"
cat >"$WORK/worker" <<'SCRIPT'
#!/bin/sh
case ${1:-} in --child) echo "child reads: $(cat <&5)"; exit 0 ;; esac
exec 5<"$JOBS"
sh "$0" --child
SCRIPT
printf '#!/bin/sh\n"$SEALEXEC" run "$WORKER"\n' >"$WORK/outer"
chmod +x "$WORK/worker" "$WORK/outer"
export JOBS="$WORK/jobs.txt" WORKER="$WORK/worker" SEALEXEC

expect_code 0 "$SEALEXEC" run "$WORK/worker"
expect_eq "$(cat "$WORK/out")" 'child reads: echo "OTHER BYTES RAN"' "the worker run alone"

expect_code 0 sh -c 'ulimit -Sn 1024 && exec "$SEALEXEC" run "$1"' sh "$WORK/outer"
expect_eq "$(cat "$WORK/out")" 'child reads: echo "OTHER BYTES RAN"' "the worker run by a sealed script"
