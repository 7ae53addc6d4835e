/* pcsc-probe: a small PC/SC client over the project's REAL backend
 * (jp_transport_default_ops from libjptransport-pcsc.la). The e2e harness
 * uses it to wait for the emulated card; tests use it as "another process"
 * that resets the card or sends raw APDUs behind the module's back.
 *
 *   pcsc-probe [options] [APDU-HEX ...]
 *     -l, --list             print "N readers", then per reader:
 *                            present<TAB>events<TAB>ATR<TAB>name
 *     -r, --reader NAME      use the reader whose name contains NAME
 *                            (default: the first one with a card)
 *     --wait-card SECS       wait until some reader has a card
 *     --wait-absent SECS     wait until no reader (or the -r one) has a card
 *     --wait-readers SECS    wait until at least one reader exists (works
 *                            when pcscd is started after this program);
 *                            prints "no readers yet" if it has to wait
 *     --wait-cycle SECS      wait until there are readers (prints "ready"),
 *                            then until they are gone (pcscd stopped) and
 *                            back again, on one context; prints "gone"
 *                            and "back"
 *     --wait-change MS       wait for a change from the current state;
 *                            prints "change" or "timeout"
 *     --unpower              connect, power-cycle the card
 *     --hold MS              hold a PC/SC transaction for MS ms (after the
 *                            APDUs, before disconnecting)
 *     -i, --stdin            read more APDUs from stdin, one per line
 *   Each response is printed as one line of hex (data + SW). Exit 0 on
 *   success, 1 on a PC/SC error (message on stderr), 2 on bad usage. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jpki/log.h"
#include "jpki/sleep.h"
#include "jpki/transport.h"

typedef struct probe_opts {
	int list;
	const char *reader;
	int wait_card, wait_absent, wait_readers, wait_cycle;   /* seconds, -1 = no */
	long wait_change;                           /* ms, -1 = no */
	int unpower;
	long hold;                                  /* ms, -1 = no */
	int use_stdin;
} probe_opts;

static unsigned long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02X", p[i]);
}

/* Parses hex with optional spaces/colons. Returns the length, or -1. */
static long parse_hex(const char *s, uint8_t *out, size_t cap)
{
	long n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s) || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			if ((size_t)n >= cap)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? n : -1;
}

static void fail(const char *what, jp_err e)
{
	fprintf(stderr, "pcsc-probe: %s: %s (%d)\n", what, jp_err_str(e), (int)e);
}

static const jp_reader_status *pick(const jp_reader_status *rs, size_t n, const char *want,
                                    int need_card)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (want && !strstr(rs[i].name, want))
			continue;
		if (need_card && !rs[i].present)
			continue;
		return &rs[i];
	}
	return NULL;
}

/* Waits (up to secs) until cond(list) holds. */
typedef int (*list_cond)(const jp_reader_status *rs, size_t n, const char *want);

static int cond_card(const jp_reader_status *rs, size_t n, const char *want)
{
	return pick(rs, n, want, 1) != NULL;
}

static int cond_absent(const jp_reader_status *rs, size_t n, const char *want)
{
	return pick(rs, n, want, 1) == NULL;
}

static int cond_no_readers(const jp_reader_status *rs, size_t n, const char *want)
{
	(void)rs;
	(void)want;
	return n == 0;
}

static int cond_readers(const jp_reader_status *rs, size_t n, const char *want)
{
	(void)rs;
	(void)want;
	return n > 0;
}

/* miss (may be NULL) is printed once, when the first listing does not
 * satisfy cond: a caller that must act only once this program is waiting
 * (start pcscd after it, say) waits for that line instead of sleeping. */
static jp_err wait_for(jp_transport *t, list_cond cond, const char *want, int secs,
                       const char *miss)
{
	const jp_transport_ops *ops = t->ops;
	unsigned long long end = mono_ms() + (unsigned long long)secs * 1000ull;
	jp_reader_status *rs = NULL;
	size_t n = 0;
	jp_err rc;

	for (;;) {
		unsigned long long now;

		free(rs);
		rs = NULL;
		rc = ops->list_readers(t, &rs, &n);
		if (rc != JP_OK)
			break;
		if (cond(rs, n, want))
			break;
		if (miss != NULL) {
			printf("%s\n", miss);
			fflush(stdout);
			miss = NULL;
		}
		now = mono_ms();
		if (now >= end) {
			rc = JP_E_TIMEOUT;
			break;
		}
		/* Woken by the change itself; bounded so a missed wake-up only
		 * costs a little time. */
		rc = ops->wait_change(t, rs, n, (unsigned)(end - now < 1000 ? end - now : 1000));
		if (rc != JP_OK && rc != JP_E_TIMEOUT)
			break;
	}
	free(rs);
	return rc;
}

