/* jpki-emu-vpcd: the emulated JPKI card behind the real pcscd, through
 * vsmartcard's vpcd reader driver (doc/pcscd-testing.md).
 *
 * vpcd listens on PORT; we connect to 127.0.0.1:PORT (loopback only) and
 * are "the card in the reader" while connected. Every message either way is
 * a 2-byte big-endian length and that many bytes. A 1-byte message from vpcd
 * is a control code (0 power off, 1 power on, 2 reset, 4 send the ATR);
 * anything longer is a command APDU, answered with the response APDU.
 *
 * Signals: SIGUSR1 removes the card (closes the connection, stays out),
 * SIGUSR2 inserts it again, SIGTERM/SIGINT exit cleanly. A dropped
 * connection is reconnected for --retry-secs unless --exit-on-close.
 * --drop-nth over vpcd: the connection drops (see serve()). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "jpki/sleep.h"
#include "emu.h"

static volatile sig_atomic_t want_quit, want_remove, want_insert;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_remove = 1;
	else if (sig == SIGUSR2)
		want_insert = 1;
	else
		want_quit = 1;
}

static void quickack(int fd)
{
	int one = 1;
	/* vpcd sends length and payload in two writes with Nagle on; without
	 * an immediate ACK each APDU waits ~40 ms. The flag resets itself, so
	 * set it after every read. */
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/* 0 = got n bytes; -1 = connection closed or failed; -2 = interrupted by
 * a signal that wants attention. */
