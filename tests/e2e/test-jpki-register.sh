#!/bin/sh
# jpki register into throwaway profiles under a temporary HOME: two Firefox
# profiles (relative and absolute paths in profiles.ini, one without NSS
# databases yet), a third one in use (refused and named), a Thunderbird
# profile, Chromium's ~/.pki/nssdb created; checked with modutil -list and
# the databases' pkcs11.txt (tokens=auth for browsers, none for
# Thunderbird); run twice (idempotent); --remove. No card needed (modutil
# loads the module, which finds no PC/SC service: not an error).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/tap-sh.sh"

JPKI=${JPKI:-$top_builddir/src/tool/jpki}
MODULE=${JP_MODULE:-$top_builddir/src/p11/.libs/jpki-pkcs11.so}
for p in modutil certutil; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "$p not installed (apt-get install libnss3-tools)"
done
[ -x "$JPKI" ] || { tap_ok 1 "jpki not built: $JPKI"; tap_done; }

h=$(mktemp -d "${TMPDIR:-/tmp}/jp-register.XXXXXX") || exit 99
sleeper=
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; rm -rf "$h"' EXIT INT TERM
export HOME="$h"
# Never a system pcscd: the module finds no service.
PCSCLITE_CSOCK_NAME=$h/no-pcscd.comm
export PCSCLITE_CSOCK_NAME

ff=$h/.mozilla/firefox
tb=$h/.thunderbird
mkdir -p "$ff/a.default" "$h/elsewhere/b" "$ff/c.busy" "$tb/t.default"
certutil -N -d "sql:$ff/a.default" --empty-password
certutil -N -d "sql:$ff/c.busy" --empty-password
certutil -N -d "sql:$tb/t.default" --empty-password
cat >"$ff/profiles.ini" <<EOI
[Install4F96D1932A9F858E]
Default=a.default
Locked=1

[Profile0]
Name=default
IsRelative=1
Path=a.default
Default=1

[Profile1]
Name=other
IsRelative=0
Path=$h/elsewhere/b

[Profile2]
Name=busy
IsRelative=1
Path=c.busy

[General]
StartWithLastProfile=1
Version=2
EOI
printf '[Profile0]\nName=default\nIsRelative=1\nPath=t.default\n' >"$tb/profiles.ini"
# c.busy is in use: Firefox's lock symlink names a live process.
sleep 300 &
sleeper=$!
ln -s "127.0.0.1:+$sleeper" "$ff/c.busy/lock"

listed() { # DIR: the module is in its database, with library MODULE
	modutil -force -dbdir "sql:$1" -list "My Number Card" 2>/dev/null | grep -qF "Library file: $MODULE"
}
params() { # DIR: the parameters line of our module in pkcs11.txt
	awk '/^name=My Number Card$/ { f = 1; next } f && /^parameters=/ { print; exit } /^$/ { f = 0 }' "$1/pkcs11.txt"
}

LANG=C "$JPKI" register --module "$MODULE" >"$h/out" 2>"$h/err"
rc=$?
sed 's/^/# /' "$h/out" "$h/err"
[ "$rc" -eq 1 ]
tap_ok $? "register: exit 1 (one profile refused)"
grep -qF "Firefox profile $ff/c.busy is in use" "$h/err"
tap_ok $? "the profile in use is refused and named"
! listed "$ff/c.busy"
tap_ok $? "modutil -list: nothing added to the profile in use"
listed "$ff/a.default" && [ "$(params "$ff/a.default")" = "parameters=tokens=auth" ]
tap_ok $? "Firefox profile (relative path): listed, tokens=auth"
listed "$h/elsewhere/b" && [ "$(params "$h/elsewhere/b")" = "parameters=tokens=auth" ]
tap_ok $? "Firefox profile (absolute path, no database before): created, listed, tokens=auth"
listed "$tb/t.default" && [ -z "$(params "$tb/t.default")" ]
tap_ok $? "Thunderbird profile: listed, both tokens (no parameter)"
listed "$h/.pki/nssdb" && [ "$(params "$h/.pki/nssdb")" = "parameters=tokens=auth" ]
tap_ok $? "Chromium: ~/.pki/nssdb created, listed, tokens=auth"

kill "$sleeper" 2>/dev/null
wait "$sleeper" 2>/dev/null
sleeper=
LANG=C "$JPKI" register --module "$MODULE" >"$h/out" 2>"$h/err"
rc=$?
[ "$rc" -eq 0 ] && grep -qF "Firefox: already registered in $ff/a.default" "$h/out" &&
	grep -qF "Firefox: registered in $ff/c.busy" "$h/out"
tap_ok $? "again, the program closed: exit 0, already registered, the freed profile added"
[ "$(grep -c '^name=My Number Card$' "$ff/a.default/pkcs11.txt")" -eq 1 ]
tap_ok $? "idempotent: one entry, not two"

LANG=ja_JP.UTF-8 "$JPKI" register --remove --firefox --module "$MODULE" >"$h/out" 2>"$h/err"
rc=$?
[ "$rc" -eq 0 ] && ! listed "$ff/a.default" && ! listed "$h/elsewhere/b" && ! listed "$ff/c.busy" &&
	listed "$tb/t.default" && listed "$h/.pki/nssdb"
tap_ok $? "register --remove --firefox (日本語): gone from Firefox only"
LANG=C "$JPKI" register --remove --module "$MODULE" >"$h/out" 2>"$h/err"
[ $? -eq 0 ] && ! listed "$tb/t.default" && ! listed "$h/.pki/nssdb"
tap_ok $? "register --remove: gone everywhere"
tap_done
