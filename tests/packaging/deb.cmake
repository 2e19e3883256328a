# Tests of make deb.
