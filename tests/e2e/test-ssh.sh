#!/bin/sh
# OpenSSH with the real module behind a private pcscd + vpcd + the emulated
# card: ssh-keygen -D prints the authentication key (compared with the key of
# the card's certificate), ssh -I logs in to a private sshd (127.0.0.1, a free
# port, its own host key and authorized_keys) with rsa-sha2-512 and
# rsa-sha2-256, the PIN given by an SSH_ASKPASS script; the same through
# ~/.ssh/config style options; a wrong PIN costs exactly one try; ssh-add -s
# into a private ssh-agent, logins through the agent without a PIN, ssh-add
# -e; a p11-kit server socket forwarded with ssh -R, signing on the "remote"
# side through p11-kit-client.so; a blocked PIN. The card's log must show
# the sign commands with the DigestInfo of the negotiated hash.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/ssh-lib.sh"

jp_need ssh ssh-keygen ssh-agent ssh-add openssl
[ -x "$SSHD" ] || jp_missing "sshd ($SSHD)" "apt-get install openssh-server"

jp_consumer_start

card=$JP_CARD_DIR
user=$(id -un)
w=$JP_HARNESS_DIR/ssh
mkdir -p "$w"
chmod 0700 "$w"

AGENT_PID=
stop_ssh() {
	for _p in $SSHD_PID $AGENT_PID; do
		_jp_kill_wait "$_p"
	done
	SSHD_PID=
	AGENT_PID=
	jp_p11kit_server_stop
}
jp_traps stop_ssh

# A power-off (jp_card_unverify) after the last sign command.
powered_off_after_sign() {
	awk '/^> 802A/ { off = 0 } /^# power off/ { off = 1 } END { exit !off }' "$JP_EMU_LOG"
}
# The data field of the last sign command (after CLA INS P1 P2 Lc).
last_sign_data() { jp_last_sign | cut -c13-; }
# DigestInfo prefixes (RFC 8017 §9.2 note 1), as the emulator logs them.
DI_SHA256=3031300D060960864801650304020105000420
DI_SHA512=3051300D060960864801650304020305000440

# ---- ssh-keygen -D: the key for authorized_keys ----
openssl x509 -inform DER -in "$card/auth.der" -pubkey -noout >"$w/auth.pem"
ssh-keygen -i -m PKCS8 -f "$w/auth.pem" >"$w/card.pub" 2>/dev/null
card_key=$(cut -d' ' -f2 "$w/card.pub")
openssl x509 -inform DER -in "$card/sign.der" -pubkey -noout >"$w/sign.pem"
sign_key=$(ssh-keygen -i -m PKCS8 -f "$w/sign.pem" 2>/dev/null | cut -d' ' -f2)
[ -n "$card_key" ] && [ -n "$sign_key" ]
tap_ok $? "the card certificates' keys converted to OpenSSH format (ssh-keygen -i -m PKCS8)"

v0=$(jp_count_verify)
out=$(jp_with_module ssh-keygen -D "$JP_MODULE" 2>"$w/keygen.err")
rc=$?
tap_ok $rc "ssh-keygen -D jpki-pkcs11.so"
printf '%s\n' "$out" | sed 's/^\(ssh-rsa [A-Za-z0-9+/]\{16\}\)[^ ]*/#   \1.../'
[ "$(printf '%s\n' "$out" | grep -c "^ssh-rsa $card_key JPKI User Authentication\$")" -eq 1 ]
tap_ok $? "ssh-keygen -D prints the card's authentication key once, labelled 'JPKI User Authentication'"
! jp_contains "$out" "$sign_key"
tap_ok $? "ssh-keygen -D does not show the signing key (personal data, only after the password)"
[ "$(jp_count_verify)" -eq "$v0" ]
tap_ok $? "ssh-keygen -D asked for no PIN and sent none"
# The CA certificates' keys come along (OpenSSH lists every certificate's
# key): documented, harmless (sshd refuses them before any signature).
ca_lines=$(printf '%s\n' "$out" | grep -c '/C=JP/O=JPKI')
[ "$ca_lines" -eq 2 ]
tap_ok $? "ssh-keygen -D also lists the 2 CA certificates' keys, labelled with the CA's name (documented)"

