#!/bin/sh
# Real scripts as people write them behave through sealexec as they do
# directly, where that is possible:
# - Perl's Pod::Usage re-reads the script (through $0) to print --help;
# - a Perl script's die message names the script (path-shown, documented);
# - a shell script that re-runs itself through "$0" works (the name link
#   leads to the sealed copy, whose descriptor the interpreter inherits).
. "$TEST_LIB"
require_command perl
export XDG_RUNTIME_DIR="$WORK/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"

cat >"$WORK/tool" <<'SCRIPT'
#!/usr/bin/perl
use strict;
use warnings;
use Getopt::Long;
use Pod::Usage;
my $help = 0;
GetOptions('help|?' => \$help) or pod2usage(2);
pod2usage(-exitval => 0, -verbose => 1) if $help;
print "ran with @ARGV\n";
__END__

=head1 NAME

tool - a sample tool

=head1 SYNOPSIS

tool [--help] [ARGS...]

=head1 OPTIONS

=over 4

=item B<--help>

Print this help and exit.

=back

=cut
SCRIPT
chmod +x "$WORK/tool"
"$WORK/tool" --help >"$WORK/direct" 2>&1
expect_code 0 "$SEALEXEC" run "$WORK/tool" --help
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
expect_eq "$(cat "$WORK/out")" "$(cat "$WORK/direct")" "Pod::Usage's --help through sealexec"
expect_file_contains "$WORK/out" "Print this help and exit."
expect_code 0 "$SEALEXEC" run "$WORK/tool" a b
expect_eq "$(cat "$WORK/out")" "ran with a b" "the Perl script's own output"

# A script that runs itself again through "$0".
cat >"$WORK/again" <<'SCRIPT'
#!/bin/sh
if [ "${1:-}" = inner ]; then echo "inner run of ${0##*/}"; exit 0; fi
exec /bin/sh "$0" inner
SCRIPT
chmod +x "$WORK/again"
expect_code 0 "$SEALEXEC" run "$WORK/again"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
expect_eq "$(cat "$WORK/out")" "inner run of again" "a script re-run through \$0"
