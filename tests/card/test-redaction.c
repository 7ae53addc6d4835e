/* Through the card layer with the most verbose log: no PIN (old, new,
 * normalized or as typed) and no byte of the signing certificate reaches
 * the log file. */
#include "config.h"

#include <unistd.h>

#include "jpki/log.h"
#include "card-test.h"
#include "tests/tap.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static void hex(const uint8_t *p, size_t n, const char *sep, int lower, char *out)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(out + strlen(out), lower ? "%s%02x" : "%s%02X", i ? sep : "", p[i]);
}

static int contains(const char *hay, size_t len, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; n > 0 && i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Whether the log holds the bytes of secret as ASCII (when check_ascii) or
 * as hex in any of the usual spellings. */
static int leaks(const char *log, size_t len, const uint8_t *secret, size_t n, int check_ascii)
{
	char h[4 * 64];
	int lower, sp;

	if (check_ascii && contains(log, len, secret, n))
		return 1;
	for (lower = 0; lower < 2; lower++)
		for (sp = 0; sp < 2; sp++) {
			hex(secret, n, sp ? " " : "", lower, h);
			if (contains(log, len, h, strlen(h)))
				return 1;
		}
	return 0;
}

int main(void)
{
	char path[] = "/tmp/jp-card-redaction-XXXXXX";
	char spec[200], *log;
	const char *pins[] = { fixture_pin(1, 0), fixture_pin(1, 1), "8642", "QZ7X9K", "qz7x9k" };
	size_t i, len = 0, slen, off;
	uint8_t *sign = fixture_file(1, "sign.der", &slen);
	const uint8_t *der;
	size_t der_len;
	int fd = mkstemp(path), cert_leak = 0;
	ct c;

	if (fd < 0)
		skip_all("no temporary file");
	close(fd);
	snprintf(spec, sizeof(spec), "level:5,file:%s", path);
	ok(jp_log_configure(spec) == 0, "trace log to %s", path);

	CT_START(&c, 1, NULL);
	is_int(c.open_rc, JP_OK, "open");
	is_int(ct_verify(&c, JP_KEY_AUTH, pins[0], NULL), JP_OK, "verify auth");
	is_int(jp_card_change_pin(c.card, JP_KEY_AUTH, (const uint8_t *)pins[0], strlen(pins[0]),
	                          (const uint8_t *)pins[2], 4, NULL), JP_OK, "change auth PIN");
	is_int(jp_card_change_pin(c.card, JP_KEY_AUTH, (const uint8_t *)pins[2], 4,
	                          (const uint8_t *)pins[0], strlen(pins[0]), NULL), JP_OK,
	       "and back");
	is_int(ct_verify(&c, JP_KEY_SIGN, pins[1], NULL), JP_OK, "verify signing password");
	is_int(jp_card_change_pin(c.card, JP_KEY_SIGN, (const uint8_t *)pins[1], strlen(pins[1]),
	                          (const uint8_t *)pins[4], 6, NULL), JP_OK,
	       "change signing password (typed lower-case)");
	is_int(ct_verify(&c, JP_KEY_SIGN, "wrong1", NULL), JP_E_PIN_INCORRECT, "a wrong one");
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &der_len), JP_E_SECURITY_STATUS,
	       "after a wrong VERIFY the signing cert is locked again");
	is_int(ct_verify(&c, JP_KEY_SIGN, pins[3], NULL), JP_OK, "verify the new password");
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &der_len), JP_OK,
	       "read the signing cert");
	ct_stop(&c);
	jp_log_shutdown();

	log = slurp(path, &len);
	ok(log != NULL && len > 0, "the log has %zu bytes", len);
	if (log) {
		ok(strstr(log, "00 20 00 80") || strstr(log, "002000") ||
		   strstr(log, "00 24 01 80"), "the log does show PIN commands (headers)");
		ok(!leaks(log, len, (const uint8_t *)pins[0], strlen(pins[0]), 0),
		   "auth PIN not in the log (hex)");
		ok(!leaks(log, len, (const uint8_t *)pins[2], 4, 0), "new auth PIN not in the log");
		for (i = 1; i < 5; i++)
			if (i != 2)
				ok(!leaks(log, len, (const uint8_t *)pins[i], strlen(pins[i]), 1),
				   "password '%s' not in the log (ASCII or hex)", pins[i]);
		ok(!leaks(log, len, (const uint8_t *)"WRONG1", 6, 1), "wrong password not logged");
		/* Any 12-byte window of the signing certificate. */
		for (off = 0; off + 12 <= slen; off += 12)
			if (leaks(log, len, sign + off, 12, 0))
				cert_leak = 1;
		ok(!cert_leak, "no 12-byte piece of the signing certificate in the log");
		free(log);
	}
	if (getenv("KEEP_LOG")) diag("kept %s", path); else unlink(path);
	free(sign);
	done_testing();
}