# ---- a private sshd ----
cp "$w/card.pub" "$w/authorized_keys"
jp_sshd_start "$w" "$user"
tap_ok $? "private sshd on 127.0.0.1:$SSHD_PORT (own config, host key, authorized_keys = the card's key)"
port=$SSHD_PORT

# The PIN prompt: ssh asks SSH_ASKPASS (forced) and this script answers
# with the content of $w/pin, logging each prompt.
cat >"$w/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$w/askpass.log"
cat "$w/pin"
EOF
chmod 0700 "$w/askpass"
: >"$w/askpass.log"

# A client configuration as a user would write it in ~/.ssh/config, with
# nothing from the real ~/.ssh: host key checked against our known_hosts.
cat >"$w/ssh_config" <<EOF
Host jpki-test jpki-card
	HostName 127.0.0.1
	Port $port
	User $user
	UserKnownHostsFile $w/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	IdentityAgent none
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	GSSAPIAuthentication no
	HostbasedAuthentication no
	ConnectTimeout 10
	ConnectionAttempts 1
	ServerAliveInterval 5
	ServerAliveCountMax 2
	LogLevel ERROR
Host jpki-card
	PKCS11Provider $JP_MODULE
	IdentityFile $w/card.pub
	IdentitiesOnly yes
EOF

# ssh_run ARGS...: ssh with our config and the askpass, bounded in time;
# stdout in $w/ssh.out, stderr in $w/ssh.err.
ssh_run() {
	DISPLAY=${DISPLAY:-:0} SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force \
		jp_with_module timeout 60 ssh -F "$w/ssh_config" "$@" \
		>"$w/ssh.out" 2>"$w/ssh.err" </dev/null
}
accepted() { grep -c "Accepted publickey for $user from 127.0.0.1" "$w/sshd.log"; }
fp=$(ssh-keygen -lf "$w/card.pub" | awk '{ print $2 }')

# ---- ssh -I ----
printf '%s\n' "$JP_PIN_AUTH" >"$w/pin"
: >"$JP_EMU_LOG"
a0=$(accepted)
ssh_run -I "$JP_MODULE" jpki-test echo ok
rc=$?
sed 's/^/#   ssh: /' "$w/ssh.err"
[ $rc -eq 0 ] && [ "$(cat "$w/ssh.out")" = ok ]
tap_ok $? "ssh -I jpki-pkcs11.so logs in and runs 'echo ok'"
[ "$(accepted)" -eq $((a0 + 1)) ] && grep "Accepted publickey for $user" "$w/sshd.log" | tail -n 1 | grep -qF "RSA $fp"
tap_ok $? "sshd: accepted publickey RSA $fp (the card's key)"
[ "$(wc -l <"$w/askpass.log")" -eq 1 ] && grep -qxF "Enter PIN for '$JP_LABEL_AUTH': " "$w/askpass.log"
tap_ok $? "one PIN prompt, naming the token: $(head -n 1 "$w/askpass.log")"
[ "$(jp_count_sign)" -eq 1 ] && [ "$(jp_count_verify)" -eq 1 ]
tap_ok $? "the card saw one PIN VERIFY and one sign command"
case $(last_sign_data) in "$DI_SHA512"*) r=0 ;; *) r=1 ;; esac
tap_ok $r "the card signed a SHA-512 DigestInfo (rsa-sha2-512, the default)"
powered_off_after_sign
tap_ok $? "the card was powered off (unverified) when ssh let go of the module"

