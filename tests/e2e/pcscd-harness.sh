# shellcheck shell=sh
# A private pcscd with an emulated JPKI card, for the e2e tests and the demo.
# Source this file, then:
#
#   jp_pcscd_start [emulator options...]   pcscd + vpcd + tests/emu/jpki-emu-vpcd,
#                                          waits for the card, exports
#                                          PCSCLITE_CSOCK_NAME and JP_* below
#   jp_pcscd_stop                          kills everything it started, by PID
#                                          (also run on EXIT/INT/TERM)
#   jp_card_remove / jp_card_insert        SIGUSR1 / SIGUSR2 to the emulator,
#                                          then wait until PC/SC sees it
#   jp_pcscd_restart [emulator options...] a new pcscd on the same socket
#   jp_emu_restart [emulator options...]   a new emulator process (same card,
#                                          same PIN counters), e.g. with
#                                          other options
#   jp_harness_prepare                     only the scratch dir and
#                                          PCSCLITE_CSOCK_NAME (start clients
#                                          before pcscd)
#   jp_harness_skip_reason                 prints why the harness cannot run
#                                          here (empty: it can)
#
# Exported after jp_pcscd_start:
#   PCSCLITE_CSOCK_NAME  the private pcscd's socket (the client library reads it)
#   JP_HARNESS_DIR       scratch directory (logs, state, reader config)
#   JP_PCSCD_PID, JP_EMU_PID
#   JP_EMU_LOG           the emulator's APDU log (PIN bodies masked)
#   JP_CARD_DIR          the card fixture in use
#   JP_READER            the name of the reader holding the card
#
# Why it looks like this (doc/pcscd-testing.md):
#  - pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME: the socket is handed over
#    systemd-style by systemd-socket-activate;
#  - pcscd -c DIR reads our reader.conf.d; a vpcd entry "DEVICENAME
#    /dev/null:PORT" makes vpcd listen on PORT, and the emulator connects;
#  - as root, pcscd runs in its own network namespace (vpcd's port exists
#    only there, so tests can run in parallel on one port) and its own mount
#    namespace with a private /run (pcscd writes /run/pcscd/pcscd.pid and
#    removes /run/pcscd/pcscd.comm when it exits: neither may touch a system
#    pcscd). The emulator joins the network namespace with nsenter.
#  - not root: an unprivileged user namespace gives the same, when the
#    kernel allows it; otherwise the harness reports a SKIP reason.
#
# Environment read: top_builddir, top_srcdir (set by make check; default:
# the build dir is the current directory), PCSCD (default /usr/sbin/pcscd),
# JP_HARNESS_CARD (default card-1), JP_HARNESS_PORT (default 35963 with a
# namespace), JP_HARNESS_KEEP=1 (keep the scratch directory).

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
: "${PCSCD:=/usr/sbin/pcscd}"
: "${JP_HARNESS_CARD:=card-1}"

JP_VPCD_DRIVER=${JP_VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}
JP_EMU_PROG=${JP_EMU_PROG:-$top_builddir/tests/emu/jpki-emu-vpcd}
JP_PROBE=${JP_PROBE:-$top_builddir/tests/e2e/pcsc-probe}
JP_SSA=${JP_SSA:-$(command -v systemd-socket-activate 2>/dev/null)}

JP_PCSCD_PID=
JP_EMU_PID=
JP_WATCHDOG_PID=
JP_HARNESS_DIR=
JP_NS_MODE=

_jp_log() {
	echo "# harness: $*" >&2
}

# How pcscd gets its namespaces here: "root", "user" (unprivileged user
# namespace) or "" (none possible, or JP_HARNESS_NO_NS=1).
_jp_ns_mode() {
	if [ "${JP_HARNESS_NO_NS:-0}" = 1 ]; then
		:
	elif [ "$(id -u)" = 0 ]; then
		if unshare --net --mount true 2>/dev/null; then
			echo root
			return
		fi
	elif unshare --user --map-root-user --net --mount true 2>/dev/null; then
		echo user
		return
	fi
	echo ""
}

