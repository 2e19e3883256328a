#!/bin/sh
# `make install` installs the Python package where Debian's python3 finds it,
# and the package finds libsealexec relative to itself: installed into a
# prefix, the tree moved elsewhere, it is imported with no SEALEXEC_LIBRARY,
# PYTHONPATH pointing at the moved site directory only, and runs a program.
. "$TEST_LIB"
. "$SOURCE_DIR/tests/bindings/python/python-env.sh"
: "${BUILD_DIR:?}"

if ! cmake --install "$BUILD_DIR" --prefix "$WORK/p" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  skip "cmake --install failed (another part of the install is not ready); the relative lookup is untested"
fi
init=$(find "$WORK/p" -path '*/sealexec/__init__.py' | head -1)
[ -n "$init" ] || fail "cmake --install put no sealexec/__init__.py under the prefix"
[ -f "$(dirname "$init")/_install.py" ] || fail "the installed package has no _install.py"
site=$(dirname "$(dirname "$init")")
site_rel=${site#"$WORK/p/"}
minor=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case $site_rel in
  lib/python3/dist-packages | "lib/python$minor/dist-packages") ;;
  *) fail "the package went to $site_rel, where Debian's python3 does not look" ;;
esac
[ -e "$WORK/p/lib/libsealexec.so.1" ] || ls "$WORK"/p/lib/*/libsealexec.so.1 >/dev/null 2>&1 ||
  fail "no libsealexec.so.1 installed under $WORK/p/lib"

mv "$WORK/p" "$WORK/moved"
site=$WORK/moved/$site_rel
# The moved tree reached through a symlink to the package: the lookup
# resolves it, and still finds the library.
mkdir "$WORK/elsewhere"
ln -s "$site/sealexec" "$WORK/elsewhere/sealexec"

for path in "$site" "$WORK/elsewhere"; do
  expect_code 0 env -u SEALEXEC_LIBRARY PYTHONPATH="$path" /usr/bin/python3 -c '
import sys, sealexec
print("library", sealexec.library_path)
with sealexec.Image.from_bytes(b"#!/bin/sh\necho \"installed: $*\"\n") as image:
    child = image.spawn(["x", "ok"], stdout=sealexec.PIPE)
    out, _ = child.communicate()
    child.close()
sys.stdout.write(out.decode())
sys.exit(child.returncode)'
  expect_file_contains "$WORK/out" "installed: ok"
  library=$(sed -n 's/^library //p' "$WORK/out")
  case $library in
    "$WORK/moved/"*) ;;
    *) fail "from $path, the package loaded $library, not the moved tree's library" ;;
  esac
  [ -f "$library" ] || fail "$library does not exist"
done
echo "PASS: python install (moved tree, library found at $library)"
