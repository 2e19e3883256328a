#!/bin/sh
# Without /proc, a script's interpreter gets a duplicate of the sealed
# descriptor, which shares its file offset. That offset is rewound before
# exec: Perl, which reads /dev/fd/N through the inherited descriptor itself,
# must see the whole script (it used to see none of it and exit 0).
. "$TEST_LIB"
require_command perl
require_root "a mount namespace without /proc"
require_command unshare
unshare --mount true 2>/dev/null || skip "cannot create a mount namespace"
[ -z "${SANITIZE:-}" ] || export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

printf '#!/usr/bin/perl\nprint "perl ran: @ARGV\\n";\nexit 3;\n' >"$WORK/script.pl"
chmod +x "$WORK/script.pl"
expect_code 3 unshare --mount sh -c 'umount -l /proc && exec "$1" run "$2" a b' sh \
  "$SEALEXEC" "$WORK/script.pl"
expect_eq "$(cat "$WORK/out")" "perl ran: a b" "the Perl script's output without /proc"
