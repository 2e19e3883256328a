#!/bin/sh
# The install rules: `cmake --install` of the man and completions components
# puts the pages (gzip -9n) in share/man/man1 and the completions where
# bash-completion, zsh and fish look (zsh: vendor-completions under /usr, as
# a Debian package installs it, site-functions elsewhere, /usr/local say),
# and man finds the installed pages by name.
. "$TEST_LIB"
. "$(dirname "$0")/man-lib.sh"
: "${CMAKE:?CMAKE must name cmake}"

prefix="$WORK/prefix"
for component in man completions; do
  "$CMAKE" --install "$BUILD_DIR" --component "$component" --prefix "$prefix" >"$WORK/install.out" 2>&1 ||
    { cat "$WORK/install.out" >&2; fail "cmake --install --component $component failed"; }
done

{
  echo share/man/man1/sealexec.1.gz
  for command in $(help_commands); do echo "share/man/man1/sealexec-$command.1.gz"; done
  echo share/bash-completion/completions/sealexec
  echo share/zsh/site-functions/_sealexec
  echo share/fish/vendor_completions.d/sealexec.fish
} >"$WORK/expected"
(cd "$prefix" && find . -type f | sed 's|^\./||') >"$WORK/actual"
same_lines "installed files" "$WORK/expected" "$WORK/actual"

# Plain files, readable by all, not executable.
for file in $(cat "$WORK/actual"); do
  mode=$(stat -c %a "$prefix/$file")
  [ "$mode" = 644 ] || fail "$file is installed with mode $mode, not 644"
done
cmp -s "$prefix/share/bash-completion/completions/sealexec" "$DIST_DIR/completions/sealexec.bash" ||
  fail "the installed bash completion is not the generated one"

# Under /usr (a package), zsh's completion goes where Debian's zsh looks for
# packages' own.
DESTDIR="$WORK/destdir" "$CMAKE" --install "$BUILD_DIR" --component completions --prefix /usr \
  >"$WORK/install.out" 2>&1 || { cat "$WORK/install.out" >&2; fail "cmake --install --prefix /usr failed"; }
for file in share/bash-completion/completions/sealexec share/zsh/vendor-completions/_sealexec \
  share/fish/vendor_completions.d/sealexec.fish; do
  [ -f "$WORK/destdir/usr/$file" ] || fail "no /usr/$file in a --prefix /usr install"
done

# man finds them there by name.
if command -v man >/dev/null 2>&1; then
  for page in sealexec sealexec-run sealexec-cache; do
    found=$(MANPATH="$prefix/share/man" man -w "$page" 2>&1) || fail "man -w $page: $found"
    expect_eq "$found" "$prefix/share/man/man1/$page.1.gz" "where man finds $page"
  done
fi
echo "ok: $(wc -l <"$WORK/actual") files installed where man and the shells look"
