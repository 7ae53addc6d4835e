#!/bin/sh
# Replays every fuzz corpus (tests/fuzz/corpus/<target>/) through the
# replay build of its target: every input must run without a crash or a
# sanitizer report. TAP output.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
targets="der cert apdu-response p11-calls"
n=0
fail=0
echo "1..8"
for t in $targets; do
	prog="$top_builddir/tests/fuzz/replay-$t"
	dir="$top_srcdir/tests/fuzz/corpus/$t"
	files=$(find "$dir" -type f 2>/dev/null | wc -l)
	n=$((n + 1))
	if [ "$files" -gt 0 ]; then
		echo "ok $n - corpus $t has $files inputs"
	else
		echo "not ok $n - corpus $t is missing or empty ($dir)"
		fail=1
	fi
	n=$((n + 1))
	out=$("$prog" "$dir" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -qx "replayed $files inputs"; then
		echo "ok $n - replay-$t over $files inputs"
	else
		echo "not ok $n - replay-$t (exit $rc)"
		echo "$out" | tail -n 30 | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