: >"$JP_EMU_LOG"
: >"$w/askpass.log"
ssh_run -I "$JP_MODULE" -o PubkeyAcceptedAlgorithms=rsa-sha2-256 jpki-test echo ok
[ $? -eq 0 ] && [ "$(cat "$w/ssh.out")" = ok ]
tap_ok $? "ssh -I with PubkeyAcceptedAlgorithms=rsa-sha2-256 logs in"
case $(last_sign_data) in "$DI_SHA256"*) r=0 ;; *) r=1 ;; esac
[ "$(jp_count_sign)" -eq 1 ] && [ $r -eq 0 ]
tap_ok $? "the card signed a SHA-256 DigestInfo"

# ~/.ssh/config style: PKCS11Provider + IdentityFile (the public key) +
# IdentitiesOnly, the way to keep other keys out of it.
: >"$JP_EMU_LOG"
: >"$w/askpass.log"
ssh_run jpki-card echo ok
[ $? -eq 0 ] && [ "$(cat "$w/ssh.out")" = ok ] && [ "$(jp_count_sign)" -eq 1 ]
tap_ok $? "ssh_config PKCS11Provider + IdentityFile card.pub + IdentitiesOnly: logged in with one signature"

# ssh-rsa (SHA-1) is refused by this sshd as by default in OpenSSH >= 8.8:
# the card never signs for it.
: >"$JP_EMU_LOG"
ssh_run -I "$JP_MODULE" -o PubkeyAcceptedAlgorithms=ssh-rsa jpki-test echo ok
[ $? -ne 0 ] && [ "$(jp_count_sign)" -eq 0 ]
tap_ok $? "ssh-rsa (SHA-1) only: no login, no signature asked of the card"

# ---- a wrong PIN ----
printf '9999\n' >"$w/pin"
: >"$JP_EMU_LOG"
: >"$w/askpass.log"
ssh_run -I "$JP_MODULE" jpki-test echo ok
rc=$?
sed 's/^/#   ssh: /' "$w/ssh.err"
[ $rc -ne 0 ] && [ ! -s "$w/ssh.out" ] && [ "$(jp_count_sign)" -eq 0 ]
tap_ok $? "a wrong PIN: ssh fails, the card signs nothing"
[ "$(jp_count_verify)" -eq 1 ] && [ "$(jp_card_state auth-tries)" = 2 ]
tap_ok $? "a wrong PIN costs exactly one try (one VERIFY, 2 tries left)"
printf '%s\n' "$JP_PIN_AUTH" >"$w/pin"
ssh_run -I "$JP_MODULE" jpki-test echo ok
[ $? -eq 0 ] && [ "$(jp_card_state auth-tries)" = 3 ]
tap_ok $? "the right PIN logs in and restores 3 tries"

# ---- ssh-agent ----
# ssh-agent is setgid: the loader drops LD_PRELOAD, so its
# ssh-pkcs11-helper cannot load a sanitizer-built module.
if jp_sanitizer_note "ssh-agent (setgid: the loader drops the sanitizer preload)"; then
	:
