#!/usr/bin/perl
use FindBin;
my $d = dirname($0);
=head1 X
=cut
__END__
