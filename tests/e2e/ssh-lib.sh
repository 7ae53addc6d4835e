# shellcheck shell=sh
# A private sshd for the e2e tests that log in with the card's key (ssh -I,
# ssh-agent, ssh -R). Source it after consumer-lib.sh.
#
#   jp_sshd_start DIR USER  starts sshd on 127.0.0.1 (a free port, up to 5
#                           tries, each waited for up to 10 s) with its own
#                           config, host key and DIR/authorized_keys (the
#                           caller writes it), allowing USER only. Sets
#                           SSHD_PID and SSHD_PORT; writes DIR/known_hosts
#                           and logs to DIR/sshd.log. Status 1 if it never
#                           came up (its log as TAP comments).
#   SSHD                    the daemon (default /usr/sbin/sshd)

: "${SSHD:=/usr/sbin/sshd}"
SSHD_PID=
SSHD_PORT=

jp_sshd_start() {
	_d=$1
	_u=$2
	[ -f "$_d/host_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -C jpki-test-host -f "$_d/host_key" >/dev/null 2>&1
	if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
		# The privilege separation directory sshd insists on as root (what
		# Debian's sshd makes at boot). Left in place: another test run
		# may be using it.
		mkdir -p /run/sshd && chmod 0755 /run/sshd
	fi
	_try=0
	while [ "$_try" -lt 5 ]; do
		SSHD_PORT=$(_jp_free_port)
		cat >"$_d/sshd_config" <<EOC
ListenAddress 127.0.0.1:$SSHD_PORT
HostKey $_d/host_key
PidFile none
AuthorizedKeysFile $_d/authorized_keys
AllowUsers $_u
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PubkeyAuthentication yes
PubkeyAcceptedAlgorithms rsa-sha2-512,rsa-sha2-256
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
AllowTcpForwarding remote
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
X11Forwarding no
PrintMotd no
MaxStartups 10
LoginGraceTime 30
LogLevel VERBOSE
EOC
		# Not jp_with_module: sshd never loads the module. exec: $! is
		# sshd's PID.
		_jp_exec_sshd() { exec "$SSHD" -D -e -f "$_d/sshd_config"; }
		_jp_exec_sshd >"$_d/sshd.log" 2>&1 </dev/null &
		SSHD_PID=$!
		_n=0
		while [ "$_n" -lt 100 ] && kill -0 "$SSHD_PID" 2>/dev/null; do
			if grep -q "Server listening on 127.0.0.1 port $SSHD_PORT" "$_d/sshd.log"; then
				printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" \
					"$(cut -d' ' -f1,2 "$_d/host_key.pub")" >"$_d/known_hosts"
				return 0
			fi
			sleep 0.1
			_n=$((_n + 1))
		done
		sed 's/^/#   sshd: /' "$_d/sshd.log"
		_jp_kill_wait "$SSHD_PID"
		SSHD_PID=
		_try=$((_try + 1))
	done
	return 1
}