static int recv_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR) {
			if (want_quit || want_remove)
				return -2;
			continue;
		}
		if (r <= 0)
			return -1;
		quickack(fd);
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_msg(int fd, const uint8_t *p, size_t n)
{
	uint8_t *buf = malloc(n + 2);
	size_t off = 0;
	int rc = -1;

	if (buf == NULL || n > 0xFFFF)
		goto out;
	buf[0] = (uint8_t)(n >> 8);
	buf[1] = (uint8_t)n;
	memcpy(buf + 2, p, n);
	while (off < n + 2) {
		ssize_t w = send(fd, buf + off, n + 2 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static int connect_once(unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	quickack(fd);
	return fd;
}

/* Retries for retry_secs; -1 when giving up or asked to quit/remove. */
static int connect_retry(unsigned port, unsigned retry_secs)
{
	time_t end = time(NULL) + (time_t)retry_secs;
	int fd;

	for (;;) {
		fd = connect_once(port);
		if (fd >= 0 || want_quit || want_remove || time(NULL) >= end)
			break;
		jp_sleep_ms(100);
	}
	return fd;
}

typedef enum served { SERVED_CLOSED, SERVED_REMOVED, SERVED_QUIT } served;

/* One connection = the card sitting in the reader. */
static served serve(jp_emu *e, int fd, uint8_t *rsp, int verbose)
{
	uint8_t hdr[2];
	uint8_t *cmd = malloc(65536);
	served how = SERVED_CLOSED;

	if (cmd == NULL)
		goto out;
	for (;;) {
		size_t n = 0;
		int r = recv_all(fd, hdr, 2);
		if (r == 0) {
			n = ((size_t)hdr[0] << 8) | hdr[1];
			r = recv_all(fd, cmd, n);
		}
		if (r == -2) {
			how = want_quit ? SERVED_QUIT : SERVED_REMOVED;
			break;
		}
		if (r != 0)
			break;
		if (n == 1) {
			size_t atr_len;
			const uint8_t *atr;
			switch (cmd[0]) {
			case 0: jp_emu_power_off(e); break;
			case 1: jp_emu_power_on(e); break;
			case 2: jp_emu_reset(e); break;
			case 4:
				atr = jp_emu_atr(e, &atr_len);
				if (send_msg(fd, atr, atr_len) != 0)
					goto out;
				break;
			default:
				if (verbose)
					fprintf(stderr, "jpki-emu-vpcd: unknown control %u\n", cmd[0]);
				break;
			}
		} else if (n > 1) {
			long m = jp_emu_apdu(e, cmd, n, rsp);
			if (m < 0 && jp_emu_removed(e)) {
				how = SERVED_REMOVED;   /* remove_nth: pull the card */
				break;
			}
			/* drop_nth: no answer. vpcd has no timeout (and hangs
			 * on an empty answer), so the contact is lost instead:
			 * the connection closes and we come back at once, which
			 * PC/SC shows as a quick removal and re-insertion. */
			if (m < 0)
				break;
			if (send_msg(fd, rsp, (size_t)m) != 0)
				break;
		}
		if (want_quit) {
			how = SERVED_QUIT;
			break;
		}
		if (want_remove) {
			how = SERVED_REMOVED;
			break;
		}
	}
out:
	free(cmd);
	return how;
}

static void usage(FILE *f)
{
	fputs("usage: jpki-emu-vpcd --port N --card DIR [options]\n"
	      "  --state FILE        PIN counters persist here\n"
	      "  --log FILE          APDU log (PIN bodies masked)\n"
	      "  --pid-file FILE     write our PID\n"
	      "  --retry-secs N      keep reconnecting this long (default 30)\n"
	      "  --exit-on-close     exit when vpcd closes the connection\n"
	      "  --verbose\n"
	      "card options:\n"
	      "  --no-extended  --no-sign=notfound|denied|empty|certs-absent  --filler N\n"
	      "  --blocked-sw 63C0|6984 (the retry query)  --blocked-verify-sw 6984|63C0 (a PIN)\n"
	      "  --clear-on-reset  --clear-on-reselect\n"
	      "  --kind=mynumber|android|iphone|juki|not-jpki  (--juki, --not-jpki)\n"
	      "  --ef0008=auto|absent|both|nosign  --ef0006=record|label\n"
	      "  --pss (P1 01..05)  --sign-p1-off=LIST (e.g. 00,04: those P1 answer 6A86)\n"
	      "  --no-sfi[=6A86|6A82]  (sign by P2 80|SFI refused with that; default 6A86)\n"
	      "  --latency-us N  --sign-latency-us N\n"
	      "  --garble-signatures  --remove-after N (removed before APDU N+1)\n"
	      "  --fail-nth N  --garble-nth N  --drop-nth N  --short-nth N  --remove-nth N\n"
	      "  --expire-in DAYS [--valid-from DAYS]  certificates re-dated from today (JST)\n"
	      "signals: SIGUSR1 remove the card, SIGUSR2 insert it, SIGTERM exit\n", f);
}

enum {
	O_PORT = 256, O_CARD, O_STATE, O_LOG, O_PID, O_RETRY, O_EXIT_CLOSE, O_VERBOSE,
	O_NO_EXT, O_NO_SIGN, O_FILLER, O_BLOCKED, O_CLR_RESET, O_CLR_RESEL, O_JUKI,
	O_NOT_JPKI, O_PSS, O_LAT, O_SIGN_LAT, O_GARBLE_SIG, O_REMOVE_AFTER, O_FAIL,
	O_GARBLE, O_DROP, O_SHORT, O_REMOVE, O_HELP, O_KIND, O_EF0008, O_EF0006, O_P1_OFF,
	O_NO_SFI, O_EXPIRE_IN, O_VALID_FROM, O_BLOCKED_VERIFY,
};

static const struct option longopts[] = {
	{ "port", required_argument, NULL, O_PORT },
	{ "card", required_argument, NULL, O_CARD },
	{ "state", required_argument, NULL, O_STATE },
	{ "log", required_argument, NULL, O_LOG },
	{ "pid-file", required_argument, NULL, O_PID },
	{ "retry-secs", required_argument, NULL, O_RETRY },
	{ "exit-on-close", no_argument, NULL, O_EXIT_CLOSE },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "no-extended", no_argument, NULL, O_NO_EXT },
	{ "no-sign", required_argument, NULL, O_NO_SIGN },
	{ "filler", required_argument, NULL, O_FILLER },
	{ "blocked-sw", required_argument, NULL, O_BLOCKED },
	{ "blocked-verify-sw", required_argument, NULL, O_BLOCKED_VERIFY },
	{ "clear-on-reset", no_argument, NULL, O_CLR_RESET },
	{ "clear-on-reselect", no_argument, NULL, O_CLR_RESEL },
	{ "juki", no_argument, NULL, O_JUKI },
	{ "not-jpki", no_argument, NULL, O_NOT_JPKI },
	{ "pss", no_argument, NULL, O_PSS },
	{ "latency-us", required_argument, NULL, O_LAT },
	{ "sign-latency-us", required_argument, NULL, O_SIGN_LAT },
	{ "garble-signatures", no_argument, NULL, O_GARBLE_SIG },
	{ "remove-after", required_argument, NULL, O_REMOVE_AFTER },
	{ "fail-nth", required_argument, NULL, O_FAIL },
	{ "garble-nth", required_argument, NULL, O_GARBLE },
	{ "drop-nth", required_argument, NULL, O_DROP },
	{ "short-nth", required_argument, NULL, O_SHORT },
	{ "remove-nth", required_argument, NULL, O_REMOVE },
	{ "help", no_argument, NULL, O_HELP },
	{ "kind", required_argument, NULL, O_KIND },
	{ "ef0008", required_argument, NULL, O_EF0008 },
	{ "ef0006", required_argument, NULL, O_EF0006 },
	{ "sign-p1-off", required_argument, NULL, O_P1_OFF },
	{ "no-sfi", optional_argument, NULL, O_NO_SFI },
	{ "expire-in", required_argument, NULL, O_EXPIRE_IN },
	{ "valid-from", required_argument, NULL, O_VALID_FROM },
	{ NULL, 0, NULL, 0 },
};

/* NAME=VALUE tables for the card options. */
typedef struct name_val {
	const char *name;
	int val;
} name_val;

static const name_val kinds[] = {
	{ "mynumber", JP_EMU_MYNUMBER }, { "android", JP_EMU_ANDROID },
	{ "iphone", JP_EMU_IPHONE }, { "juki", JP_EMU_JUKI }, { "not-jpki", JP_EMU_NOT_JPKI },
	{ NULL, 0 },
};
static const name_val ef0008s[] = {
	{ "auto", JP_EMU_EF0008_AUTO }, { "absent", JP_EMU_EF0008_ABSENT },
	{ "both", JP_EMU_EF0008_BOTH }, { "nosign", JP_EMU_EF0008_NO_SIGN }, { NULL, 0 },
};
static const name_val ef0006s[] = { { "record", 0 }, { "label", 1 }, { NULL, 0 } };

static int lookup(const name_val *t, const char *s, int *out)
{
	for (; t->name != NULL; t++) {
		if (strcmp(t->name, s) == 0) {
			*out = t->val;
			return 0;
		}
	}
	return -1;
}

/* "00,04": a bit per P1 value 00..05. */
static int p1_list(const char *s, unsigned *mask)
{
	char buf[64], *tok, *save = NULL;
	unsigned long v;
	char *end;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		v = strtoul(tok, &end, 16);
		if (*tok == '\0' || *end != '\0' || v > 5)
			return -1;
		*mask |= 1u << v;
	}
	return 0;
}

static int num(const char *s, unsigned long *out, int base)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, base);
	return (errno == 0 && *s != '\0' && *end == '\0') ? 0 : -1;
}

