# Tests of the man pages and shell completions.
