/* src/common: APDU redaction, the JPKI_PKCS11_DEBUG spec, level filtering,
 * the log file (mode, close-on-exec, content), whole-line writes from many
 * threads, error strings and the byte-buffer helpers. */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jpki/error.h"
#include "jpki/log.h"
#include "jpki/mem.h"
#include "tests/tap.h"

/* PIN-like bodies chosen so that neither their hex nor their ASCII can
 * appear in a timestamp or a pid. */
static const uint8_t verify_auth[] = { 0x00, 0x20, 0x00, 0x80, 0x04, 'Q', 'W', 'E', 'Z' };
static const uint8_t verify_sign[] = { 0x00, 0x20, 0x00, 0x80, 0x09,
	'A', 'B', 'C', 'X', 'Y', 'Z', 'Q', 'R', 'S' };
static const uint8_t change_ref[] = { 0x80, 0x24, 0x01, 0x80, 0x04, 'K', 'J', 'H', 'G' };
static const uint8_t select_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A,
	0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
static const char select_ap_hex[] = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Whether some open descriptor of this process points at path, and if so
 * whether it has FD_CLOEXEC. -1: not found. */
static int cloexec_of(const char *path)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char link[300], target[PATH_MAX];
	int rc = -1;
	ssize_t n;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0) {
			int fl = fcntl(atoi(de->d_name), F_GETFD);
			rc = fl >= 0 && (fl & FD_CLOEXEC);
		}
	}
	closedir(d);
	return rc;
}

static void test_format(void)
{
	char out[256];
	static const uint8_t empty_verify[] = { 0x00, 0x20, 0x00, 0x80 };
	static const uint8_t ext_verify[] = { 0x00, 0x20, 0x00, 0x81, 0x00, 0x00, 0x04,
		'Q', 'W', 'E', 'Z' };
	static const uint8_t lying_lc[] = { 0x00, 0x20, 0x00, 0x80, 0x01, 'Q', 'W', 'E', 'Z' };
	static const uint8_t odd_ext[] = { 0x00, 0x20, 0x00, 0x80, 0x00, 'Q' };
	static const uint8_t rsp_like[] = { 0x00, 0x20, 0x00, 0x80, 0x04, 'Q', 'W', 0x90, 0x00 };
	static const uint8_t change_ext[] = { 0x0C, 0x24, 0x01, 0x80, 0x00, 0x00, 0x04,
		'K', 'J', 'H', 'G', 0x00, 0x00 };
	uint8_t big[300];
	size_t i;

	jp_log_format_apdu(out, sizeof(out), verify_auth, sizeof(verify_auth), 1);
	ok(strcmp(out, "00 20 00 80 04 ** redacted **") == 0, "VERIFY body redacted: %s", out);
	jp_log_format_apdu(out, sizeof(out), verify_sign, sizeof(verify_sign), 1);
	ok(strcmp(out, "00 20 00 80 09 ** redacted **") == 0, "signing VERIFY redacted: %s", out);
	jp_log_format_apdu(out, sizeof(out), change_ref, sizeof(change_ref), 1);
	ok(strcmp(out, "80 24 01 80 04 ** redacted **") == 0,
	   "CHANGE REFERENCE DATA redacted for CLA 80: %s", out);
	jp_log_format_apdu(out, sizeof(out), change_ext, sizeof(change_ext), 1);
	ok(strcmp(out, "0C 24 01 80 00 00 04 ** redacted **") == 0,
	   "extended CHANGE with secure-messaging CLA: %s", out);
	jp_log_format_apdu(out, sizeof(out), ext_verify, sizeof(ext_verify), 1);
	ok(strcmp(out, "00 20 00 81 00 00 04 ** redacted **") == 0, "extended Lc shown, body redacted: %s", out);
	jp_log_format_apdu(out, sizeof(out), lying_lc, sizeof(lying_lc), 1);
	ok(strcmp(out, "00 20 00 80 01 ** redacted **") == 0,
	   "everything after a too-short Lc is redacted: %s", out);
	jp_log_format_apdu(out, sizeof(out), odd_ext, sizeof(odd_ext), 1);
	ok(strcmp(out, "00 20 00 80 00 ** redacted **") == 0, "truncated extended header: %s", out);
	jp_log_format_apdu(out, sizeof(out), empty_verify, sizeof(empty_verify), 1);
	ok(strcmp(out, "00 20 00 80") == 0, "empty VERIFY (retry query) in full: %s", out);
	jp_log_format_apdu(out, sizeof(out), select_ap, sizeof(select_ap), 1);
	ok(strcmp(out, select_ap_hex) == 0, "SELECT in full: %s", out);
	jp_log_format_apdu(out, sizeof(out), rsp_like, sizeof(rsp_like), 0);
	ok(strcmp(out, "00 20 00 80 04 51 57 90 00") == 0, "responses are not redacted: %s", out);
	jp_log_format_apdu(out, sizeof(out), NULL, 0, 1);
	ok(strcmp(out, "") == 0, "empty APDU");

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	jp_log_format_apdu(out, sizeof(out), big, sizeof(big), 0);
	ok(strlen(out) < sizeof(out) && strcmp(out + strlen(out) - 4, " ...") == 0,
	   "long APDU ends in an ellipsis within the buffer (%zu chars)", strlen(out));
	ok(strncmp(out, "00 01 02 03", 11) == 0, "long APDU starts in full");

	/* Tiny buffers: terminated, never a PIN byte. */
	for (i = 1; i < 40; i++) {
		memset(out, 'x', sizeof(out));
		jp_log_format_apdu(out, i, verify_auth, sizeof(verify_auth), 1);
		if (strlen(out) >= i || strstr(out, "51") != NULL)
			break;
	}
	is_int(i, 40, "every buffer size 1..39 gives a terminated, redacted line");
	out[0] = 'x';
	jp_log_format_apdu(out, 0, verify_auth, sizeof(verify_auth), 1);
	ok(out[0] == 'x', "outlen 0 writes nothing");
}