jp_harness_skip_reason() {
	if [ ! -x "$PCSCD" ]; then
		echo "pcscd not found ($PCSCD): apt-get install pcscd"
	elif [ -z "$JP_SSA" ] || [ ! -x "$JP_SSA" ]; then
		echo "systemd-socket-activate not found: apt-get install systemd"
	elif [ ! -f "$JP_VPCD_DRIVER" ]; then
		echo "vpcd driver not found ($JP_VPCD_DRIVER): apt-get install vsmartcard-vpcd"
	elif [ ! -x "$JP_EMU_PROG" ]; then
		echo "emulator program not built ($JP_EMU_PROG)"
	elif [ ! -x "$JP_PROBE" ]; then
		echo "pcsc-probe not built ($JP_PROBE)"
	elif ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		echo "ip (iproute2) not found"
	elif [ -z "$(_jp_ns_mode)" ] && [ "$(id -u)" != 0 ]; then
		echo "pcscd 1.9.9 must write /run/pcscd/pcscd.pid: run as root, or allow unprivileged user namespaces"
	elif [ -z "$(_jp_ns_mode)" ] && [ -e /run/pcscd/pcscd.comm ]; then
		# Without a mount namespace our pcscd would overwrite (and at exit
		# remove) the system pcscd's /run/pcscd/pcscd.pid.
		echo "no namespaces available and a system pcscd is running: refusing to disturb it"
	fi
}

# Waits up to $2 tenths of a second for the file $1 to hold a live PID.
_jp_wait_pidfile() {
	_n=0
	while [ "$_n" -lt "$2" ]; do
		if [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# Sends SIGTERM to PID $1 and waits for it to go (SIGKILL after $2 tenths
# of a second, default 30: ~3 s).
_jp_kill_wait() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	_n=0
	while kill -0 "$1" 2>/dev/null; do
		if [ "$_n" -ge "${2:-30}" ]; then
			kill -KILL "$1" 2>/dev/null
			break
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	# Reap it if it is our child (no-op otherwise).
	wait "$1" 2>/dev/null || true
}

_jp_probe() {
	PCSCLITE_CSOCK_NAME="$JP_HARNESS_DIR/pcscd.comm" "$JP_PROBE" "$@"
}

# The name of the first reader with a card.
_jp_card_reader() {
	_jp_probe --list 2>/dev/null | awk -F '\t' 'NR > 1 && $1 == 1 { print $4; exit }'
}

_jp_start_emu() {
	rm -f "$JP_HARNESS_DIR/emu.pid"
	if [ -n "$JP_NS_MODE" ]; then
		set -- nsenter --preserve-credentials $JP_NSENTER_FLAGS --target "$JP_PCSCD_PID" \
			"$JP_EMU_PROG" "$@"
	else
		set -- "$JP_EMU_PROG" "$@"
	fi
	setsid "$@" --port "$JP_HARNESS_PORT_USED" --card "$JP_CARD_DIR" \
		--state "$JP_HARNESS_DIR/card.state" --log "$JP_EMU_LOG" \
		--pid-file "$JP_HARNESS_DIR/emu.pid" \
		>>"$JP_HARNESS_DIR/emu.out" 2>&1 &
	if ! _jp_wait_pidfile "$JP_HARNESS_DIR/emu.pid" 50; then
		_jp_log "the emulator did not start; its output:"
		sed 's/^/#   /' "$JP_HARNESS_DIR/emu.out" >&2
		return 1
	fi
	JP_EMU_PID=$(cat "$JP_HARNESS_DIR/emu.pid")
	export JP_EMU_PID
	if ! _jp_probe --wait-card 10 >/dev/null; then
		_jp_log "no card seen within 10 s; pcscd and emulator output:"
		sed 's/^/#   /' "$JP_HARNESS_DIR/pcscd.out" "$JP_HARNESS_DIR/emu.out" >&2
		return 1
	fi
	JP_READER=$(_jp_card_reader)
	export JP_READER
	_jp_note_inserted
}

# "PRESENT EVENTS" of the reader JP_READER ("" when it is not listed).
_jp_reader_state() {
	_jp_probe --list 2>/dev/null |
		awk -F '\t' -v r="$JP_READER" 'NR > 1 && $4 == r { print $1 " " $2; exit }'
}

# Remembers the reader's event counter while the card is in: a removal is
# over only when pcscd's event handler has counted it (_jp_wait_removed).
_jp_note_inserted() {
	JP_CARD_EVENTS=$(_jp_reader_state | cut -d " " -f 2)
}

# Waits (up to 10 s) until the card is out of JP_READER as pcscd's event
# handler sees it, not only as the reader state says. A program whose
# SCardReconnect failed because the card vanished mid-command makes pcscd
# write "absent" into the reader state itself; its event handler, which
# polls vpcd every 0.4 s, never saw the card go, so a card that comes back
# before that poll is never "inserted" and the reader shows no card until
# the next removal (doc/pcscd-testing.md). The event counter moves only
# when the handler saw the removal.
_jp_wait_removed() {
	if [ -z "$JP_READER" ]; then
		_jp_probe --wait-absent 10 >/dev/null
		return
	fi
	_jp_w=0
	while [ "$_jp_w" -lt 100 ]; do
		_jp_s=$(_jp_reader_state)
		if [ "${_jp_s%% *}" = 0 ] &&
			{ [ -z "$JP_CARD_EVENTS" ] || [ "${_jp_s#* }" != "$JP_CARD_EVENTS" ]; }; then
			return 0
		fi
		sleep 0.1
		_jp_w=$((_jp_w + 1))
	done
	_jp_log "the card did not leave $JP_READER within 10 s (state '$_jp_s', events before $JP_CARD_EVENTS)"
	return 1
}

# Kills the test's processes if the shell that started them dies without
# running its traps (SIGKILL, a crashed test driver).
_jp_start_watchdog() {
	_jp_parent=$$
	(
		_s=
		trap '[ -n "$_s" ] && kill "$_s" 2>/dev/null && wait "$_s"; exit 0' TERM
		while kill -0 "$_jp_parent" 2>/dev/null; do
			sleep 1 &
			_s=$!
			wait "$_s"
		done
		for _p in $(cat "$JP_HARNESS_DIR/emu.pid" "$JP_HARNESS_DIR/pcscd.pid" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
		rm -rf "$JP_HARNESS_DIR"
	) >/dev/null 2>&1 </dev/null &
	JP_WATCHDOG_PID=$!
}

# Starts pcscd in the background (in its namespaces when possible). A
# function of its own: it rewrites the positional parameters.
_jp_launch_pcscd() {
	# The inner shell records its PID (which exec turns into
	# systemd-socket-activate, then pcscd: neither forks), gives the
	# namespace a loopback and pcscd a private /run.
	_inner='echo $$ >"$0/pcscd.pid"
		if [ -n "$1" ]; then
			ip link set lo up || exit 1
			mount -t tmpfs -o mode=0755 jp-pcscd-run /run || exit 1
		fi
		exec "$2" -l "$0/pcscd.comm" "$3" --foreground --config "$0/reader.conf.d"'
	# Without a mount namespace pcscd makes /run/pcscd itself: remove
	# it again at the end if it was not there before.
	JP_RUN_DIR_MADE=0
	if [ -z "$JP_NS_MODE" ] && [ ! -d /run/pcscd ]; then
		JP_RUN_DIR_MADE=1
	fi
	case "$JP_NS_MODE" in
	root)
		JP_NSENTER_FLAGS=--net
		set -- unshare --net --mount --propagation private ;;
	user)
		JP_NSENTER_FLAGS="--user --net"
		set -- unshare --user --map-root-user --net --mount --propagation private ;;
	*)
		JP_NSENTER_FLAGS=
		set -- ;;
	esac
	setsid "$@" sh -c "$_inner" "$JP_HARNESS_DIR" "$JP_NS_MODE" "$JP_SSA" "$PCSCD" \
		>"$JP_HARNESS_DIR/pcscd.out" 2>&1 </dev/null &
}

