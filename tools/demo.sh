#!/bin/sh
# The README's first command: build the module, put an emulated My Number
# Card behind a private pcscd (the system's pcscd is never touched), then
# use the REAL module with OpenSC's pkcs11-tool as any application would:
# list the two tokens, list their objects, sign a document with each key,
# read each certificate from its token and verify both signatures with
# openssl. Exits non-zero on any failure; everything it started is stopped
# by PID on the way out.
#
#   sh tools/setup-debian.sh && sh tools/demo.sh
#
# Environment: JOBS (parallel make jobs), DEMO_BUILD (build directory,
# default _demo/ at the top of the source tree).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${DEMO_BUILD:-$top/_demo}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

step() { printf '\n==> %s\n' "$*"; }
okay() { printf 'OK   %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
# Shows a command (arguments with blanks quoted, the source tree's path
# left out), then runs it.
show() {
	_line='$'
	for _a in "$@"; do
		case $_a in
		*" "*) _line="$_line '$_a'" ;;
		*) _line="$_line $_a" ;;
		esac
	done
	printf '%s\n' "$_line" | sed "s|$top/||g"
	"$@"
}

for p in pkcs11-tool openssl make cc; do
	command -v "$p" >/dev/null 2>&1 || fail "'$p' not found: run sh tools/setup-debian.sh first"
done

# ---- build ----
step "Building the module in ${build#"$top"/}"
if [ ! -x "$top/configure" ]; then
	(cd "$top" && if command -v flock >/dev/null 2>&1; then
		flock /tmp/jp-autoreconf.lock autoreconf -fi
	else
		autoreconf -fi
	fi) >/dev/null 2>&1 || fail "autoreconf (see: cd $top && autoreconf -fi)"
fi
mkdir -p "$build" || fail "mkdir $build"
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$top/configure" -q) || fail "configure"
fi
# The module and the emulator program, then the harness's card probe (two
# runs: "all" recurses into a sub-make, which must not race a second goal).
{ make -C "$build" -j"$jobs" all && make -C "$build" -j"$jobs" tests/e2e/pcsc-probe; } \
	>"$build/demo-make.log" 2>&1 ||
	{ tail -20 "$build/demo-make.log"; fail "make (log: $build/demo-make.log)"; }
module=$build/src/p11/.libs/jpki-pkcs11.so
[ -f "$module" ] || fail "no module at $module"
okay "built $module"

# ---- the emulated card behind a private pcscd ----
top_srcdir=$top
top_builddir=$build
export top_srcdir top_builddir
. "$top/tests/e2e/pcscd-harness.sh"

reason=$(jp_harness_skip_reason)
if [ -n "$reason" ]; then
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
		echo "The private pcscd needs root here ($reason); asking sudo."
		exec sudo env JOBS="$jobs" DEMO_BUILD="$build" sh "$0"
	fi
	fail "cannot start a private pcscd: $reason"
fi

step "Starting a private pcscd with an emulated My Number Card (test card 1)"
jp_pcscd_start 2>"$build/demo-harness.log" ||
	{ cat "$build/demo-harness.log" >&2; fail "the private pcscd or the emulated card did not come up"; }
okay "pcscd (PID $JP_PCSCD_PID) and the card (PID $JP_EMU_PID) in reader '$JP_READER'"

pins=$top/tests/emu/cards/card-1/pins.txt
pin_auth=$(awk '$1 == "auth" { print $2 }' "$pins")
pin_sign=$(awk '$1 == "sign" { print $2 }' "$pins")
label_auth="My Number Card (Authentication)"
label_sign="My Number Card (Signature)"
w=$JP_HARNESS_DIR/demo
mkdir -p "$w" && cd "$w" || fail "scratch directory"
p11() { show pkcs11-tool --module "$module" "$@"; }

# ---- list ----
step "The card's two tokens (no PIN needed)"
p11 -L || fail "pkcs11-tool -L"
n=$(grep -c '^>' "$JP_EMU_LOG")
okay "both tokens listed; the card answered $n APDUs"

step "Objects of the authentication token (no PIN needed)"
p11 --token-label "$label_auth" -O || fail "pkcs11-tool -O (authentication)"
step "Objects of the signature token before login: only the CA certificate"
echo "(the holder's signing certificate carries name, address, birth date and sex:"
echo " it appears only after the signing password)"
p11 --token-label "$label_sign" -O || fail "pkcs11-tool -O (signature)"
step "Objects of the signature token after login with the signing password"
p11 --token-label "$label_sign" --login --pin "$pin_sign" -O >"$w/sign-objects" ||
	fail "pkcs11-tool -O --login (signature)"
cat "$w/sign-objects"

# ---- sign, read the certificate, verify ----
printf 'jpki-pkcs11 demo: a document signed on %s.\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" >document.txt

# demo_key NAME FILE LABEL PIN
demo_key() {
	name=$1 f=$2 label=$3 pin=$4
	step "Signing document.txt with the $name key (SHA256-RSA-PKCS)"
	out=$(pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" -O --type privkey 2>&1) ||
		fail "listing the $name private key"
	id=$(printf '%s\n' "$out" | awk '/^ *ID:/ { print $2; exit }')
	[ -n "$id" ] || fail "no private key on the $name token"
	okay "the $name key has CKA_ID $id"
	if [ "$f" = sign ]; then
		echo "(the signing key has CKA_ALWAYS_AUTHENTICATE: pkcs11-tool answers the"
		echo " per-signature login with the same --pin)"
	fi
	p11 --token-label "$label" --login --pin "$pin" --id "$id" --sign -m SHA256-RSA-PKCS \
		-i document.txt -o "$f.sig" || fail "signing with the $name key"
	[ "$(wc -c <"$f.sig")" -eq 256 ] || fail "the $name signature is not 256 bytes"
	okay "256-byte signature in $f.sig"

	step "Reading the $name certificate from its token"
	if [ "$f" = sign ]; then
		p11 --token-label "$label" --login --pin "$pin" --read-object --type cert --id "$id" -o "$f.der" ||
			fail "reading the $name certificate"
	else
		p11 --token-label "$label" --read-object --type cert --id "$id" -o "$f.der" ||
			fail "reading the $name certificate"
	fi
	show openssl x509 -inform DER -in "$f.der" -noout -subject -issuer -enddate ||
		fail "the $name certificate does not parse"
	openssl x509 -inform DER -in "$f.der" -pubkey -noout >"$f.pub" || fail "public key of the $name certificate"

	step "Verifying the signature of the $name key with openssl against its certificate"
	show openssl dgst -sha256 -verify "$f.pub" -signature "$f.sig" document.txt ||
		fail "the $name signature does not verify"
	okay "the signature of the $name key verifies"
}

demo_key authentication auth "$label_auth" "$pin_auth"
demo_key "digital signature" sign "$label_sign" "$pin_sign"

# The emulator's PIN counters: nothing was wasted.
tries=$(awk '$1 == "auth-tries" || $1 == "sign-tries" { printf "%s=%s ", $1, $2 }' "$JP_HARNESS_DIR/card.state")
okay "PIN tries left on the card: $tries"

step "Stopping the private pcscd and the emulated card"
cd "$top" || true
jp_pcscd_stop
okay "stopped"
printf '\nDemo complete: two tokens listed, two signatures made on the (emulated) card and\nverified with openssl against the certificates read from the tokens.\n'
