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

# ---- p11-calls: call sequences (the argument order is in fuzz-p11-calls.c;
# header: fault, its APDU, C_Initialize mode + two cards, card variant).
# Pieces: slots = list every slot; find KEYCLASS = objects of that class into
# the pool; sign20 = C_Sign of 20 bytes 0x11 into 256 bytes.
mkdir -p "$c/p11-calls"
d=1111111111111111111111111111111111111111
slots=0201040101
findpriv="0f000401000003000000000000000101 01"
findpub="0f000401000002000000000000000101 01"
findall="0f0007000101 01"
sign20="1400030801${d}0101"
verify20="18000003 01${d}01"
p() { name=$1; shift; bin "$@" > "$c/p11-calls/seed-$name"; }
# Authentication key: log in, sign SHA256-RSA, verify the result, log out.
auth="$slots 090001 0c0010 $findpriv 1300000300 $sign20 $findpub 1700000301 $verify20 0d00"
p auth-sign 00000100 $auth 0101
# The signing key: its password, then the context-specific login C_Sign wants.
p sign-key 00000100 $slots 090101 0c0011 $findpriv 1300000300 0c0021 $sign20 0d00
# SHA-256 digest without a login.
p digest 00000000 $slots 090000 1a000008 1b00000308 01${d}0101
# Every object, their values (1024 bytes) and labels (a length query).
p attributes 00000100 $slots 090000 $findall 10000002 0204c400 820300 10000102 0204c400 820300
# The application's mutex callbacks, two cards, the first pulled and put back.
p two-cards 00000082 $slots 090201 0c0010 1f00 0201040101 1f01 0201040101 090001 0c0010
# Faults on the card while signing: garbled signatures, a failing, a
# garbled and a missing answer, the card pulled mid-way, short responses.
p garbled-signatures 06000100 $auth
for n in 5 9 13 15; do
	x=$(printf %02x "$n")
	p fail-$n "01${x}0100" $auth
	p garble-$n "02${x}0100" $auth
	p drop-$n "03${x}0100" $auth
	p remove-$n "04${x}0100" $auth
	p short-$n "05${x}0100" $auth
done
# Options strings, a bad C_Initialize, and finalize + initialize mid-way.
p tokens-auth 00000500 $slots 090001 0c0010
p init-bad 00000300 $slots 0001 $slots 090001
p reinit 00000100 $slots 090001 0101 0000 $slots 090001 0c0010
