/* The card's persistent memory: retry counters and (changed) PINs survive a
 * power cycle on a real card, so they survive emulator restarts here. A
 * small text file, rewritten atomically (temp file + rename) on change:
 *   auth-tries N / sign-tries N / auth-pin HEX / sign-pin HEX */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "emu-int.h"

static const char *const names[2] = { "auth", "sign" };

static int parse_hex(const char *s, emu_pin *p)
{
	size_t n = strlen(s), i;
	uint8_t v[EMU_PIN_MAX];

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n == 0 || n % 2 != 0 || n / 2 > EMU_PIN_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int b;
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		v[i] = (uint8_t)b;
	}
	memcpy(p->value, v, n / 2);
	p->len = n / 2;
	OPENSSL_cleanse(v, sizeof(v));
	return 0;
}

int emu_state_load(jp_emu *e)
{
	FILE *f;
	char line[128];
	int rc = -1;

	if (e->state_path == NULL)
		return 0;
	f = fopen(e->state_path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return emu_state_save(e);
		fprintf(stderr, "jpki-emu: %s: %s\n", e->state_path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		int k, n;
		for (k = 0; k < 2; k++) {
			size_t l = strlen(names[k]);
			if (strncmp(line, names[k], l) != 0)
				continue;
			if (strncmp(line + l, "-tries ", 7) == 0) {
				n = atoi(line + l + 7);
				if (n < 0 || n > e->pin[k].max_tries)
					goto out;
				e->pin[k].tries = n;
			} else if (strncmp(line + l, "-pin ", 5) == 0) {
				if (parse_hex(line + l + 5, &e->pin[k]) != 0)
					goto out;
			}
		}
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "jpki-emu: %s: malformed state file\n", e->state_path);
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return rc;
}

int emu_state_save(const jp_emu *e)
{
	char *tmp = NULL;
	FILE *f = NULL;
	size_t n;
	int k, rc = -1;

	if (e->state_path == NULL)
		return 0;
	n = strlen(e->state_path) + 16;
	tmp = malloc(n);
	if (tmp == NULL)
		goto out;
	snprintf(tmp, n, "%s.tmp%ld", e->state_path, (long)getpid());
	f = fopen(tmp, "w");
	if (f == NULL)
		goto out;
	for (k = 0; k < 2; k++) {
		size_t i;
		fprintf(f, "%s-tries %d\n%s-pin ", names[k], e->pin[k].tries, names[k]);
		for (i = 0; i < e->pin[k].len; i++)
			fprintf(f, "%02X", e->pin[k].value[i]);
		fputc('\n', f);
	}
	if (fflush(f) != 0)
		goto out;
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, e->state_path) != 0)
		goto out;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (rc != 0 && tmp != NULL) {
		fprintf(stderr, "jpki-emu: %s: cannot save state\n", e->state_path);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