# Makes the scratch directory and exports PCSCLITE_CSOCK_NAME before pcscd
# runs (a test can start a client first); jp_pcscd_start calls it too.
# Sets the EXIT/INT/TERM traps that tear everything down.
jp_harness_prepare() {
	if [ -n "$JP_HARNESS_DIR" ] && [ -d "$JP_HARNESS_DIR" ]; then
		return 0
	fi
	JP_HARNESS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jp-pcscd.XXXXXX") || return 1
	chmod 0755 "$JP_HARNESS_DIR"
	JP_CARD_DIR=${JP_CARD_DIR:-$top_srcdir/tests/emu/cards/$JP_HARNESS_CARD}
	JP_EMU_LOG=$JP_HARNESS_DIR/apdu.log
	PCSCLITE_CSOCK_NAME=$JP_HARNESS_DIR/pcscd.comm
	export JP_HARNESS_DIR JP_CARD_DIR JP_EMU_LOG PCSCLITE_CSOCK_NAME
	trap 'jp_pcscd_stop' EXIT
	trap 'jp_pcscd_stop; trap - EXIT; exit 130' INT
	trap 'jp_pcscd_stop; trap - EXIT; exit 143' TERM
}

jp_pcscd_start() {
	_reason=$(jp_harness_skip_reason)
	if [ -n "$_reason" ]; then
		_jp_log "cannot start: $_reason"
		return 77
	fi
	JP_NS_MODE=$(_jp_ns_mode)
	jp_harness_prepare || return 1

	# Inside our own network namespace any port will do; without one,
	# pick one nobody listens on (vpcd takes PORT and PORT+1).
	if [ -n "$JP_NS_MODE" ]; then
		JP_HARNESS_PORT_USED=${JP_HARNESS_PORT:-35963}
	else
		JP_HARNESS_PORT_USED=${JP_HARNESS_PORT:-$(_jp_free_port)}
	fi

	mkdir -p "$JP_HARNESS_DIR/reader.conf.d" "$JP_HARNESS_DIR/run"
	cat >"$JP_HARNESS_DIR/reader.conf.d/jpki-emu" <<EOF
FRIENDLYNAME "JPKI Emulator"
DEVICENAME   /dev/null:$JP_HARNESS_PORT_USED
LIBPATH      $JP_VPCD_DRIVER
CHANNELID    $JP_HARNESS_PORT_USED
EOF

	_jp_launch_pcscd
	if ! _jp_wait_pidfile "$JP_HARNESS_DIR/pcscd.pid" 50; then
		_jp_log "pcscd did not start; its output:"
		sed 's/^/#   /' "$JP_HARNESS_DIR/pcscd.out" >&2
		return 1
	fi
	JP_PCSCD_PID=$(cat "$JP_HARNESS_DIR/pcscd.pid")
	export JP_PCSCD_PID
	_jp_start_watchdog

	if ! _jp_probe --wait-readers 10 >/dev/null; then
		_jp_log "pcscd shows no reader; its output:"
		sed 's/^/#   /' "$JP_HARNESS_DIR/pcscd.out" >&2
		return 1
	fi
	_jp_start_emu "$@" || return 1
	_jp_log "pcscd $JP_PCSCD_PID, emulator $JP_EMU_PID, reader '$JP_READER', socket $PCSCLITE_CSOCK_NAME"
}

