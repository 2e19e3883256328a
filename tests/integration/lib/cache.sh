# Helpers for the cache-*.sh scenarios; source after "$TEST_LIB".
#   sx ARGS...          sealexec cache --dir "$C" ARGS... ($C: the scenario's cache)
#   key_hex [FP] KEY    the action key sealexec derives, computed independently
#   entry_of [FP] KEY   "$C/ac/xx/<key>"
#   sha_of FILE         SHA-256 of a file's content
#   blob_of FILE        "$C/cas/xx/<sha256 of FILE>"
#   json_load FILE      parses a JSON object (stats --json) for json_get
#   json_get FIELD      one field of the object json_load parsed
#   count_files DIR     regular files and symlinks under DIR (0 when absent)
#   flip_byte FILE OFF  overwrites the byte at OFF with a different one

require_command sha256sum
require_command python3

sx() {
  "$SEALEXEC" cache --dir "$C" "$@"
}

# One length-prefixed field of the key ("<len>:<text>").
key_field() {
  printf '%s:%s' "$(printf %s "$1" | wc -c | tr -d ' ')" "$1"
}

# The key is SHA-256 over "sealexec-action-key-v1", the fingerprint's
# canonical form ("opaque;<len>:<text>") and KEY, each length-prefixed.
key_hex() {
  if [ $# -eq 1 ]; then set -- "" "$1"; fi
  {
    key_field sealexec-action-key-v1
    key_field "opaque;$(key_field "$1")"
    key_field "$2"
  } | sha256sum | cut -c1-64
}

entry_of() {
  k=$(key_hex "$@")
  printf '%s/ac/%s/%s\n' "$C" "$(printf %s "$k" | cut -c1-2)" "$k"
}

sha_of() {
  sha256sum <"$1" | cut -c1-64
}

blob_of() {
  s=$(sha_of "$1")
  printf '%s/cas/%s/%s\n' "$C" "$(printf %s "$s" | cut -c1-2)" "$s"
}

json_load() {
  python3 -c 'import json, sys
for k, v in json.load(open(sys.argv[1])).items():
    print("%s\t%s" % (k, json.dumps(v) if isinstance(v, (bool, list, dict)) else v))' "$1" >"$WORK/json.flat" \
    || fail "not a JSON object: $(cat "$1")"
}

json_get() {
  grep -q "^$1	" "$WORK/json.flat" || fail "no field $1 in the JSON: $(cat "$WORK/json.flat")"
  sed -n "s/^$1	//p" "$WORK/json.flat"
}

# Counts the regular files and links under a directory (0 when absent).
count_files() {
  if [ -d "$1" ]; then find "$1" \( -type f -o -type l \) | wc -l | tr -d ' '; else echo 0; fi
}

flip_byte() {
  chmod u+w "$1"
  old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  [ -n "$old" ] || fail "$1 has no byte at offset $2"
  # shellcheck disable=SC2059 # the format is the octal escape
  printf "\\$(printf %03o $((old ^ 90)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null \
    || fail "cannot flip a byte of $1"
  [ "$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')" -eq $((old ^ 90)) ] || fail "the byte of $1 at $2 did not flip"
}
