# Helpers for the check-sarif* scenarios; source after common.sh.
#
# sarif_structure FILE: the checks of sarif_check.py (always available).
# sarif_validate FILE...: the SARIF project's own validator (`sarif validate`
#   from npm's @microsoft/sarif-multitool, installed once under $BUILD_DIR by
#   tests/tools/sarif-validator.sh). It exits 0 even for an invalid log: what
#   it found is in the SARIF log it writes (-o), as results of level "error"
#   (JSON schema violations, JSON1xxx; broken SARIF rules, SARIF1xxx). So a log
#   is valid when that output exists and holds no error result. Warnings (its
#   best-practice advice, SARIF2xxx) are shown, not failed on.
#   When the validator cannot be installed, it skips (exit 77) with the
#   reason: call it after every other check of the scenario.

SARIF_CHECK=$SOURCE_DIR/tests/integration/lib/sarif_check.py

sarif_structure() {
  python3 "$SARIF_CHECK" "$1" || fail "$1 is not the SARIF log expected"
}

# Sets $SARIF_VALIDATOR, or skips.
sarif_require_validator() {
  : "${BUILD_DIR:?BUILD_DIR must name the build directory (where the validator is cached)}"
  if ! SARIF_VALIDATOR=$(sh "$SOURCE_DIR/tests/tools/sarif-validator.sh" "$BUILD_DIR" 2>"$WORK/validator-install.err"); then
    cat "$WORK/validator-install.err" >&2
    skip "the SARIF validator (@microsoft/sarif-multitool) cannot be installed: $(head -n 1 "$WORK/validator-install.err"); the structural checks passed, the validator's were NOT run"
  fi
}

# sarif_validator_verdict FILE: runs the validator on FILE and prints
# "ERRORS SAID": the errors it found, and how many things it said at all
# (results of any level). Its console output is in $WORK/validate.log.
sarif_validator_verdict() {
  rm -f "$WORK/validate.out.sarif"
  "$SARIF_VALIDATOR" validate "$1" -o "$WORK/validate.out.sarif" --log ForceOverwrite \
    >"$WORK/validate.log" 2>&1 || { cat "$WORK/validate.log" >&2; fail "sarif validate exited non-zero on $1"; }
  [ -s "$WORK/validate.out.sarif" ] || { cat "$WORK/validate.log" >&2; fail "sarif validate wrote no log for $1"; }
  python3 - "$WORK/validate.out.sarif" <<'PY' || fail "cannot read the validator's log"
import json, sys
run = json.load(open(sys.argv[1], encoding="utf-8"))["runs"][0]
invocation = run["invocations"][0]
problems = [n for n in invocation.get("toolExecutionNotifications", []) if n.get("level") == "error"]
results = run.get("results", [])
errors = [r for r in results if r.get("level", "warning") == "error"]
for r in errors:
    print("validator:", r["ruleId"], r["message"].get("arguments"), file=sys.stderr)
for n in problems:
    print("validator failed:", n["message"].get("text"), file=sys.stderr)
failed = len(errors) + len(problems) + (0 if invocation.get("executionSuccessful") else 1)
print(failed, len(results))
PY
}

# sarif_validate LOG...: every LOG (each with at least one result) passes.
# A log passes when the validator found no error and said something: it says
# nothing at all, not even its warnings, when it cannot read a log into its
# object model (a result whose level is "fatal" passes silently), and every
# log of ours with a result draws its SARIF2017 warning (no region: findings
# are about whole files).
sarif_validate() {
  sarif_require_validator
  # First prove both ways of failing still work here: schema errors (a
  # string ruleIndex, no message) are errors; a bad enum value is silence.
  python3 - "$1" "$WORK/broken.sarif" "$WORK/silent.sarif" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["runs"][0]["results"][0]["ruleIndex"] = "0"
del doc["runs"][0]["results"][0]["message"]
json.dump(doc, open(sys.argv[2], "w"))
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["runs"][0]["results"][0]["level"] = "fatal"
json.dump(doc, open(sys.argv[3], "w"))
PY
  set -- "$@" x
  verdict=$(sarif_validator_verdict "$WORK/broken.sarif")
  [ "${verdict%% *}" -ge 2 ] || { cat "$WORK/validate.log" >&2; fail "the validator found only '$verdict' (errors, said) in a broken log"; }
  verdict=$(sarif_validator_verdict "$WORK/silent.sarif")
  [ "$verdict" = "0 0" ] || { cat "$WORK/validate.log" >&2; fail "the validator no longer goes silent on a bad level ('$verdict'): revisit sarif_validate"; }
  while [ "$1" != x ]; do
    verdict=$(sarif_validator_verdict "$1")
    sed -n 's/^.*: \(warning [A-Z0-9]*\): .*/\1/p' "$WORK/validate.log" | sort | uniq -c >&2
    [ "${verdict%% *}" -eq 0 ] || { cat "$WORK/validate.log" >&2; fail "sarif validate: errors in $1"; }
    [ "${verdict#* }" -gt 0 ] || { cat "$WORK/validate.log" >&2; fail "sarif validate said nothing about $1: it could not read it"; }
    echo "sarif validate: $1: no error" >&2
    shift
  done
}
