#!/bin/sh
# Makes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).
# Run from the source tree with a configured build directory:
#   tests/fuzz/make-corpus.sh _build
# Its output is committed. Inputs found by fuzzing runs are merged in next to
# the seeds (named by content hash) and kept, e.g. after a run into /tmp/new:
#   fuzz-apdu-response -merge=1 -use_counters=0 tests/fuzz/corpus/apdu-response /tmp/new
# Regression inputs of fixed crashes are named regress-<what>.
set -eu
build=${1:?usage: $0 BUILDDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
c="$src/tests/fuzz/corpus"
mkdir -p "$c/der" "$c/cert" "$c/apdu-response"

# hex → bytes (perl-base is in every Debian system)
bin() { perl -e 'print pack("H*", join("", @ARGV))' "$@"; }

# ---- der: first byte picks the limit (0: 8192, 1: 65536, 2: 127, 3: 2^32-1)
bin 0030820510    > "$c/der/seed-cert-header"
bin 00308180      > "$c/der/seed-long-1"
bin 003003020101  > "$c/der/seed-short-form"
bin 0030          > "$c/der/seed-need-length"
bin 003082        > "$c/der/seed-need-octets"
bin 0030800000    > "$c/der/seed-indefinite"
bin 00308500000001 > "$c/der/seed-5-octets"
bin 0030840fffffff > "$c/der/seed-huge"
bin 03308480000000 > "$c/der/seed-huge-unlimited"
bin 01308301000000 > "$c/der/seed-64k"
bin 02307f        > "$c/der/seed-over-limit"
bin 001f8101      > "$c/der/seed-high-tag"
bin 00ff          > "$c/der/seed-reserved"
bin 00            > "$c/der/seed-empty-header"

# ---- cert: the emulator's fixtures, and broken variants of one
cards="$src/tests/emu/cards"
for f in ca/auth-ca ca/sign-ca card-1/auth card-1/sign card-2/auth; do
	cp "$cards/$f.der" "$c/cert/seed-$(echo "$f" | tr / -).der"
done
a="$cards/card-1/auth.der"
n=$(wc -c < "$a")
head -c $((n - 1)) "$a"   > "$c/cert/seed-truncated-1"
head -c $((n / 2)) "$a"   > "$c/cert/seed-truncated-half"
{ cat "$a"; bin 00; }     > "$c/cert/seed-trailing-byte"
{ cat "$a"; bin ffffffff; } > "$c/cert/seed-filler"
bin 3082ffff              > "$c/cert/seed-header-only"
: > "$c/cert/seed-empty"
# An EC certificate (refused: RSA only).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj /CN=ec -days 1 -outform DER -out "$c/cert/seed-ec.der" 2>/dev/null

# ---- apdu-response: recorded against the emulator, one seed per card
# behaviour (replay-record runs the fuzzer's own scenario).
make -s -C "$build" tests/fuzz/replay-record
rec="$build/tests/fuzz/replay-record"
r() { name=$1; shift; "$rec" "$c/apdu-response/seed-$name" "$@"; }
c1="$cards/card-1"
r normal "$c1"
r no-extended "$c1" no-extended
r filler "$c1" filler=64
r juki "$c1" juki
r not-jpki "$c1" not-jpki
r no-sign-notfound "$c1" no-sign=notfound
r no-sign-denied "$c1" no-sign=denied
r no-sign-empty "$c1" no-sign=empty
r blocked "$c1" blocked
r blocked-6984 "$c1" blocked-6984
r wrong-pins "$cards/card-2"
for n in 2 5 9; do
	r fail-$n "$c1" fail=$n
	r garble-$n "$c1" garble=$n
	r short-$n "$c1" short=$n
done
r drop-4 "$c1" drop=4
r remove-6 "$c1" remove=6
# Hand-made: nothing, one bare 9000, transport errors, a reset mid-open.
: > "$c/apdu-response/seed-empty"
bin 00029000 > "$c/apdu-response/seed-one-9000"
bin 8002 > "$c/apdu-response/seed-card-reset"
bin 00029000 8001 > "$c/apdu-response/seed-removed-after-select"
bin 0002 6110 0002 9000 > "$c/apdu-response/seed-61xx"
bin 0002 6c20 0002 9000 > "$c/apdu-response/seed-6cxx"
head -c 700 "$c/apdu-response/seed-normal" > "$c/apdu-response/seed-normal-cut"
echo "corpus: $(find "$c" -type f | wc -l) files"
