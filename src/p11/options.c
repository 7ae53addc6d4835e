/* Module options, from these layers (each overrides the ones before it):
 *
 *   1. built-in defaults (always-authenticate=yes, tokens=both);
 *   2. built-in per-program defaults (browsers: tokens=auth);
 *   3. the system file (JP_CONFIG_FILE, normally /etc/jpki-pkcs11.conf):
 *      its global lines, then its [program ...] sections;
 *   4. the user's file ($XDG_CONFIG_HOME/jpki-pkcs11.conf, else
 *      ~/.config/jpki-pkcs11.conf): the same, never in a setuid/setgid
 *      process (the file belongs to whoever started it, not to the
 *      program's owner);
 *   5. the string given to C_Initialize in pReserved (p11-kit's
 *      x-init-reserved, NSS's module parameters).
 *
 * A config file: "key=value" lines; before any section they apply to every
 * program; "[program NAME...]" starts a section whose lines apply only when
 * the running program is one of the NAMEs (see program_names). '#' starts a
 * comment, blank lines are ignored. The pReserved string is a list of
 * "key=value" items separated by blanks, commas, semicolons or newlines.
 * An unknown key or bad value is logged and ignored, never an error: a
 * typo in a config file must not take the module away from every program.
 * See jpki-pkcs11(8). */
#define _GNU_SOURCE 1
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "jpki/log.h"
#include "p11.h"

#ifndef JP_CONFIG_FILE
#define JP_CONFIG_FILE "/etc/jpki-pkcs11.conf"
#endif
#define JP_CONFIG_NAME "jpki-pkcs11.conf"
#define JP_CONFIG_MAX (64 * 1024)
#define JP_LINE_MAX 1024

/* Layer 2. Browsers look for client certificates in every token they see
 * and ask for each token's PIN: with both tokens Chromium asked for the
 * signing password first for a website login. They need the
 * authentication key only. Names as /proc/self/exe shows them: Debian's
 * /usr/lib/firefox-esr/firefox-esr (firefox-bin links to it),
 * /usr/lib/chromium/chromium, Mozilla's firefox, Google's
 * /opt/google/chrome/chrome (also the name of Ubuntu's chromium). */
static const char builtin_config[] =
	"[program firefox firefox-esr firefox-bin chromium chromium-browser chrome]\n"
	"tokens=auth\n";

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

/* One "key=value" item (NUL-terminated, trimmed). Returns 1 if used. where
 * says where it came from, for the log. */
static int apply_item(jp_options *o, char *item, const char *where)
{
	char *eq = strchr(item, '='), *key = item, *val, *end;
	int used = 0, b;

	if (!eq) {
		JP_WARN("options: %s: ignoring \"%s\" (no '=')", where, item);
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
			JP_WARN("options: %s: always-authenticate wants yes or no, not \"%s\"", where,
			        val);
			goto out;
		}
		o->always_authenticate = b;
		used = 1;
	} else if (!strcmp(key, "pss")) {
		b = parse_bool(val);
		if (b < 0) {
			JP_WARN("options: %s: pss wants yes or no, not \"%s\"", where, val);
			goto out;
		}
		o->pss = b;
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
			JP_WARN("options: %s: tokens wants auth, sign or both, not \"%s\"", where, val);
			goto out;
		}
		used = 1;
	} else {
		JP_WARN("options: %s: unknown option \"%s\" ignored", where, key);
	}
out:
	return used;
}

/* "key=value" items separated by blanks, commas, semicolons or newlines;
 * '#' to the end of the line is a comment. */
static int parse_items(jp_options *o, const char *text, const char *where)
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
				used += apply_item(o, item, where);
			} else if (n >= sizeof(item)) {
				JP_WARN("options: %s: an item too long was ignored", where);
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

int jp_options_parse(jp_options *o, const char *text)
{
	return parse_items(o, text, "C_Initialize");
}

/* A "[program NAME...]" header (the line trimmed, comment removed): 1 when
 * one of the NAMEs is one of names, 0 when none is, -1 when malformed. */
static int section_matches(char *line, const char *const names[JP_PROGRAM_NAMES])
{
	size_t len = strlen(line);
	char *word, *save = NULL;
	int match = 0, i, nnames = 0;

	if (len < 2 || line[len - 1] != ']')
		return -1;
	line[len - 1] = '\0';
	word = strtok_r(line + 1, " \t", &save);
	if (!word || strcasecmp(word, "program") != 0)
		return -1;
	while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
		nnames++;
		for (i = 0; i < JP_PROGRAM_NAMES; i++)
			if (names[i] && names[i][0] && !strcmp(word, names[i]))
				match = 1;
	}
	return nnames > 0 ? match : -1;
}

int jp_options_parse_config(jp_options *o, const char *text, const char *const names[JP_PROGRAM_NAMES],
                            const char *origin)
{
	char line[JP_LINE_MAX + 1], where[300];
	const char *p = text, *nl;
	size_t len, lineno = 0;
	int used = 0, in_section = 0, applies = 1, m;
	jp_options scratch;

	while (p && *p) {
		const char *start = p;
		char *s, *e, *hash;

		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(where, sizeof(where), "%s:%zu", origin, lineno);
		p = nl ? nl + 1 : NULL;
		if (len > JP_LINE_MAX) {
			JP_WARN("options: %s: line too long, ignored", where);
			continue;
		}
		memcpy(line, start, len);
		line[len] = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		if (*s == '\0')
			continue;
		if (*s == '[') {
			m = section_matches(s, names);
			if (m < 0)
				JP_WARN("options: %s: not a \"[program NAME...]\" line; the lines "
				        "up to the next section are ignored", where);
			else if (m)
				JP_DEBUG("options: %s: section for this program", where);
			in_section = 1;
			applies = m > 0;
			continue;
		}
		/* Lines of a section for other programs are still checked, so a
		 * typo shows in the log whichever program reads the file. */
		if (!in_section || applies) {
			used += parse_items(o, s, where);
		} else {
			scratch = *o;
			(void)parse_items(&scratch, s, where);
		}
	}
	return used;
}

