#!/bin/sh
# jpki(1), the built program (JPKI=... runs another one, e.g. the installed
# /usr/bin/jpki), against a private pcscd + vpcd + the emulated card, in
# English (LANG=C) and Japanese (LANG=ja_JP.UTF-8): status (human and JSON,
# checked against the fixture with openssl), cards expiring in 200, 60 and
# -1 days, a blocked PIN, a card without a signing certificate, smartphone
# tokens, the old 住基カード, not a JPKI card; change-pin with a wrong current
# PIN (exactly one try spent, seen on the card) and malformed input (none
# spent); export; diagnose (nothing secret in it).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

JPKI=${JPKI:-$top_builddir/src/tool/jpki}
[ -x "$JPKI" ] || { tap_ok 1 "jpki not built: $JPKI"; tap_done; }
jp_need python3 openssl pkcs11-tool
jp_consumer_start

w=$JP_HARNESS_DIR/work
mkdir -p "$w"

# jpki in English / Japanese; stdout in $w/out, stderr in $w/err, status $rc.
# Standard input from $w/in: "pins TEXT" (printf format) before a command
# that reads PINs (not a pipe: the function must run in this shell to set
# rc).
: >"$w/in"
en() { LC_ALL= LC_MESSAGES= LANGUAGE= LANG=C timeout 60 "$JPKI" "$@" <"$w/in" >"$w/out" 2>"$w/err"; rc=$?; : >"$w/in"; }
ja() { LC_ALL= LC_MESSAGES= LANGUAGE= LANG=ja_JP.UTF-8 timeout 60 "$JPKI" "$@" <"$w/in" >"$w/out" 2>"$w/err"; rc=$?; : >"$w/in"; }
pins() { # shellcheck disable=SC2059 # the format is the test's own
	printf "$@" >"$w/in"; }
has() { grep -qF -- "$1" "$w/${2:-out}"; }
# A value from the JSON report of the first reader: json_get auth.state
json_get() {
	python3 - "$w/out" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = d["readers"][0]
for k in sys.argv[2].split("."):
    v = v[k]
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)
PY
}
# The JST calendar day of a certificate's notAfter / notBefore.
jst_date() {
	_d=$(openssl x509 -inform DER -in "$1" -noout "-$2" | sed 's/^[^=]*=//')
	TZ=Asia/Tokyo date -d "$_d" +%Y-%m-%d
}
fresh_card() { # a new emulator with fresh PIN counters and OPTIONS
	rm -f "$JP_HARNESS_DIR/card.state"
	jp_emu_restart "$@"
}

# ---- a valid card, English ----
m0=$(jp_log_mark)
en status
[ "$rc" -eq 0 ] && has "Card: My Number Card" && has "3 of 3 tries left" && has "5 of 5 tries left"
tap_ok $? "status (English): exit 0, My Number Card, 3 of 3 and 5 of 5 tries left"
has "Certificate for user authentication" && has "valid until $(jst_date "$JP_CARD_DIR/auth.der" enddate)"
tap_ok $? "status: valid until the JST day of the certificate's notAfter"
[ "$(jp_count_verify "$m0")" -eq 0 ] && [ "$(jp_pin_tries auth)" = 63C3 ] && [ "$(jp_pin_tries sign)" = 63C5 ]
tap_ok $? "status sent no PIN; the card still answers 63C3 / 63C5"

en status --json
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$w/out"
tap_ok $? "--json is valid JSON"
[ "$rc" -eq 0 ] && [ "$(json_get card)" = mynumber ] && [ "$(json_get reader)" = "$JP_READER" ]
tap_ok $? "--json: reader \"$JP_READER\", card mynumber"
[ "$(json_get serial)" = "$(jp_card_serial)" ]
tap_ok $? "--json: serial = the module's token serial $(jp_card_serial)"
[ "$(json_get auth.certificate)" = present ] && [ "$(json_get auth.state)" = valid ] &&
	[ "$(json_get auth.not_before)" = "$(jst_date "$JP_CARD_DIR/auth.der" startdate)" ] &&
	[ "$(json_get auth.not_after)" = "$(jst_date "$JP_CARD_DIR/auth.der" enddate)" ]