else
	# The default -P allow-list (/usr/lib*/*, /usr/local/lib*/*) does
	# not cover the build tree: -P names the module.
	start_agent() { # socket [ssh-agent options]
		_s=$1
		shift
		rm -f "$_s"
		exec_agent() { exec timeout 120 ssh-agent -D -a "$_s" "$@"; }
		exec_agent "$@" >"$w/agent.out" 2>&1 </dev/null &
		AGENT_PID=$!
		jp_wait_socket "$_s" "$AGENT_PID"
	}
	agent_sock=$w/agent.sock
	start_agent "$agent_sock"
	tap_ok $? "private ssh-agent with the default provider allow-list"
	out=$(DISPLAY=${DISPLAY:-:0} SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$agent_sock \
		timeout 60 ssh-add -s "$JP_MODULE" 2>&1 </dev/null)
	[ $? -ne 0 ]
	tap_ok $? "ssh-agent without -P refuses a module outside /usr/lib*: $out"
	_jp_kill_wait "$AGENT_PID"
	AGENT_PID=

	start_agent "$agent_sock" -P "$JP_MODULE"
	tap_ok $? "private ssh-agent -P $JP_MODULE"
	: >"$JP_EMU_LOG"
	: >"$w/askpass.log"
	s_tries=$(jp_card_state sign-tries)
	out=$(DISPLAY=${DISPLAY:-:0} SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$agent_sock \
		timeout 60 ssh-add -s "$JP_MODULE" 2>&1 </dev/null)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/#   ssh-add: /'
	[ $rc -eq 0 ] && grep -qF "Enter passphrase for PKCS#11" "$w/askpass.log"
	tap_ok $? "ssh-add -s: the PIN asked once ('$(head -n 1 "$w/askpass.log")'), provider added"
	[ "$(jp_count_verify)" -eq 1 ] && [ "$(jp_card_state sign-tries)" = "$s_tries" ] && [ "$(jp_card_state auth-tries)" = 3 ]
	tap_ok $? "the 4-digit PIN went to the authentication token only (signature token refused it before the card: tries $s_tries)"
	out=$(SSH_AUTH_SOCK=$agent_sock ssh-add -l 2>&1)
	printf '%s\n' "$out" | sed 's/^/#   ssh-add -l: /'
	jp_contains "$out" "$fp"
	tap_ok $? "ssh-add -l lists the card's key $fp"
	: >"$JP_EMU_LOG"
	printf 'not-asked\n' >"$w/pin"
	: >"$w/askpass.log"
	n_ok=0
	for _ in 1 2; do
		ssh_run -o IdentityAgent="$agent_sock" jpki-test echo ok && [ "$(cat "$w/ssh.out")" = ok ] &&
			n_ok=$((n_ok + 1))
	done
	[ "$n_ok" -eq 2 ] && [ "$(jp_count_sign)" -eq 2 ]
	tap_ok $? "two ssh logins through the agent, one card signature each"
	[ "$(jp_count_verify)" -eq 0 ] && [ ! -s "$w/askpass.log" ]
	tap_ok $? "no PIN asked or sent for them (the agent's session stays logged in)"

	# The card pulled out and put back: the agent's logged-in session is
	# gone with it; the card is not signing for anybody without a new PIN.
	jp_card_remove && jp_card_insert
	tap_ok $? "card removed and reinserted"
	: >"$JP_EMU_LOG"
	ssh_run -o IdentityAgent="$agent_sock" jpki-test echo ok
	rc=$?
	[ $rc -ne 0 ] && [ "$(jp_count_sign)" -eq 0 ]
	tap_ok $? "after reinsertion the agent cannot sign (its session died with the card)"
	printf '%s\n' "$JP_PIN_AUTH" >"$w/pin"
	SSH_AUTH_SOCK=$agent_sock ssh-add -e "$JP_MODULE" >/dev/null 2>&1
	DISPLAY=${DISPLAY:-:0} SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$agent_sock \
		timeout 60 ssh-add -s "$JP_MODULE" >/dev/null 2>&1 </dev/null
	rc=$?
	ssh_run -o IdentityAgent="$agent_sock" jpki-test echo ok
	rc2=$?
	[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ "$(cat "$w/ssh.out")" = ok ] && [ "$(jp_count_sign)" -eq 1 ]
	tap_ok $? "ssh-add -e then ssh-add -s with the PIN: logins through the agent work again"
	SSH_AUTH_SOCK=$agent_sock ssh-add -e "$JP_MODULE" >/dev/null 2>&1 &&
		SSH_AUTH_SOCK=$agent_sock ssh-add -l 2>&1 | grep -q 'no identities'
	tap_ok $? "ssh-add -e: the card's key leaves the agent"
	powered_off_after_sign
	tap_ok $? "the card was powered off (unverified) when the agent let go of the module"
	ssh_run -o IdentityAgent="$agent_sock" jpki-test echo ok
	[ $? -ne 0 ]
	tap_ok $? "no login through the agent any more"
	_jp_kill_wait "$AGENT_PID"
	AGENT_PID=
	printf '%s\n' "$JP_PIN_AUTH" >"$w/pin"
fi