static void test_spec(void)
{
	static const char *const bad[] = {
		"level:", "level:x", "lvl:3", "level:3,", "level:3,file:", "level:3;file:/tmp/x",
		"level:3 ", " level:3", "level:-1", "level:3,files:/tmp/x", "file:/tmp/x", "level:1234",
		"LEVEL:3",
	};
	size_t i;

	is_int(jp_log_configure("level:3"), 0, "level:3 accepted");
	is_int(jp_log_level(), 3, "level 3");
	is_int(jp_log_configure("level:9"), 0, "level:9 accepted");
	is_int(jp_log_level(), JP_LOG_TRACE, "level clamped to trace");
	is_int(jp_log_configure("level:0"), 0, "level:0 accepted");
	is_int(jp_log_level(), JP_LOG_OFF, "level 0 is off");
	is_int(jp_log_configure(NULL), 0, "NULL spec");
	is_int(jp_log_level(), JP_LOG_OFF, "NULL spec is off");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jp_log_configure("level:4");
		is_int(jp_log_configure(bad[i]), -1, "malformed spec \"%s\" refused", bad[i]);
		is_int(jp_log_level(), JP_LOG_OFF, "malformed spec \"%s\" leaves logging off", bad[i]);
	}

	/* The environment variable, through jp_log_init. */
	jp_log_shutdown();
	setenv("JPKI_PKCS11_DEBUG", "level:2", 1);
	jp_log_init();
	is_int(jp_log_level(), 2, "jp_log_init reads JPKI_PKCS11_DEBUG");
	setenv("JPKI_PKCS11_DEBUG", "level:4", 1);
	jp_log_init();
	is_int(jp_log_level(), 2, "jp_log_init is idempotent");
	jp_log_shutdown();
	is_int(jp_log_level(), JP_LOG_OFF, "shutdown turns logging off");
	setenv("JPKI_PKCS11_DEBUG", "level:x", 1);
	jp_log_init();
	is_int(jp_log_level(), JP_LOG_OFF, "malformed variable: off");
	jp_log_shutdown();
	unsetenv("JPKI_PKCS11_DEBUG");
	jp_log_init();
	is_int(jp_log_level(), JP_LOG_OFF, "no variable: off");
	jp_log_shutdown();
}