_jp_free_port() {
	# Without a namespace: a random high port pair that nothing listens on.
	_p=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 40000 ))
	while ss -ltnH 2>/dev/null | awk '{print $4}' | grep -Eq ":($_p|$((_p + 1)))\$"; do
		_p=$((_p + 2))
	done
	echo "$_p"
}

jp_emu_restart() {
	_jp_kill_wait "$JP_EMU_PID"
	JP_EMU_PID=
	_jp_wait_removed || true
	_jp_start_emu "$@"
}

# Stops pcscd and starts a new one on the same socket (and a new emulator:
# the old one lived in the old network namespace). Clients keep running.
jp_pcscd_restart() {
	_jp_kill_wait "$JP_EMU_PID"
	JP_EMU_PID=
	_jp_kill_wait "$JP_PCSCD_PID"
	JP_PCSCD_PID=
	rm -f "$JP_HARNESS_DIR/pcscd.pid" "$JP_HARNESS_DIR/pcscd.comm"
	_jp_launch_pcscd
	if ! _jp_wait_pidfile "$JP_HARNESS_DIR/pcscd.pid" 50; then
		_jp_log "pcscd did not restart"
		return 1
	fi
	JP_PCSCD_PID=$(cat "$JP_HARNESS_DIR/pcscd.pid")
	export JP_PCSCD_PID
	_jp_probe --wait-readers 10 >/dev/null || return 1
	_jp_start_emu "$@"
}

jp_card_remove() {
	kill -USR1 "$JP_EMU_PID" || return 1
	_jp_wait_removed
}

jp_card_insert() {
	kill -USR2 "$JP_EMU_PID" || return 1
	_jp_probe -r "$JP_READER" --wait-card 10 >/dev/null || return 1
	_jp_note_inserted
}

jp_pcscd_stop() {
	# Idempotent: traps and tests may both call it.
	_jp_kill_wait "$JP_EMU_PID"
	JP_EMU_PID=
	_jp_kill_wait "$JP_PCSCD_PID"
	JP_PCSCD_PID=
	if [ "${JP_RUN_DIR_MADE:-0}" = 1 ]; then
		rmdir /run/pcscd 2>/dev/null
		JP_RUN_DIR_MADE=0
	fi
	if [ -n "$JP_WATCHDOG_PID" ]; then
		kill "$JP_WATCHDOG_PID" 2>/dev/null
		wait "$JP_WATCHDOG_PID" 2>/dev/null
		JP_WATCHDOG_PID=
	fi
	if [ -n "$JP_HARNESS_DIR" ] && [ -d "$JP_HARNESS_DIR" ]; then
		if [ "${JP_HARNESS_KEEP:-0}" = 1 ]; then
			_jp_log "kept $JP_HARNESS_DIR"
		else
			rm -rf "$JP_HARNESS_DIR"
		fi
	fi
	JP_HARNESS_DIR=
}
