#!/bin/sh
# A running script cannot be changed under it: /bin/sh reads its script
# incrementally, but run by sealexec it reads the sealed copy (/dev/fd/N), so
# overwriting the file on disk while the script waits does not change what it
# runs. A control run of the same script straight from disk shows that the
# overwrite would otherwise take effect.
. "$TEST_LIB"

# make_script FILE MARKER: waits for $1/go, then, after 64 KiB of comments
# (far more than the shell reads ahead), prints the marker.
make_script() {
  {
    printf '#!/bin/sh\n'
    printf ': >"$1/ready"\n'
    printf 'i=0\nwhile [ ! -e "$1/go" ]; do\n'
    printf '  i=$((i + 1)); [ "$i" -lt 200 ] || { echo "no go"; exit 9; }\n'
    printf '  sleep 0.05\ndone\n'
    i=0
    while [ $i -lt 1024 ]; do
      printf '# padding padding padding padding padding padding padding pad\n'
      i=$((i + 1))
    done
    printf 'echo "marker: %s"\n' "$2"
  } >"$1"
  chmod +x "$1"
}

make_script "$WORK/original" original
make_script "$WORK/tampered" TAMPERED
[ "$(wc -c <"$WORK/original")" -eq "$(wc -c <"$WORK/tampered")" ] || fail "the two versions differ in size"

# swap_while_running SCRIPT COMMAND...: runs COMMAND, overwrites SCRIPT in
# place (same inode) with the tampered version while it waits, then lets it go
# on. Output in $WORK/out, status in $code.
swap_while_running() {
  script=$1
  shift
  rm -f "$WORK/ready" "$WORK/go"
  "$@" >"$WORK/out" 2>"$WORK/err" &
  pid=$!
  tries=0
  while [ ! -e "$WORK/ready" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then
      kill "$pid" 2>/dev/null || true
      fail "the script never started: $(cat "$WORK/err")"
    fi
    sleep 0.05
  done
  inode=$(ls -i "$script" | cut -d' ' -f1)
  cat "$WORK/tampered" >"$script"
  expect_eq "$(ls -i "$script" | cut -d' ' -f1)" "$inode" "inode of the overwritten script"
  : >"$WORK/go"
  wait "$pid" && code=0 || code=$?
}

# Control: straight from disk the shell picks up the new text.
cp "$WORK/original" "$WORK/control"
swap_while_running "$WORK/control" timeout 10 /bin/sh "$WORK/control" "$WORK"
expect_eq "$code" 0 "status of the control run"
expect_eq "$(cat "$WORK/out")" "marker: TAMPERED" \
  "control: /bin/sh reading the script from disk did not see the overwrite, so this test proves nothing"

cp "$WORK/original" "$WORK/sealed"
swap_while_running "$WORK/sealed" timeout 10 "$SEALEXEC" run "$WORK/sealed" "$WORK"
expect_eq "$code" 0 "status of the sealed run: $(cat "$WORK/err")"
expect_eq "$(cat "$WORK/out")" "marker: original" "output of the script run by sealexec"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
cmp "$WORK/sealed" "$WORK/tampered" || fail "the file on disk was not overwritten"
