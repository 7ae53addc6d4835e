#!/bin/sh
# The shipped module exports exactly the 92 C_* functions of PKCS#11 v3.0
# (the 68 of v2.40 and the 24 v3.0 added) and nothing else, contains no
# emulator, is linked -Bsymbolic with no relocation against its own C_*
# (its function lists hold hidden functions: test-interpose checks what
# that buys), and loads with dlopen (p11-kit's way) without undefined
# symbols.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/tap-sh.sh"
so="${top_builddir:-.}/src/p11/.libs/jpki-pkcs11.so"
t() { tap_ok "$@"; }

# make check builds the module first: its absence is a failure, not a skip.
[ -f "$so" ] || { t 1 "$so built"; tap_done; }
command -v nm >/dev/null 2>&1 || tap_skip_all "no nm (binutils)"
syms=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
others=$(printf '%s\n' "$syms" | grep -v '^C_' | grep -v '^$')
[ -z "$others" ]; t $? "only C_* symbols exported${others:+ (also: $(echo $others))}"
count=$(printf '%s\n' "$syms" | grep -c '^C_')
[ "$count" = 92 ]; t $? "92 C_* functions exported (got $count)"
for f in C_GetFunctionList C_Initialize C_Finalize C_Login C_Sign C_WaitForSlotEvent \
         C_GetFunctionStatus C_CancelFunction C_DecryptVerifyUpdate \
         C_GetInterfaceList C_GetInterface C_LoginUser C_SessionCancel C_MessageVerifyFinal; do
	printf '%s\n' "$syms" | grep -qx "$f"; t $? "$f exported"
done
if command -v readelf >/dev/null 2>&1; then
	readelf -d "$so" | grep -q 'SYMBOLIC'; t $? "linked -Bsymbolic (DT_SYMBOLIC / DF_SYMBOLIC)"
	rel=$(readelf -rW "$so" | grep -c ' C_' || true)
	[ "$rel" = 0 ]; t $? "no relocation refers to an exported C_* ($rel)"
fi
emu=$(nm "$so" 2>/dev/null | grep -c 'jp_emu' || true)
[ "$emu" = 0 ]; t $? "no emulator code in the shipped module"
pcsc=$(nm -D --undefined-only "$so" | grep -c 'SCard' || true)
[ "$pcsc" -gt 0 ]; t $? "it uses PC/SC ($pcsc SCard* imports)"
if command -v python3 >/dev/null 2>&1; then
	# A sanitizer build needs its runtime loaded first, as for any program.
	preload=
	if ldd "$so" 2>/dev/null | grep -q libasan; then
		preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
	fi
	LD_PRELOAD="$preload" ASAN_OPTIONS="detect_leaks=0:$ASAN_OPTIONS" \
		python3 -c "import ctypes,os,sys; ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)" "$so"
	t $? "dlopen with RTLD_NOW resolves every symbol"
else
	tap_skip "dlopen with RTLD_NOW resolves every symbol" "no python3"
fi
tap_done
