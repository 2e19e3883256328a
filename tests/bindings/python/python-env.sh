# Sourced by the Python binding tests after common.sh: checks for Debian's
# python3 and that the library can be loaded into it.

: "${SEALEXEC_LIBRARY:?}"

[ -z "${SANITIZE:-}" ] || skip "sanitizer build ($SANITIZE): an ASan-instrumented libsealexec cannot be loaded into python3 without the ASan runtime preloaded"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 (Debian's python3; make deps installs it)"
[ -f "$SEALEXEC_LIBRARY" ] || fail "no shared library at $SEALEXEC_LIBRARY"

# Debian's python3 only, whatever else is on PATH (pyenv...), and no
# user site-packages or startup file of the machine's.
PATH=/usr/bin:/bin
export PATH PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONSTARTUP PYTHONHOME LD_LIBRARY_PATH
export WORK