/* A signed day count within a century. */
static int days(const char *s, int *out)
{
	char *end;
	long d;

	errno = 0;
	d = strtol(s, &end, 10);
	*out = (int)d;
	return (errno == 0 && *s != '\0' && *end == '\0' && d > -36500 && d < 36500) ? 0 : -1;
}

int main(int argc, char **argv)
{
	jp_emu_options o;
	const char *card = NULL, *state = NULL, *logpath = NULL, *pidfile = NULL;
	unsigned long port = 0, retry = 30, v;
	int exit_on_close = 0, verbose = 0, c, rc = 2, fd = -1, inserted = 1, iv = 0;
	int got_expire = 0, got_from = 0;
	jp_emu *e = NULL;
	uint8_t *rsp = NULL;
	struct sigaction sa;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case O_PORT: bad = num(optarg, &port, 10) || port == 0 || port > 65535; break;
		case O_CARD: card = optarg; break;
		case O_STATE: state = optarg; break;
		case O_LOG: logpath = optarg; break;
		case O_PID: pidfile = optarg; break;
		case O_RETRY: bad = num(optarg, &retry, 10); break;
		case O_EXIT_CLOSE: exit_on_close = 1; break;
		case O_VERBOSE: verbose = 1; break;
		case O_NO_EXT: o.no_extended = 1; break;
		case O_NO_SIGN:
			if (strcmp(optarg, "notfound") == 0)
				o.no_sign = JP_EMU_SIGN_NOT_FOUND;
			else if (strcmp(optarg, "denied") == 0)
				o.no_sign = JP_EMU_SIGN_DENIED;
			else if (strcmp(optarg, "empty") == 0)
				o.no_sign = JP_EMU_SIGN_EMPTY;
			else if (strcmp(optarg, "certs-absent") == 0)
				o.no_sign = JP_EMU_SIGN_CERTS_ABSENT;
			else
				bad = 1;
			break;
		case O_FILLER: bad = num(optarg, &v, 10) || v > 16384; o.cert_filler = v; break;
		case O_BLOCKED:
			bad = num(optarg, &v, 16) || (v != 0x63C0 && v != 0x6984 && v != 0x6983);
			o.blocked_query_sw = (uint16_t)v;
			break;
		case O_BLOCKED_VERIFY:
			bad = num(optarg, &v, 16) || (v != 0x63C0 && v != 0x6984 && v != 0x6983);
			o.blocked_verify_sw = (uint16_t)v;
			break;
		case O_CLR_RESET: o.clear_on_reset = 1; break;
		case O_CLR_RESEL: o.clear_on_reselect = 1; break;
		case O_JUKI: o.kind = JP_EMU_JUKI; break;
		case O_NOT_JPKI: o.kind = JP_EMU_NOT_JPKI; break;
		case O_PSS: o.pss = 1; break;
		case O_LAT: bad = num(optarg, &v, 10); o.latency_apdu_us = (unsigned)v; break;
		case O_SIGN_LAT: bad = num(optarg, &v, 10); o.latency_sign_us = (unsigned)v; break;
		case O_GARBLE_SIG: o.garble_signatures = 1; break;
		case O_REMOVE_AFTER: bad = num(optarg, &v, 10); o.remove_nth = v + 1; break;
		case O_FAIL: bad = num(optarg, &o.fail_nth, 10); break;
		case O_GARBLE: bad = num(optarg, &o.garble_nth, 10); break;
		case O_DROP: bad = num(optarg, &o.drop_nth, 10); break;
		case O_SHORT: bad = num(optarg, &o.short_nth, 10); break;
		case O_REMOVE: bad = num(optarg, &o.remove_nth, 10); break;
		case O_EXPIRE_IN: bad = days(optarg, &o.expire_days); o.validity = got_expire = 1; break;
		case O_VALID_FROM: bad = days(optarg, &o.valid_from_days); o.validity = got_from = 1; break;
		case O_HELP: usage(stdout); rc = 0; goto out;
		case O_KIND: bad = lookup(kinds, optarg, &iv); o.kind = (jp_emu_kind)iv; break;
		case O_EF0008: bad = lookup(ef0008s, optarg, &iv); o.ef0008 = (jp_emu_ef0008)iv; break;
		case O_EF0006: bad = lookup(ef0006s, optarg, &iv); o.ef0006_label_only = iv; break;
		case O_P1_OFF: bad = p1_list(optarg, &o.sign_p1_off); break;
		case O_NO_SFI:
			v = 0x6A86;
			bad = optarg && (num(optarg, &v, 16) || (v != 0x6A86 && v != 0x6A82));
			o.no_sfi_sw = (uint16_t)v;
			break;
		default: bad = 1; break;
		}
		if (bad) {
			fprintf(stderr, "jpki-emu-vpcd: bad option or value (%s)\n",
			        optarg ? optarg : argv[optind - 1]);
			usage(stderr);
			goto out;
		}
	}
	/* Unless said: issued a year ago, expiring in about three years. */
	if (o.validity && !got_from)
		o.valid_from_days = -365;
	if (o.validity && !got_expire)
		o.expire_days = 1000;
	if (port == 0 || card == NULL || optind != argc) {
		usage(stderr);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: recv must see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = 1;
	e = jp_emu_new(card, &o, state);
	rsp = malloc(JP_EMU_RSP_MAX);
	if (e == NULL || rsp == NULL)
		goto out;
	if (logpath != NULL && jp_emu_log_to(e, logpath) != 0) {
		fprintf(stderr, "jpki-emu-vpcd: cannot open %s\n", logpath);
		goto out;
	}
	jp_emu_power_off(e);
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");
		if (f == NULL) {
			fprintf(stderr, "jpki-emu-vpcd: cannot write %s\n", pidfile);
			goto out;
		}
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}

	while (!want_quit) {
		served how;
		if (want_remove) {
			want_remove = 0;
			want_insert = 0;
			inserted = 0;
		}
		if (want_insert) {
			want_insert = 0;
			inserted = 1;
			if (jp_emu_removed(e))
				jp_emu_reinsert(e);
		}
		if (!inserted) {
			jp_sleep_ms(50);
			continue;
		}
		fd = connect_retry((unsigned)port, (unsigned)retry);
		if (fd < 0) {
			if (want_quit || want_remove)
				continue;
			fprintf(stderr, "jpki-emu-vpcd: cannot connect to 127.0.0.1:%lu\n", port);
			goto out;
		}
		if (verbose)
			fprintf(stderr, "jpki-emu-vpcd: card inserted (connected to port %lu)\n", port);
		how = serve(e, fd, rsp, verbose);
		close(fd);
		fd = -1;
		/* Out of the reader: no power, the verified state is gone. */
		if (!jp_emu_removed(e))
			jp_emu_power_off(e);
		if (verbose)
			fprintf(stderr, "jpki-emu-vpcd: card out (%s)\n",
			        how == SERVED_QUIT ? "exit" : how == SERVED_REMOVED ? "removed" :
			        "connection closed");
		if (how == SERVED_REMOVED) {
			want_remove = 0;
			inserted = 0;
		} else if (how == SERVED_CLOSED && exit_on_close) {
			break;
		} else if (how == SERVED_CLOSED) {
			jp_sleep_ms(100);
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (pidfile != NULL && rc == 0)
		unlink(pidfile);
	jp_emu_free(e);
	free(rsp);
	return rc;
}