static int do_apdu(jp_link *l, const char *hex)
{
	static uint8_t rsp[JP_RSP_MAX];
	uint8_t cmd[JP_CMD_MAX];
	size_t rl = sizeof(rsp);
	long cl = parse_hex(hex, cmd, sizeof(cmd));
	jp_err rc;

	if (cl < 4) {
		fprintf(stderr, "pcsc-probe: bad APDU '%s'\n", hex);
		return 2;
	}
	rc = jp_transport_transmit(l, cmd, (size_t)cl, rsp, &rl);
	if (rc != JP_OK) {
		fail("transmit", rc);
		return 1;
	}
	print_hex(stdout, rsp, rl);
	printf("\n");
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: pcsc-probe [-l] [-r READER] [--wait-card S] [--wait-absent S]\n"
	        "                  [--wait-readers S] [--wait-change MS] [--unpower]\n"
	        "                  [--hold MS] [-i] [APDU-HEX ...]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "reader", required_argument, NULL, 'r' },
		{ "wait-card", required_argument, NULL, 'C' },
		{ "wait-absent", required_argument, NULL, 'A' },
		{ "wait-readers", required_argument, NULL, 'R' },
		{ "wait-cycle", required_argument, NULL, 'Y' },
		{ "wait-change", required_argument, NULL, 'W' },
		{ "unpower", no_argument, NULL, 'U' },
		{ "hold", required_argument, NULL, 'H' },
		{ "stdin", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	probe_opts o = { 0, NULL, -1, -1, -1, -1, -1, 0, -1, 0 };
	const jp_transport_ops *ops = jp_transport_default_ops();
	jp_transport *t = NULL;
	jp_link *l = NULL;
	jp_reader_status *rs = NULL;
	size_t n = 0, i;
	int c, status = 0, in_tx = 0;
	jp_err rc;

	while ((c = getopt_long(argc, argv, "lr:ih", lopts, NULL)) != -1) {
		switch (c) {
		case 'l': o.list = 1; break;
		case 'r': o.reader = optarg; break;
		case 'C': o.wait_card = atoi(optarg); break;
		case 'A': o.wait_absent = atoi(optarg); break;
		case 'R': o.wait_readers = atoi(optarg); break;
		case 'Y': o.wait_cycle = atoi(optarg); break;
		case 'W': o.wait_change = atol(optarg); break;
		case 'U': o.unpower = 1; break;
		case 'H': o.hold = atol(optarg); break;
		case 'i': o.use_stdin = 1; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	jp_log_init();

	rc = ops->establish(&t);
	if (rc != JP_OK) {
		fail("establish", rc);
		status = 1;
		goto out;
	}
	if (o.wait_readers >= 0 &&
	    (rc = wait_for(t, cond_readers, NULL, o.wait_readers, "no readers yet")) != JP_OK) {
		fail("wait for readers", rc);
		status = 1;
		goto out;
	}
	if (o.wait_cycle >= 0) {
		/* The readers first, then "ready": the caller restarts pcscd only
		 * once this client holds a context that saw them (a test that
		 * just slept could restart pcscd before the probe looked, and
		 * then never see the readers go). */
		rc = wait_for(t, cond_readers, NULL, o.wait_cycle, NULL);
		if (rc == JP_OK) {
			printf("ready\n");
			fflush(stdout);
			rc = wait_for(t, cond_no_readers, NULL, o.wait_cycle, NULL);
		}
		if (rc == JP_OK) {
			printf("gone\n");
			fflush(stdout);
			rc = wait_for(t, cond_readers, NULL, o.wait_cycle, NULL);
		}
		if (rc != JP_OK) {
			fail("wait for pcscd to go and come back", rc);
			status = 1;
			goto out;
		}
		printf("back\n");
	}
	if (o.wait_card >= 0 && (rc = wait_for(t, cond_card, o.reader, o.wait_card, NULL)) != JP_OK) {
		fail("wait for a card", rc);
		status = 1;
		goto out;
	}
	if (o.wait_absent >= 0 &&
	    (rc = wait_for(t, cond_absent, o.reader, o.wait_absent, NULL)) != JP_OK) {
		fail("wait for no card", rc);
		status = 1;
		goto out;
	}
	if (o.wait_change >= 0) {
		rc = ops->list_readers(t, &rs, &n);
		if (rc == JP_OK)
			rc = ops->wait_change(t, rs, n, (unsigned)o.wait_change);
		free(rs);
		rs = NULL;
		if (rc != JP_OK && rc != JP_E_TIMEOUT) {
			fail("wait for a change", rc);
			status = 1;
			goto out;
		}
		printf("%s\n", rc == JP_OK ? "change" : "timeout");
	}
	if (o.list) {
		rc = ops->list_readers(t, &rs, &n);
		if (rc != JP_OK) {
			fail("list readers", rc);
			status = 1;
			goto out;
		}
		printf("%zu readers\n", n);
		for (i = 0; i < n; i++) {
			printf("%d\t%lu\t", rs[i].present, rs[i].events);
			print_hex(stdout, rs[i].atr, rs[i].atr_len);
			printf("\t%s\n", rs[i].name);
		}
		free(rs);
		rs = NULL;
	}

	if (optind >= argc && !o.unpower && o.hold < 0 && !o.use_stdin)
		goto out;

	rc = ops->list_readers(t, &rs, &n);
	if (rc == JP_OK) {
		const jp_reader_status *r = pick(rs, n, o.reader, 1);

		rc = r ? ops->connect(t, r->name, &l) : JP_E_NO_CARD;
	}
	if (rc != JP_OK) {
		fail("connect", rc);
		status = 1;
		goto out;
	}
	if (o.hold >= 0) {
		rc = ops->begin(l);
		if (rc != JP_OK) {
			fail("begin transaction", rc);
			status = 1;
			goto out;
		}
		in_tx = 1;
	}
	for (i = (size_t)optind; i < (size_t)argc && status == 0; i++)
		status = do_apdu(l, argv[i]);
	if (o.use_stdin && status == 0) {
		char line[4 * JP_CMD_MAX];

		while (status == 0 && fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\r\n#")] = '\0';
			if (line[strspn(line, " \t")] == '\0')
				continue;
			status = do_apdu(l, line);
		}
	}
	if (o.unpower && status == 0) {
		rc = ops->unpower(l);
		if (rc != JP_OK) {
			fail("unpower", rc);
			status = 1;
		}
	}
	if (o.hold > 0)
		jp_sleep_ms((unsigned)o.hold);
out:
	if (in_tx)
		ops->end(l);
	if (l)
		ops->disconnect(l);
	free(rs);
	if (t)
		ops->release(t);
	return status;
}