static void test_file(const char *dir)
{
	char path[PATH_MAX], spec[PATH_MAX + 32];
	static const uint8_t read_bin[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	static const uint8_t cert_rsp[] = { 0x30, 0x82, 0x05, 0x10, 'N', 'A', 'M', 'E', 'Q', 'Q',
		0x90, 0x00 };
	static const uint8_t get_rsp[] = { 0x00, 0xC0, 0x00, 0x00, 0x10 };
	static const uint8_t more_rsp[] = { 'A', 'D', 'D', 'R', 'Q', 'Q', 0x90, 0x00 };
	static const uint8_t sel_rsp[] = { 0x6F, 0x03, 0x84, 0x01, 0x77, 0x90, 0x00 };
	/* A signature is logged before the host checks it: a faulty one
	 * would give the key away, so its bytes never reach the log. */
	static const uint8_t sign_cmd[] = { 0x80, 0x2A, 0x00, 0x80, 0x04, 'T', 'B', 'S', 'D', 0x00 };
	static const uint8_t sign_rsp[] = { 'F', 'A', 'U', 'L', 'T', 'Y', 0x90, 0x00 };
	static const char *const secrets[] = {
		"51 57 45 5A", "5157455A", "QWEZ",
		"41 42 43 58 59 5A 51 52 53", "414243", "ABCXYZQRS",
		"4B 4A 48 47", "4B4A4847", "KJHG",
		"4E 41 4D 45", "NAME", "41 44 44 52", "ADDR",
		"46 41 55 4C", "FAULTY",
		"54 42 53 44", "TBSD",
	};
	struct stat st;
	char *log;
	size_t i;

	memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "%s/apdu.log", dir);
	snprintf(spec, sizeof(spec), "level:5,file:%s", path);
	is_int(jp_log_configure(spec), 0, "level:5,file:PATH accepted");
	is_int(jp_log_level(), JP_LOG_TRACE, "trace level");
	jp_log_apdu(">>", select_ap, sizeof(select_ap));
	jp_log_apdu("<<", sel_rsp, sizeof(sel_rsp));
	jp_log_apdu(">>", verify_auth, sizeof(verify_auth));
	jp_log_apdu(">>", verify_sign, sizeof(verify_sign));
	jp_log_apdu(">>", change_ref, sizeof(change_ref));
	jp_log_apdu(">>", read_bin, sizeof(read_bin));
	jp_log_apdu("<<", cert_rsp, sizeof(cert_rsp));
	jp_log_apdu(">>", get_rsp, sizeof(get_rsp));
	jp_log_apdu("<<", more_rsp, sizeof(more_rsp));
	jp_log_apdu(">>", sign_cmd, sizeof(sign_cmd));
	jp_log_apdu("<<", sign_rsp, sizeof(sign_rsp));
	JP_INFO("message with\na newline");

	i = stat(path, &st) == 0;
	ok(i && (st.st_mode & 0777) == 0600, "log file created with mode 0600 (%o)",
	   (unsigned)(st.st_mode & 0777));
	is_int(cloexec_of(path), 1, "log descriptor is close-on-exec");
	log = slurp(path);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		ok(strstr(log, secrets[i]) == NULL, "log file lacks \"%s\"", secrets[i]);
	ok(strstr(log, select_ap_hex) != NULL, "SELECT logged in full");
	ok(strstr(log, "6F 03 84 01 77 90 00") != NULL, "SELECT response logged in full");
	ok(strstr(log, "00 20 00 80 04 ** redacted **") != NULL, "VERIFY header logged");
	ok(strstr(log, "80 24 01 80 04 ** redacted **") != NULL, "CHANGE header logged");
	ok(strstr(log, "00 B0 00 00 00") != NULL, "READ BINARY command logged");
	ok(strstr(log, "** 10 data bytes not logged ** 90 00") != NULL, "READ BINARY data hidden, SW shown");
	ok(strstr(log, "** 6 data bytes not logged ** 90 00") != NULL, "GET RESPONSE data after READ BINARY hidden");
	ok(strstr(log, "80 2A 00 80 04 ** redacted **") != NULL,
	   "COMPUTE DIGITAL SIGNATURE header logged, the data to be signed is not");
	ok(strstr(log, "** 6 data bytes not logged ** 90 00\n") != NULL &&
	   strstr(log, "46 41") == NULL, "the signature is not logged, its SW is");
	ok(strstr(log, "INFO: message with a newline\n") != NULL, "one record per line");
	ok(strstr(log, "TRACE: >> [15] 00 A4") != NULL, "direction, length and level shown");
	is_int(count_lines(log), 12, "twelve lines");
	free(log);

	/* Level filtering: level 2 keeps errors and warnings only. */
	snprintf(spec, sizeof(spec), "level:2,file:%s/levels.log", dir);
	is_int(jp_log_configure(spec), 0, "level:2 with a file");
	ok(cloexec_of(path) == -1, "reconfiguring closed the first file");
	JP_ERROR("e-%d", 1);
	JP_WARN("w-%d", 2);
	JP_INFO("i-%d", 3);
	JP_DEBUG("d-%d", 4);
	JP_TRACE("t-%d", 5);
	jp_log_apdu(">>", select_ap, sizeof(select_ap));
	snprintf(path, sizeof(path), "%s/levels.log", dir);
	log = slurp(path);
	ok(strstr(log, "ERROR: e-1\n") != NULL, "error written");
	ok(strstr(log, "WARN: w-2\n") != NULL, "warning written");
	ok(strstr(log, "i-3") == NULL && strstr(log, "d-4") == NULL && strstr(log, "t-5") == NULL,
	   "info, debug, trace filtered");
	ok(strstr(log, "A4") == NULL, "APDUs not logged below trace");
	is_int(count_lines(log), 2, "two lines");
	free(log);
	jp_log_shutdown();
	JP_ERROR("after shutdown");
	log = slurp(path);
	ok(strstr(log, "after shutdown") == NULL, "nothing logged after shutdown");
	free(log);
}

