#!/bin/sh
# Each test's number of results, against the committed baseline
# tests/counts.txt: a test that silently produces fewer (or more) results
# than it did fails, whatever its own output says.
#
#   sh tools/check-counts.sh BUILDDIR BUILD [TEST...]
#       after make check in BUILDDIR: every test's result count (the
#       :test-result: lines of its .trs) against column BUILD of the
#       baseline; with TESTs, only those (each must have run). One line per
#       difference, "count: ..."; exit status 1 if any.
#   sh tools/check-counts.sh --update BUILDDIR BUILD
#       rewrites column BUILD from BUILDDIR's results (adds the column or
#       tests that are new; "-" for a test that did not run there). Run it
#       after adding or changing tests, look at `git diff tests/counts.txt`,
#       commit it with the tests.
#
# The baseline: lines "TEST COUNT COUNT...", the first one naming the
# columns ("test strict sanitizers ..."); "-": the test is not run in that
# build; # starts a comment.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
baseline=${JP_COUNTS:-$top/tests/counts.txt}
update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--update] BUILDDIR BUILD [TEST...]" >&2; exit 2; }
dir=$1
build=$2
shift 2
[ -d "$dir/tests" ] || { echo "count: $dir/tests missing (no make check there)" >&2; exit 1; }

# "TEST COUNT" for every test that ran in BUILDDIR (a distcheck tree left
# behind inside it is not this build).
actual=$(mktemp) || exit 1
trap 'rm -f "$actual" "$actual.new"' EXIT
(cd "$dir" && find tests -name '*.trs' -not -path '*/jpki-pkcs11-*' | sort | while read -r f; do
	printf '%s %s %s\n' "${f%.trs}" "$(grep -c '^:test-result:' "$f")" \
		"$(grep -cE '^:test-result: (FAIL|ERROR|XPASS)' "$f")"
done) >"$actual"

if [ "$update" = 1 ]; then
	awk -v build="$build" -v actual="$actual" '
		BEGIN { while ((getline l < actual) > 0) { split(l, a, " "); got[a[1]] = a[2]; order[++na] = a[1] } }
		/^#/ || NF == 0 { print; next }
		!hdr {
			hdr = 1; ncol = NF
			for (i = 2; i <= NF; i++) if ($i == build) col = i
			if (!col) { col = ++ncol; $col = build }
			for (i = 1; i <= ncol; i++) head[i] = $i
			next
		}
		{
			for (i = 1; i <= ncol; i++) row[$1, i] = (i <= NF ? $i : "-")
			row[$1, col] = ($1 in got) ? got[$1] : "-"
			names[++nn] = $1; seen[$1] = 1
		}
		END {
			for (k = 1; k <= na; k++) if (!(order[k] in seen)) {
				t = order[k]; names[++nn] = t
				for (i = 2; i <= ncol; i++) row[t, i] = "-"
				row[t, col] = got[t]
			}
			line = sprintf("%-40s", head[1])
			for (i = 2; i <= ncol; i++) line = line sprintf(" %-10s", head[i])
			sub(/ +$/, "", line); print line
			for (k = 1; k <= nn; k++) {
				t = names[k]; line = sprintf("%-40s", t)
				for (i = 2; i <= ncol; i++) line = line sprintf(" %-10s", row[t, i])
				sub(/ +$/, "", line); print line
			}
		}
	' "$baseline" >"$actual.new" && mv "$actual.new" "$baseline"
	exit $?
fi

awk -v build="$build" -v actual="$actual" -v only="$*" '
	# A test that failed has one more result (the driver adds an ERROR for
	# its exit status): its count is reported, but it fails already.
	function say(t, msg) {
		if (failed[t]) print "count (a failed test): " msg
		else { print "count: " msg; bad++ }
	}
	BEGIN {
		while ((getline l < actual) > 0) { split(l, a, " "); got[a[1]] = a[2]; failed[a[1]] = a[3] > 0 }
		n = split(only, o, " "); for (i = 1; i <= n; i++) want_only[o[i]] = 1
	}
	/^#/ || NF == 0 { next }
	!hdr {
		hdr = 1
		for (i = 2; i <= NF; i++) if ($i == build) col = i
		if (!col) { print "count: no column \"" build "\" in tests/counts.txt (tools/check-counts.sh --update)"; bad++; exit }
		next
	}
	{
		known[$1] = 1
		if (n && !($1 in want_only)) next
		want = $col
		if (want == "-") {
			if ($1 in got) say($1, $1 " ran (" got[$1] " results) but is not expected in " build)
		} else if (!($1 in got)) {
			say($1, $1 " did not run (" want " results expected)")
		} else if (got[$1] != want) {
			say($1, $1 ": " got[$1] " results, " want " expected")
		}
	}
	END {
		if (col) for (t in got) if (!(t in known) && (!n || (t in want_only))) {
			say(t, t " (" got[t] " results) is not in tests/counts.txt (tools/check-counts.sh --update)")
		}
		if (n) for (t in want_only) if (!(t in known)) { print "count: " t " is not in tests/counts.txt"; bad++ }
		exit (bad > 0)
	}
' "$baseline"