tap_ok $? "--json: auth present, valid, not_before/not_after = openssl's dates in JST"
ra=$(json_get auth.not_after)
[ "$(json_get auth.renewal_from)" = "$(date -d "$ra -3 months" +%Y-%m-%d)" ] &&
	[ "$(json_get auth.days_left)" -eq $(( ($(date -ud "$ra" +%s) - $(date -ud "$(TZ=Asia/Tokyo date +%Y-%m-%d)" +%s)) / 86400 )) ]
tap_ok $? "--json: renewal_from 3 months before, days_left from today (JST)"
[ "$(json_get auth.pin.tries_left)" = 3 ] && [ "$(json_get auth.pin.max)" = 3 ] && [ "$(json_get auth.pin.blocked)" = false ] &&
	[ "$(json_get sign.pin.tries_left)" = 5 ] && [ "$(json_get sign.pin.max)" = 5 ] &&
	[ "$(json_get sign.certificate)" = present ] && [ "$(json_get sign.state)" = unknown ] &&
	[ "$(json_get sign.not_after)" = null ] && [ "$(json_get sign.days_left)" = null ]
tap_ok $? "--json: pins 3/3 and 5/5, sign present with dates null (no password given)"

pins '%s\n' "$JP_PIN_SIGN"; en status --json --sign --pin-stdin
[ "$rc" -eq 0 ] && [ "$(json_get sign.state)" = valid ] &&
	[ "$(json_get sign.not_after)" = "$(jst_date "$JP_CARD_DIR/sign.der" enddate)" ]
tap_ok $? "status --sign: the signing certificate's dates after the password"
! grep -q "$JP_PIN_SIGN" "$w/out" "$w/err" "$JP_EMU_LOG"
tap_ok $? "the password appears neither in jpki's output nor in the card's log"

# ---- Japanese ----
ja status
[ "$rc" -eq 0 ] && has "カード: マイナンバーカード" && has "利用者証明用電子証明書: 有効" &&
	has "市区町村の窓口" && has "利用者証明用暗証番号（数字4桁）: 残り回数 3（最大 3）"
tap_ok $? "status (日本語): マイナンバーカード, 利用者証明用電子証明書: 有効, 残り回数, 市区町村の窓口"
ja status --json
[ "$(json_get auth.state)" = valid ]
tap_ok $? "status --json under LANG=ja_JP.UTF-8: unchanged"

# ---- export ----
en export --auth --ca --der -o "$w"
[ "$rc" -eq 0 ] && cmp -s "$w/auth.der" "$JP_CARD_DIR/auth.der" && cmp -s "$w/auth-ca.der" "$JP_CARD_DIR/auth-ca.der" &&
	cmp -s "$w/sign-ca.der" "$JP_CARD_DIR/sign-ca.der"
tap_ok $? "export --auth --ca --der: the card's certificates byte for byte"
ja export -o "$w"
[ "$rc" -eq 0 ] && openssl x509 -in "$w/auth.pem" -outform DER | cmp -s - "$JP_CARD_DIR/auth.der"
tap_ok $? "export (日本語, default --auth --pem): the authentication certificate as PEM"
pins '%s\n' "$JP_PIN_SIGN"; en export --sign --der -o "$w" --pin-stdin
[ "$rc" -eq 0 ] && cmp -s "$w/sign.der" "$JP_CARD_DIR/sign.der" && [ "$(stat -c %a "$w/sign.der")" = 600 ]
tap_ok $? "export --sign: after the password, mode 600"

# ---- diagnose ----
en diagnose
body=$(od -An -tx1 -j 100 -N 12 "$JP_CARD_DIR/auth.der" | tr -d '\n' | tr a-f A-F | sed 's/^ //')
[ "$rc" -eq 0 ] && has "ATR:" && has "card: mynumber" && has "> [" && has "00 A4 04 0C" &&
	has "retry queries (empty VERIFY) answered 63 C3, 63 C5"
tap_ok $? "diagnose: ATR, card kind, an APDU trace, the retry queries' status words"
! has "$(jp_card_serial)" && ! has "$body" && ! has "$JP_PIN_AUTH" && ! has "$JP_PIN_SIGN"
tap_ok $? "diagnose: no serial, no certificate bytes, no PIN"
ja diagnose
[ "$rc" -eq 0 ] && has "card: mynumber"
tap_ok $? "diagnose under LANG=ja_JP.UTF-8"