static void test_stderr_fallback(const char *dir)
{
	char path[PATH_MAX];
	char *log;
	int saved = dup(STDERR_FILENO), fd;

	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	is_int(jp_log_configure("level:3,file:/nonexistent-dir/x/y.log"), 0, "unopenable file accepted");
	JP_INFO("to stderr %d", 42);
	jp_log_configure("level:1");
	JP_ERROR("plain level goes to stderr");
	JP_WARN("filtered");
	jp_log_shutdown();
	dup2(saved, STDERR_FILENO);
	close(saved);
	log = slurp(path);
	ok(strstr(log, "INFO: to stderr 42\n") != NULL, "unopenable file falls back to stderr");
	ok(strstr(log, "ERROR: plain level goes to stderr\n") != NULL, "level without file: stderr");
	ok(strstr(log, "filtered") == NULL, "stderr output is filtered too");
	free(log);
}

#define THREADS 8
#define LINES 500

static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg, i;
	char pad[200];

	memset(pad, 'a' + id, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (i = 0; i < LINES; i++)
		JP_INFO("thread %d line %d %s end", id, i, pad);
	return NULL;
}

static void test_threads(const char *dir)
{
	char path[PATH_MAX], spec[PATH_MAX + 32];
	pthread_t th[THREADS];
	char *log, *line, *save = NULL;
	int i, good = 0, total = 0;

	snprintf(path, sizeof(path), "%s/threads.log", dir);
	snprintf(spec, sizeof(spec), "level:3,file:%s", path);
	jp_log_configure(spec);
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	jp_log_shutdown();
	log = slurp(path);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *m = strstr(line, "] INFO: thread ");
		int id, n, k, ok_line = 0;
		if (m != NULL && sscanf(m, "] INFO: thread %d line %d %n", &id, &n, &k) == 2) {
			const char *p = m + k;
			int j;
			ok_line = 1;
			for (j = 0; j < 199; j++)
				ok_line &= p[j] == 'a' + id;
			ok_line &= strcmp(p + 199, " end") == 0;
		}
		good += ok_line;
		total++;
	}
	is_int(total, THREADS * LINES, "every line from %d threads present", THREADS);
	is_int(good, THREADS * LINES, "no line interleaved");
	free(log);
}

static void test_errors_and_mem(void)
{
	int e, distinct = 1, j;
	jp_buf b = { 0 };
	uint8_t secret[16];
	static const uint8_t data[] = { 1, 2, 3, 4, 5 };

	for (e = 0; e < JP_E__COUNT; e++) {
		const char *s = jp_err_str((jp_err)e);
		if (s == NULL || strcmp(s, "unknown error") == 0 || s[0] == '\0')
			distinct = 0;
		for (j = 0; j < e && distinct; j++)
			if (strcmp(s, jp_err_str((jp_err)j)) == 0)
				distinct = 0;
	}
	ok(distinct, "every jp_err has its own text");
	ok(strcmp(jp_err_str(JP_E_PIN_LOCKED), "PIN blocked") == 0, "PIN_LOCKED text");
	ok(strcmp(jp_err_str(JP_E__COUNT), "unknown error") == 0, "out of range: unknown");
	ok(strcmp(jp_err_str((jp_err)-1), "unknown error") == 0, "negative: unknown");

	memset(secret, 0xA5, sizeof(secret));
	jp_wipe(secret, sizeof(secret));
	for (j = 0; j < (int)sizeof(secret) && secret[j] == 0; j++)
		;
	is_int(j, sizeof(secret), "jp_wipe zeroes");
	jp_wipe(NULL, 5);

	is_int(jp_buf_set(&b, data, sizeof(data)), JP_OK, "buf_set");
	ok(b.len == 5 && b.data != data && memcmp(b.data, data, 5) == 0, "buf_set copies");
	is_int(jp_buf_set(&b, b.data + 1, 3), JP_OK, "buf_set from its own content");
	ok(b.len == 3 && memcmp(b.data, data + 1, 3) == 0, "aliasing copy correct");
	is_int(jp_buf_set(&b, NULL, 0), JP_OK, "buf_set empty");
	ok(b.len == 0 && b.data != NULL, "empty but allocated");
	is_int(jp_buf_set(&b, NULL, 3), JP_E_ARGS, "NULL data with length refused");
	jp_buf_free(&b);
	ok(b.data == NULL && b.len == 0, "buf_free zeroes the struct");
	jp_buf_free(&b);
	jp_buf_free(NULL);
}

int main(void)
{
	char dir[] = "/tmp/jp-test-log-XXXXXX";

	if (mkdtemp(dir) == NULL)
		skip_all("mkdtemp failed");
	umask(022);
	test_format();
	test_spec();
	test_file(dir);
	test_stderr_fallback(dir);
	test_threads(dir);
	test_errors_and_mem();
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	done_testing();
}