int jp_options_user_file(char *out, size_t max, const jp_options_env *env)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	const char *home = env->home;
	int n = -1, found = 0;

	if (env->secure)
		goto out;   /* setuid/setgid: the caller's files are not ours to read */
	/* XDG Base Directory: a relative path is invalid, ignore it. */
	if (env->xdg_config_home && env->xdg_config_home[0] == '/') {
		n = snprintf(out, max, "%s/" JP_CONFIG_NAME, env->xdg_config_home);
	} else {
		if (!home || home[0] != '/') {
			home = NULL;
			if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res &&
			    res->pw_dir && res->pw_dir[0] == '/')
				home = res->pw_dir;
		}
		if (home)
			n = snprintf(out, max, "%s/.config/" JP_CONFIG_NAME, home);
	}
	found = n > 0 && (size_t)n < max;
out:
	if (!found && max > 0)
		out[0] = '\0';
	return found;
}

/* The file name part of path, with the " (deleted)" the kernel appends to
 * /proc/self/exe when the binary was replaced (an upgrade while running). */
static void base_name(const char *path, char *out, size_t max)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	size_t n = strlen(b);
	static const char deleted[] = " (deleted)";

	if (n > sizeof(deleted) - 1 && !strcmp(b + n - (sizeof(deleted) - 1), deleted))
		n -= sizeof(deleted) - 1;
	if (n >= max)
		n = max - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

void jp_options_program_names(char names[JP_PROGRAM_NAMES][JP_PROGRAM_NAME_MAX])
{
	char exe[4096];
	ssize_t n;

	/* The executable itself (symlinks resolved: java for JSignPdf,
	 * keytool, firefox-esr), and the name it was started as (argv[0]'s
	 * last part, which glibc keeps in program_invocation_short_name: a
	 * symlink's or a wrapper's chosen name). Either may select a section. */
	names[0][0] = names[1][0] = '\0';
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		base_name(exe, names[0], JP_PROGRAM_NAME_MAX);
	}
	if (program_invocation_short_name)
		base_name(program_invocation_short_name, names[1], JP_PROGRAM_NAME_MAX);
	if (!strcmp(names[0], names[1]))
		names[1][0] = '\0';
}

/* Reads a config file and applies it; a missing file is no error. */
static void load_file(jp_options *o, const char *path, const char *const names[JP_PROGRAM_NAMES])
{
	FILE *f;
	char *buf = NULL, *last;
	size_t n;

	if (!path || !path[0])
		goto out;
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT)
			JP_WARN("options: cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(JP_CONFIG_MAX + 1);
	n = buf ? fread(buf, 1, JP_CONFIG_MAX + 1, f) : 0;
	fclose(f);
	if (!buf)
		goto out;
	if (n > JP_CONFIG_MAX) {
		/* Keep whole lines only: half a line could mean anything. */
		JP_WARN("options: %s: longer than %d bytes; the rest is ignored", path, JP_CONFIG_MAX);
		n = JP_CONFIG_MAX;
		buf[n] = '\0';
		last = strrchr(buf, '\n');
		n = last ? (size_t)(last - buf) : 0;
	}
	buf[n] = '\0';
	JP_DEBUG("options: reading %s", path);
	(void)jp_options_parse_config(o, buf, names, path);
out:
	free(buf);
}

void jp_options_load_from(jp_options *o, const jp_options_src *src, const char *reserved)
{
	o->always_authenticate = 1;
	/* RSA-PSS is one source's finding (doc/card.md §11): off until a
	 * real card has confirmed it. */
	o->pss = 0;
	o->tokens = (1u << JP_KEY_AUTH) | (1u << JP_KEY_SIGN);
	(void)jp_options_parse_config(o, builtin_config, src->names, "built-in");
	load_file(o, src->system_file, src->names);
	load_file(o, src->user_file, src->names);
	if (reserved)
		(void)parse_items(o, reserved, "C_Initialize");
	JP_DEBUG("options: always-authenticate=%s pss=%s tokens=%s (program %s%s%s)",
	         o->always_authenticate ? "yes" : "no", o->pss ? "yes" : "no",
	         o->tokens == (1u << JP_KEY_AUTH) ? "auth" :
	         o->tokens == (1u << JP_KEY_SIGN) ? "sign" : "both",
	         src->names[0] ? src->names[0] : "?", src->names[1] && src->names[1][0] ? ", " : "",
	         src->names[1] ? src->names[1] : "");
}

void jp_options_load(jp_options *o, const char *reserved)
{
	char names[JP_PROGRAM_NAMES][JP_PROGRAM_NAME_MAX], user[4096];
	jp_options_env env;
	jp_options_src src;

	/* AT_SECURE: the kernel's word that this process runs with
	 * privileges its caller lacks (setuid, setgid, capabilities). Then
	 * secure_getenv gives NULL anyway; the check says why. */
	env.secure = getauxval(AT_SECURE) != 0;
	env.xdg_config_home = secure_getenv("XDG_CONFIG_HOME");
	env.home = secure_getenv("HOME");
	jp_options_program_names(names);
	src.system_file = JP_CONFIG_FILE;
	src.user_file = jp_options_user_file(user, sizeof(user), &env) ? user : NULL;
	src.names[0] = names[0];
	src.names[1] = names[1];
	jp_options_load_from(o, &src, reserved);
}
