/* Module options: defaults, then the config file (JP_CONFIG_FILE, normally
 * /etc/jpki-pkcs11.conf), then p11-kit's x-init-reserved string given to
 * C_Initialize. Format: "key=value" items separated by blanks, commas,
 * semicolons or newlines; '#' starts a comment. See jpki-pkcs11(8). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jpki/log.h"
#include "p11.h"

#ifndef JP_CONFIG_FILE
#define JP_CONFIG_FILE "/etc/jpki-pkcs11.conf"
#endif
#define JP_CONFIG_MAX 4096

/* yes/no words; -1 for anything else. */
static int parse_bool(const char *v)
{
	int r = -1;

	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		r = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	         !strcasecmp(v, "off"))
		r = 0;
	return r;
}

/* One "key=value" item (NUL-terminated, trimmed). Returns 1 if used. */
static int apply_item(jp_options *o, char *item)
{
	char *eq = strchr(item, '='), *key = item, *val, *end;
	int used = 0, b;

	if (!eq) {
		JP_WARN("options: ignoring \"%s\" (no '=')", item);
		goto out;
	}
	*eq = '\0';
	val = eq + 1;
	for (end = eq; end > key && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	while (isspace((unsigned char)*val))
		val++;
	if (!strcmp(key, "always-authenticate")) {
		b = parse_bool(val);
		if (b < 0) {
			JP_WARN("options: always-authenticate wants yes or no, not \"%s\"", val);
			goto out;
		}
		o->always_authenticate = b;
		used = 1;
	} else if (!strcmp(key, "tokens")) {
		/* One word, not a list: the parser splits items at commas. */
		if (!strcasecmp(val, "both") || !strcasecmp(val, "all"))
			o->tokens = (1u << JP_KEY_AUTH) | (1u << JP_KEY_SIGN);
		else if (!strcasecmp(val, "auth") || !strcasecmp(val, "authentication"))
			o->tokens = 1u << JP_KEY_AUTH;
		else if (!strcasecmp(val, "sign") || !strcasecmp(val, "signature"))
			o->tokens = 1u << JP_KEY_SIGN;
		else {
			JP_WARN("options: tokens wants auth, sign or both, not \"%s\"", val);
			goto out;
		}
		used = 1;
	} else {
		JP_WARN("options: unknown option \"%s\" ignored", key);
	}
out:
	return used;
}

int jp_options_parse(jp_options *o, const char *text)
{
	char item[256];
	size_t n = 0;
	int used = 0, comment = 0;
	const char *p;

	for (p = text; o && p;) {
		char c = *p;
		int sep = c == '\0' || c == '\n' || c == ',' || c == ';' || c == ' ' || c == '\t' ||
		          c == '\r';

		if (c == '#')
			comment = 1;
		/* "key = value" with blanks around '=' is one item. */
		if ((c == ' ' || c == '\t') && !comment) {
			const char *q = p;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=' || (n > 0 && item[n - 1] == '='))
				sep = 0;
		}
		if (sep) {
			if (n > 0 && n < sizeof(item)) {
				item[n] = '\0';
				used += apply_item(o, item);
			}
			n = 0;
			if (c == '\n')
				comment = 0;
			p = c == '\0' ? NULL : p + 1;
			continue;
		}
		if (!comment && n < sizeof(item) - 1)
			item[n++] = c;
		else if (!comment)
			n = sizeof(item);    /* too long: dropped at the separator */
		p++;
	}
	return used;
}

static void load_file(jp_options *o, const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n;

	if (!f)
		goto out;
	buf = malloc(JP_CONFIG_MAX + 1);
	if (!buf)
		goto out;
	n = fread(buf, 1, JP_CONFIG_MAX, f);
	buf[n] = '\0';
	JP_DEBUG("options: reading %s", path);
	jp_options_parse(o, buf);
out:
	free(buf);
	if (f)
		fclose(f);
}

void jp_options_load(jp_options *o, const char *reserved)
{
	o->always_authenticate = 1;
	o->tokens = (1u << JP_KEY_AUTH) | (1u << JP_KEY_SIGN);
	load_file(o, JP_CONFIG_FILE);
	if (reserved)
		jp_options_parse(o, reserved);
	JP_DEBUG("options: always-authenticate=%s tokens=%s",
	         o->always_authenticate ? "yes" : "no",
	         o->tokens == (1u << JP_KEY_AUTH) ? "auth" :
	         o->tokens == (1u << JP_KEY_SIGN) ? "sign" : "both");
}