# ---- probe ----
m0=$(jp_log_mark)
pins '%s\n' "$JP_PIN_AUTH"; en probe --pin-stdin
[ "$rc" -eq 0 ] && has "pkcs1 (P1 00, a DigestInfo): works, signature verified" &&
	has "sfi (P2 80|SFI, sign without SELECT): works" && has "leave pss=no" &&
	has "not supported (6A86)" && [ "$(jp_count_verify "$m0")" -eq 1 ] && [ "$(jp_count_sign "$m0")" -eq 2 ]
tap_ok $? "probe: PKCS#1 v1.5 verified, SFI works, PSS not supported (6A86), pss=no; one VERIFY, two signature commands"
pins '%s\n' "$JP_PIN_AUTH"; ja probe --pin-stdin
[ "$rc" -eq 0 ] && has "残り回数 3" err && has "pss=no のまま"
tap_ok $? "probe under LANG=ja_JP.UTF-8 (tries and the advice in Japanese)"

# ---- change-pin ----
m0=$(jp_log_mark)
pins '9999\n5555\n5555\n'; en change-pin auth --pin-stdin
[ "$rc" -eq 1 ] && has "wrong current PIN; 2 tries left" err
tap_ok $? "change-pin with a wrong current PIN: exit 1, 2 tries left"
[ "$(jp_count_verify "$m0")" -eq 1 ] && [ "$(jp_pin_tries auth)" = 63C2 ]
tap_ok $? "exactly one VERIFY reached the card; it now answers 63C2 (one try spent)"
m0=$(jp_log_mark)
pins '12a4\n5555\n5555\n'; en change-pin auth --pin-stdin
r1=$rc
pins '123\n'; ja change-pin auth --pin-stdin
r2=$rc
has "利用者証明用暗証番号は数字4桁です" err
j=$?
pins '%s\nabcdef\nabcdef\n' "$JP_PIN_SIGN"; en change-pin sign --pin-stdin
[ "$r1" -eq 1 ] && [ "$r2" -eq 1 ] && [ "$j" -eq 0 ] && [ "$rc" -eq 1 ] &&
	[ "$(jp_count_verify "$m0")" -eq 0 ] && [ "$(jp_pin_tries auth)" = 63C2 ] && [ "$(jp_pin_tries sign)" = 63C5 ]
tap_ok $? "malformed PINs (English and 日本語): refused, no VERIFY, no try spent"
pins '%s\n4321\n4321\n' "$JP_PIN_AUTH"; ja change-pin auth --pin-stdin
[ "$rc" -eq 0 ] && has "暗証番号を変更しました" && [ "$(jp_pin_tries auth)" = 63C3 ]
tap_ok $? "change-pin (日本語): changed, counter back to 3"
pins '4321\n%s\n%s\n' "$JP_PIN_AUTH" "$JP_PIN_AUTH"; en change-pin auth --pin-stdin
[ "$rc" -eq 0 ] && has "The PIN was changed."
tap_ok $? "change-pin (English): changed back"

# ---- a blocked PIN ----
for _i in 1 2; do pins '0000\n1111\n1111\n'; en change-pin auth --pin-stdin; done
m0=$(jp_log_mark)
pins 'n\n0000\n1111\n1111\n'; en change-pin auth --pin-stdin
[ "$rc" -eq 1 ] && has "Only ONE try is left" err && [ "$(jp_count_verify "$m0")" -eq 0 ]
tap_ok $? "one try left: change-pin asks first; answered no, nothing sent"
pins 'y\n0000\n1111\n1111\n'; en change-pin auth --pin-stdin
[ "$(jp_pin_tries auth)" = 63C0 ] || [ "$(jp_pin_tries auth)" = 6984 ]
tap_ok $? "(answered yes: the third wrong PIN blocked the auth PIN)"
en status --json
[ "$rc" -eq 1 ] && [ "$(json_get auth.pin.tries_left)" = 0 ] && [ "$(json_get auth.pin.blocked)" = true ]
tap_ok $? "blocked: --json tries_left 0, blocked true, exit 1"
en status
has "BLOCKED: only your municipal office can reset it"
tap_ok $? "blocked (English): only your municipal office can reset it"
ja status
has "ロック中: 初期化は市区町村の窓口でのみできます"
tap_ok $? "blocked (日本語): 市区町村の窓口"
m0=$(jp_log_mark)
pins '%s\n1111\n1111\n' "$JP_PIN_AUTH"; en change-pin auth --pin-stdin
[ "$rc" -eq 1 ] && [ "$(jp_count_verify "$m0")" -eq 0 ]
tap_ok $? "change-pin on a blocked PIN: refused, nothing sent"

