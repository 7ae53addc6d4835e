#!/bin/sh
# Makes the emulator's JPKI-like TEST PKI into tests/emu/cards/ with the
# openssl CLI. Run ONCE by a developer; the output is committed so that
# tests need no randomness and no network.
#
#   tests/emu/make-test-pki.sh [OUTDIR]      (default: the script's cards/)
#
# Shape follows doc/card.md §7: two self-signed RSA-2048 CAs (auth,
# sign) with a subjectKeyIdentifier, and per card an authentication and a
# signing certificate with the real cards' extensions, but every name says
# TEST and every personal value is fictitious.
set -eu

OPENSSL=${OPENSSL:-openssl}
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/cards}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

mkdir -p "$out/ca"

# openssl ca, because "openssl x509 -req" of OpenSSL 3.0 cannot set exact
# notBefore/notAfter (the expiry must be 14:59:59Z = 23:59:59 JST).
ca_conf() { # $1 = CA name
	d=$work/$1
	mkdir -p "$d/new"
	: > "$d/index.txt"
	cat > "$d/ca.cnf" <<EOF
[ ca ]
default_ca = this
[ this ]
dir = $d
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
localityName = optional
commonName = optional
EOF
}

# $1 name, $2 subject, $3 serial (hex)
make_ca() {
	ca_conf "$1"
	echo "$3" > "$work/$1/serial"
	cat > "$work/$1/ext.cnf" <<EOF
[ ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
	"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$out/ca/$1.key.pem" 2>/dev/null
	"$OPENSSL" req -new -key "$out/ca/$1.key.pem" -subj "$2" -multivalue-rdn \
		-out "$work/$1/req.pem"
	"$OPENSSL" ca -batch -config "$work/$1/ca.cnf" -selfsign -notext -preserveDN \
		-keyfile "$out/ca/$1.key.pem" -in "$work/$1/req.pem" \
		-startdate 20230101000000Z -enddate 20430101145959Z \
		-extfile "$work/$1/ext.cnf" -extensions ext \
		-out "$work/$1/cert.pem" 2>/dev/null
	"$OPENSSL" x509 -in "$work/$1/cert.pem" -outform DER -out "$out/ca/$1.der"
	"$OPENSSL" x509 -in "$work/$1/cert.pem" -out "$out/ca/$1.pem"
}

# $1 CA name, $2 card dir, $3 file base (auth/sign), $4 subject, $5 ext
# file, $6 notAfter
issue() {
	"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-pkeyopt rsa_keygen_pubexp:65537 -out "$work/$3.key.pem" 2>/dev/null
	"$OPENSSL" pkcs8 -topk8 -nocrypt -in "$work/$3.key.pem" -outform DER \
		-out "$2/$3.key.der"
	"$OPENSSL" req -new -utf8 -key "$work/$3.key.pem" -subj "$4" \
		-out "$work/$3.req.pem"
	"$OPENSSL" ca -batch -utf8 -config "$work/$1/ca.cnf" -notext -preserveDN \
		-cert "$out/ca/$1.pem" -keyfile "$out/ca/$1.key.pem" \
		-in "$work/$3.req.pem" \
		-startdate 20260101000000Z -enddate "$6" \
		-extfile "$5" -extensions ext -out "$work/$3.pem" 2>/dev/null
	"$OPENSSL" x509 -in "$work/$3.pem" -outform DER -out "$2/$3.der"
}

make_ca auth-ca "/C=JP/O=JPKI-TEST/OU=JPKI for user authentication TEST/OU=Japan Agency for Local Authority Information Systems TEST" 1A0001
make_ca sign-ca "/C=JP/O=JPKI-TEST/OU=JPKI for digital signature TEST/OU=Japan Agency for Local Authority Information Systems TEST" 5A0001

# $1 card no, $2 auth id (23 chars), $3 sign id, $4 prefecture, $5 city,
# $6 birthday YYYYMMDD, $7 expiry YYYY, $8 name, $9 name substitute,
# $10 sex, $11 era digit, $12 address, $13 auth PIN, $14 signing password
make_card() {
	c=$out/card-$1
	mkdir -p "$c"
	mmdd=$(printf %s "$6" | cut -c5-8)
	yymmdd_exp=$(printf %s "$7" | cut -c3-4)$mmdd
	cat > "$work/auth.cnf" <<EOF
[ ext ]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
certificatePolicies = critical, 1.2.392.200149.8.5.1.3.30
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	cat > "$work/sign.cnf" <<EOF
[ ext ]
keyUsage = critical, digitalSignature, nonRepudiation
certificatePolicies = critical, 1.2.392.200149.8.5.1.0.20
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @san
[ san ]
otherName.1 = 1.2.392.200149.8.5.5.1;FORMAT:UTF8,UTF8:$8
otherName.2 = 1.2.392.200149.8.5.5.2;FORMAT:UTF8,UTF8:$9
otherName.3 = 1.2.392.200149.8.5.5.3;FORMAT:UTF8,UTF8:${10}
otherName.4 = 1.2.392.200149.8.5.5.4;FORMAT:UTF8,UTF8:${11}$6
otherName.5 = 1.2.392.200149.8.5.5.5;FORMAT:UTF8,UTF8:${12}
otherName.6 = 1.2.392.200149.8.5.5.6;FORMAT:UTF8,UTF8:
EOF
	echo "$1" | awk '{printf "%02X%04X\n", 16, $1}' > "$work/auth-ca/serial"
	issue auth-ca "$c" auth "/C=JP/CN=$2" "$work/auth.cnf" "20${yymmdd_exp}145959Z"
	echo "$1" | awk '{printf "%02X%04X\n", 80, $1}' > "$work/sign-ca/serial"
	issue sign-ca "$c" sign "/C=JP/L=$4/L=$5/CN=$3" "$work/sign.cnf" "20${yymmdd_exp}145959Z"
	cp "$out/ca/auth-ca.der" "$c/auth-ca.der"
	cp "$out/ca/sign-ca.der" "$c/sign-ca.der"
	cp "$out/ca/auth-ca.pem" "$c/auth-ca.pem"
	cp "$out/ca/sign-ca.pem" "$c/sign-ca.pem"
	printf 'auth %s\nsign %s\n' "${13}" "${14}" > "$c/pins.txt"
}

make_card 1 TST1AUTH7K2M9Q4R8W3X6Z0 TST1SIGN5B8D2F6H9J3L7N1 \
	"Testo-ken" "Sample-shi" 19800715 2031 \
	"テスト 太郎" "" "1" "3" "テスト県サンプル市見本町一丁目2番3号" \
	1234 ABC123
make_card 2 TST2AUTH3C6E9G2J5M8P1S4 TST2SIGN8V1Y4A7D0G3K6N9 \
	"Dummy-to" "Example-ku" 19951203 2031 \
	"試験 花子" "" "2" "4" "試験都例示区架空二丁目4番5号" \
	5678 XYZ789A
echo "test PKI written to $out"