# ---- the card on this machine signs for the "remote" one over ssh -R ----
if command -v p11-kit >/dev/null 2>&1 && command -v pkcs11-tool >/dev/null 2>&1 && [ -f "$JP_P11KIT_CLIENT" ]; then
	local_sock=$w/p11-local.sock
	remote_sock=$w/p11-remote.sock
	jp_p11kit_server_start "$local_sock" "pkcs11:"
	tap_ok $? "p11-kit server for the local card on $local_sock"
	printf 'Signed remotely with the card on the laptop.\n' >"$w/doc"
	: >"$JP_EMU_LOG"
	rm -f "$w/remote.sig"
	# The "remote" command signs through the forwarded socket; the
	# remote side never sees the PIN prompt of the login itself.
	ssh_run -I "$JP_MODULE" -o ExitOnForwardFailure=yes -R "$remote_sock:$local_sock" jpki-test \
		"test -S '$remote_sock' && P11_KIT_SERVER_ADDRESS=unix:path='$remote_sock' pkcs11-tool --module '$JP_P11KIT_CLIENT' --token-label '$JP_LABEL_AUTH' --login --pin '$JP_PIN_AUTH' --sign -m SHA256-RSA-PKCS -i '$w/doc' -o '$w/remote.sig' && echo signed"
	rc=$?
	sed 's/^/#   ssh -R: /' "$w/ssh.err"
	[ $rc -eq 0 ] && grep -qx signed "$w/ssh.out" &&
		openssl dgst -sha256 -verify "$w/auth.pem" -signature "$w/remote.sig" "$w/doc" >/dev/null 2>&1
	tap_ok $? "ssh -R remote.sock:local.sock: pkcs11-tool on the far side signed through p11-kit-client.so, verified by openssl"
	[ "$(jp_count_sign)" -eq 2 ]
	tap_ok $? "the card signed twice: the ssh login and the forwarded request"
	# sshd leaves the socket file behind; nothing answers on it.
	out=$(P11_KIT_SERVER_ADDRESS=unix:path=$remote_sock pkcs11-tool --module "$JP_P11KIT_CLIENT" -L 2>&1)
	! jp_contains "$out" "My Number Card"
	tap_ok $? "the forwarded socket no longer reaches the card once the ssh session ended"
	jp_p11kit_server_stop
elif [ "${CI:-}" = true ]; then
	tap_ok 1 "ssh -R with p11-kit: p11-kit, pkcs11-tool or p11-kit-client.so missing"
else
	tap_skip "ssh -R with p11-kit" "p11-kit, pkcs11-tool or p11-kit-client.so missing"
fi

# ---- a blocked PIN (last: it blocks the fixture's authentication PIN) ----
printf '0000\n' >"$w/pin"
for _ in 1 2 3; do
	ssh_run -I "$JP_MODULE" jpki-test echo ok
done
[ "$(jp_card_state auth-tries)" = 0 ]
tap_ok $? "three wrong PINs through ssh block the authentication PIN"
printf '%s\n' "$JP_PIN_AUTH" >"$w/pin"
: >"$JP_EMU_LOG"
: >"$w/askpass.log"
ssh_run -I "$JP_MODULE" jpki-test echo ok
rc=$?
sed 's/^/#   ssh (blocked): /' "$w/ssh.err"
# A fresh ssh process has not been told that the PIN is blocked (no retry
# query is spent before a VERIFY, doc/design.md §3): its one VERIFY is
# refused by the card without counting (69 84), the login answers
# CKR_PIN_LOCKED, and nothing is signed or tried again.
[ $rc -ne 0 ] && [ "$(jp_count_verify)" -eq 1 ] && [ "$(jp_count_sign)" -eq 0 ] &&
	[ "$(jp_card_state auth-tries)" = 0 ] && grep -q '^< 6984$' "$JP_EMU_LOG"
tap_ok $? "blocked: ssh fails; its one VERIFY is refused without counting (6984, still 0 tries), nothing signed"

sshd=$SSHD_PID
stop_ssh
jp_nothing_left_running $sshd
tap_done
