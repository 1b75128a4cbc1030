package TnsuitePortGuard;

# Loaded into every test script through PERL5OPT by tools/tnsuite/run.
# Keeps Test::Nginx's random ports ($TEST_NGINX_RAND_PORT_N) out of the
# ranges listed in TNSUITE_AVOID_PORTS (default 19000-19200), which
# other users of this machine own. It does nothing inside prove itself or
# any other non-test perl process (except turning on autoflush).

use strict;
use warnings;

# prove's STDOUT goes to a file; flush every line so that a run cut short by
# the suite timeout still leaves the TAP results it got so far.
$| = 1;

if ($0 =~ /\.t\z/) {
    my @avoid;
    my $spec = $ENV{TNSUITE_AVOID_PORTS} // '19000-19200';
    for my $range (split /[\s,]+/, $spec) {
        next unless length $range;
        if ($range =~ /^(\d+)-(\d+)$/) {
            push @avoid, $1 .. $2;
        } elsif ($range =~ /^\d+$/) {
            push @avoid, $range;
        }
    }

    if (@avoid) {
        require Test::Nginx::Util;
        no strict 'refs';
        no warnings 'redefine';
        my $orig = \&Test::Nginx::Util::gen_rand_port;
        *Test::Nginx::Util::gen_rand_port = sub (;$$) {
            my ($tries, $used) = @_;
            my %used = %{ $used // {} };
            $used{$_} = 1 for @avoid;
            my $port = $orig->($tries // 1000, \%used);
            # the caller keeps its own hash up to date with the returned port
            return $port;
        };
    }
}

1;