# ---- validity: 200, 60, -1 days ----
for spec in "200 valid 0" "60 renewal 1" "-1 expired 1"; do
	set -- $spec
	fresh_card --expire-in "$1"
	en status --json
	[ "$rc" -eq "$3" ] && [ "$(json_get auth.state)" = "$2" ] && [ "$(json_get auth.days_left)" -eq "$1" ]
	tap_ok $? "certificate expiring in $1 days: $2, days_left $1, exit $3"
done
en status
has "EXPIRED on"
tap_ok $? "expired (English): EXPIRED on ..."
ja status
has "有効期限切れ" && has "市区町村の窓口で更新してください"
tap_ok $? "expired (日本語): 有効期限切れ, 市区町村の窓口で更新してください"
# The module (doc/card.md §8): the expired certificate is still listed and
# signs; the log warns at login.
en export --der -o "$w"
printf 'signed while expired\n' >"$w/data"
JPKI_PKCS11_DEBUG="level:2,file:$w/p11.log" jp_with_module pkcs11-tool --module "$JP_MODULE" \
	--token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" -O >"$w/p11.out" 2>&1 &&
	JPKI_PKCS11_DEBUG="level:2,file:$w/p11.log" jp_with_module pkcs11-tool --module "$JP_MODULE" \
	--token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --sign -m SHA256-RSA-PKCS \
	-i "$w/data" -o "$w/sig" >/dev/null 2>&1
r=$?
openssl x509 -inform DER -in "$w/auth.der" -pubkey -noout >"$w/auth.pub" 2>/dev/null
[ "$r" -eq 0 ] && grep -q "Certificate Object" "$w/p11.out" &&
	openssl dgst -sha256 -verify "$w/auth.pub" -signature "$w/sig" "$w/data" >/dev/null 2>&1
tap_ok $? "module: the expired certificate is listed and its key signs (verified with openssl)"
grep -q "WARN: p11: login (authentication): the certificate has expired" "$w/p11.log"
tap_ok $? "module: a warning at login in the log"

# ---- card kinds ----
fresh_card --no-sign=certs-absent
en status --json
[ "$rc" -eq 0 ] && [ "$(json_get sign.certificate)" = absent ] && [ "$(json_get sign.state)" = absent ]
tap_ok $? "a card without signing certificate: sign absent, exit 0"
ja status
has "署名用電子証明書: このカードにはありません"
tap_ok $? "(日本語) 署名用電子証明書: このカードにはありません"
fresh_card --no-sign=notfound
en status --json
[ "$(json_get sign.certificate)" = absent ] && [ "$(json_get sign.pin)" = null ]
tap_ok $? "no signing key at all: sign absent, pin null"
for k in android iphone; do
	fresh_card --kind="$k"
	en status --json
	[ "$rc" -eq 0 ] && [ "$(json_get card)" = "$k" ]
	tap_ok $? "smartphone token ($k): card $k"
done
ja status
has "スマートフォン用電子証明書（iPhone）"
tap_ok $? "(日本語) スマートフォン用電子証明書（iPhone）"
fresh_card --juki
en status --json
[ "$rc" -eq 1 ] && [ "$(json_get card)" = juki ] && [ "$(json_get auth)" = null ]
tap_ok $? "old 住基カード: card juki, auth null, exit 1"
ja status
has "住民基本台帳カード（住基カード）"
tap_ok $? "(日本語) 住民基本台帳カード（住基カード）"
fresh_card --not-jpki
en status --json
[ "$rc" -eq 2 ] && [ "$(json_get card)" = unknown ]
tap_ok $? "not a JPKI card: card unknown, exit 2"
jp_card_remove
en status --json
[ "$rc" -eq 2 ] && [ "$(json_get card)" = none ]
tap_ok $? "empty reader: card none, exit 2"

jp_nothing_left_running
tap_done
