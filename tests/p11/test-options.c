/* Module options: where they come from and what they change.
 *  - the layers (built-in, built-in per program, system file, its
 *    [program] sections, user file, its sections, pReserved) and which
 *    wins, table-driven through jp_options_load_from;
 *  - the program-name match (this test's own name), the user file's place
 *    ($XDG_CONFIG_HOME, else $HOME/.config, else the passwd entry; none in a
 *    setuid process), malformed lines;
 *  - "tokens=" hides one of a card's two tokens (so a browser is never
 *    asked for the signing password, or a document signer for the
 *    authentication PIN): the hidden token costs no APDU, and
 *    C_WaitForSlotEvent never reports its slot. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/p11/p11-test.h"
#include "jpki/log.h"
#include "src/p11/p11.h"

#define AUTH (1u << JP_KEY_AUTH)
#define SIGN (1u << JP_KEY_SIGN)
#define BOTH (AUTH | SIGN)

static char tmpdir[] = "/tmp/jpki-options-XXXXXX";
static char sys_path[300], user_path[300];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bail_out("cannot write %s", path);
}

static CK_RV init_with(const char *opts)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	a.pReserved = (void *)opts;
	return F->C_Initialize(&a);
}

static void check_parse(void)
{
	jp_options o;

	memset(&o, 0, sizeof(o));
	is_int(jp_options_parse(&o, "tokens=auth"), 1, "parse: tokens=auth");
	is_int(o.tokens, 1u << JP_KEY_AUTH, "... authentication only");
	is_int(jp_options_parse(&o, "tokens = Signature"), 1, "parse: tokens = Signature");
	is_int(o.tokens, 1u << JP_KEY_SIGN, "... signature only");
	is_int(jp_options_parse(&o, "tokens=both always-authenticate=no"), 2, "parse: two options");
	is_int(o.tokens, 3, "... both");
	is_int(jp_options_parse(&o, "tokens=none"), 0, "parse: an unknown value is refused");
	is_int(o.tokens, 3, "... and changes nothing");
}

/* Slot IDs shown and the APDUs a token listing costs, for one option. */
static void check_shown(jp_emu *e, const char *opts, int want_auth, int want_sign)
{
	CK_SLOT_ID ids[8];
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_ULONG n, i;
	unsigned long before;
	int auth = 0, sign = 0;

	is_int(init_with(opts), CKR_OK, "%s: C_Initialize", opts);
	n = pt_slots(CK_FALSE, ids, 8);
	is_int(n, want_auth + want_sign, "%s: %d slot(s)", opts, want_auth + want_sign);
	before = jp_emu_apdu_count(e);
	for (i = 0; i < n && i < 8; i++) {
		if (F->C_GetSlotInfo(ids[i], &si) != CKR_OK ||
		    F->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		auth += pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_AUTH);
		sign += pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_SIGN);
	}
	is_int(auth, want_auth, "%s: authentication token shown %d", opts, want_auth);
	is_int(sign, want_sign, "%s: signature token shown %d", opts, want_sign);
	/* Open (3) + the authentication certificate for the serial (2) +
	 * EF 0008 (2) when the signature token is shown (whether the card
	 * has a signing certificate, doc/card.md §3). No retry query: the
	 * PIN flags are never paid for by themselves. */
	is_int(jp_emu_apdu_count(e) - before, 5 + 2 * want_sign,
	       "%s: the listing cost %d APDUs", opts, 5 + 2 * want_sign);
	if (want_auth + want_sign == 1) {
		/* The other slot's ID is simply not there. */
		CK_SLOT_ID hidden = want_auth ? ids[0] + 1 : ids[0] - 1;
		is_int(F->C_GetSlotInfo(hidden, &si), CKR_SLOT_ID_INVALID,
		       "%s: the hidden slot's ID is invalid", opts);
	}
	F->C_Finalize(NULL);
}

/* Each layer and which one wins. NULL file text: no such file. */
static void check_layers(void)
{
	static const struct {
		const char *what, *sys, *user, *reserved;
		const char *names[2];
		int always_auth;
		unsigned tokens;
	} t[] = {
		{ "built-in defaults", NULL, NULL, NULL, { "test-options", "" }, 1, BOTH },
		{ "browser default: firefox-esr", NULL, NULL, NULL, { "firefox-esr", "" }, 1, AUTH },
		{ "browser default: chromium", NULL, NULL, NULL, { "chromium", "" }, 1, AUTH },
		{ "browser default: firefox (argv[0])", NULL, NULL, NULL, { "x", "firefox" }, 1, AUTH },
		{ "browser default: chrome", NULL, NULL, NULL, { "chrome", "" }, 1, AUTH },
		{ "java is no browser", NULL, NULL, NULL, { "java", "" }, 1, BOTH },
		{ "system global", "tokens=sign\nalways-authenticate=no\n", NULL, NULL,
		  { "test-options", "" }, 0, SIGN },
		{ "system global over the browser default", "tokens=both\n", NULL, NULL,
		  { "firefox-esr", "" }, 1, BOTH },
		{ "system section over system global",
		  "tokens=sign\n[program test-options]\ntokens=auth\n", NULL, NULL,
		  { "test-options", "" }, 1, AUTH },
		{ "system section for another program",
		  "tokens=sign\n[program keytool java]\ntokens=auth\n", NULL, NULL,
		  { "test-options", "" }, 1, SIGN },
		{ "system section, second name",
		  "[program keytool jarsigner java]\nalways-authenticate=no\n", NULL, NULL,
		  { "java", "" }, 0, BOTH },
		{ "user global over system section",
		  "[program test-options]\ntokens=auth\nalways-authenticate=no\n", "tokens=sign\n",
		  NULL, { "test-options", "" }, 0, SIGN },
		{ "user section over user global",
		  "tokens=auth\n", "tokens=both\n[program test-options]\ntokens=sign\n", NULL,
		  { "test-options", "" }, 1, SIGN },
		{ "user section over the browser default", NULL,
		  "[program firefox-esr]\ntokens=both\n", NULL, { "firefox-esr", "" }, 1, BOTH },
		{ "pReserved over everything", "tokens=auth\n",
		  "[program test-options]\ntokens=auth\nalways-authenticate=no\n",
		  "tokens=sign always-authenticate=yes", { "test-options", "" }, 1, SIGN },
		{ "two matching sections: the later wins", NULL,
		  "[program test-options]\ntokens=auth\n[program other]\ntokens=both\n"
		  "[program x test-options]\ntokens=sign\n", NULL, { "test-options", "" }, 1, SIGN },
		{ "a section matched by argv[0]'s name", NULL,
		  "[program launcher]\nalways-authenticate=no\n", NULL, { "java", "launcher" }, 0, BOTH },
		{ "comments, blanks, spaces", "# system\n\n   tokens = auth   # the browser's\n\t\n"
		  "[program test-options] # ours\n  always-authenticate = no\n", NULL, NULL,
		  { "test-options", "" }, 0, AUTH },
		{ "malformed lines are skipped",
		  "tokens=sign\nbogus\nunknown=1\ntokens=none\nalways-authenticate=maybe\n"
		  "[program test-options\ntokens=auth\n[prog test-options]\ntokens=auth\n"
		  "[program]\ntokens=auth\n[program test-options]\nalways-authenticate=no\n",
		  NULL, NULL, { "test-options", "" }, 0, SIGN },
		{ "a section name is a whole word", NULL, "[program test]\ntokens=auth\n"
		  "[program test-options-2]\ntokens=auth\n", NULL, { "test-options", "" }, 1, BOTH },
	};
	jp_options o;
	jp_options_src src;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unlink(sys_path);
		unlink(user_path);
		if (t[i].sys)
			write_file(sys_path, t[i].sys);
		if (t[i].user)
			write_file(user_path, t[i].user);
		memset(&src, 0, sizeof(src));
		src.system_file = sys_path;
		src.user_file = user_path;
		src.names[0] = t[i].names[0];
		src.names[1] = t[i].names[1];
		memset(&o, 0xA5, sizeof(o));
		jp_options_load_from(&o, &src, t[i].reserved);
		ok(o.always_authenticate == t[i].always_auth && o.tokens == t[i].tokens,
		   "layers: %s (always-authenticate %d, tokens %u; got %d, %u)", t[i].what,
		   t[i].always_auth, t[i].tokens, o.always_authenticate, o.tokens);
	}
	unlink(sys_path);
	unlink(user_path);
}

/* The user file's place, and none in a setuid/setgid process. */
static void check_user_file(void)
{
	char out[400], want[400];
	struct passwd *pw = getpwuid(getuid());
	jp_options_env env;

	env = (jp_options_env){ 0, "/x/cfg", "/home/h" };
	ok(jp_options_user_file(out, sizeof(out), &env) && !strcmp(out, "/x/cfg/jpki-pkcs11.conf"),
	   "user file: $XDG_CONFIG_HOME first (%s)", out);
	env = (jp_options_env){ 0, NULL, "/home/h" };
	ok(jp_options_user_file(out, sizeof(out), &env) &&
	   !strcmp(out, "/home/h/.config/jpki-pkcs11.conf"), "user file: else $HOME/.config (%s)", out);
	env = (jp_options_env){ 0, "relative/dir", "/home/h" };
	ok(jp_options_user_file(out, sizeof(out), &env) &&
	   !strcmp(out, "/home/h/.config/jpki-pkcs11.conf"),
	   "user file: a relative $XDG_CONFIG_HOME is ignored (%s)", out);
	env = (jp_options_env){ 0, "", "/home/h" };
	ok(jp_options_user_file(out, sizeof(out), &env) &&
	   !strcmp(out, "/home/h/.config/jpki-pkcs11.conf"),
	   "user file: an empty $XDG_CONFIG_HOME is ignored (%s)", out);
	snprintf(want, sizeof(want), "%s/.config/jpki-pkcs11.conf", pw ? pw->pw_dir : "?");
	env = (jp_options_env){ 0, NULL, NULL };
	ok(pw && jp_options_user_file(out, sizeof(out), &env) && !strcmp(out, want),
	   "user file: without $HOME, the passwd entry's home (%s)", out);
	env = (jp_options_env){ 1, "/x/cfg", "/home/h" };
	ok(!jp_options_user_file(out, sizeof(out), &env) && out[0] == '\0',
	   "user file: none in a setuid/setgid process");
	env = (jp_options_env){ 1, NULL, NULL };
	is_int(jp_options_user_file(out, sizeof(out), &env), 0, "... whatever the environment");
}

/* This program's own names, and a section for it in the user file read
 * by C_Initialize (XDG_CONFIG_HOME, then HOME). */
static void check_own_name(jp_emu *e)
{
	char names[JP_PROGRAM_NAMES][JP_PROGRAM_NAME_MAX], exe[4096], dir[400], text[600];
	const char *base;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CK_SLOT_ID ids[8];

	(void)e;
	jp_options_program_names(names);
	exe[n > 0 ? n : 0] = '\0';
	base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	ok(!strcmp(names[0], base), "program name: the basename of /proc/self/exe (%s)", names[0]);
	ok(!strcmp(names[0], "test-options") || !strcmp(names[1], "test-options"),
	   "program name: test-options is one of them (%s, %s)", names[0], names[1]);
	ok(strcmp(names[0], names[1]) != 0, "... the second only when different");

	snprintf(text, sizeof(text), "tokens=both\n[program other]\ntokens=auth\n"
	         "[program %s]\ntokens=sign\n", program_invocation_short_name);
	write_file(user_path, text);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	is_int(F->C_Initialize(NULL), CKR_OK, "C_Initialize with a user file");
	ok(jp_mod.opts.tokens == SIGN && pt_slots(CK_FALSE, ids, 8) == 1,
	   "$XDG_CONFIG_HOME/jpki-pkcs11.conf: this program's section applies (one slot)");
	F->C_Finalize(NULL);

	/* Without XDG_CONFIG_HOME: $HOME/.config/jpki-pkcs11.conf. */
	snprintf(dir, sizeof(dir), "%s/.config", tmpdir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bail_out("mkdir %s", dir);
	snprintf(dir, sizeof(dir), "%s/.config/jpki-pkcs11.conf", tmpdir);
	write_file(dir, "tokens=auth\n");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tmpdir, 1);
	is_int(F->C_Initialize(NULL), CKR_OK, "C_Initialize with $HOME/.config/jpki-pkcs11.conf");
	is_int(jp_mod.opts.tokens, AUTH, "... it applies");
	F->C_Finalize(NULL);
	/* $XDG_CONFIG_HOME wins over $HOME when set. */
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	is_int(F->C_Initialize(NULL), CKR_OK, "C_Initialize with both");
	is_int(jp_mod.opts.tokens, SIGN, "... $XDG_CONFIG_HOME's file, not $HOME's");
	F->C_Finalize(NULL);
	/* pReserved still has the last word. */
	is_int(init_with("tokens=both"), CKR_OK, "C_Initialize with pReserved too");
	is_int(jp_mod.opts.tokens, BOTH, "... pReserved wins");
	F->C_Finalize(NULL);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/.config", tmpdir);
	rmdir(dir);
	unlink(user_path);
	setenv("XDG_CONFIG_HOME", "/nonexistent/jpki-pkcs11-test", 1);
}

/* C_WaitForSlotEvent reports only the slots shown: every ID it gives is
 * one C_GetSlotInfo accepts, and each shown slot gets its event. */
static void check_events(jp_emu *e, int idx, const char *opts, int want_auth, int want_sign)
{
	CK_SLOT_ID id, list[8];
	CK_SLOT_INFO si;
	CK_ULONG n;
	int got[2] = { 0, 0 }, bad = 0, rounds, count = 0;
	CK_RV rv;

	is_int(init_with(opts), CKR_OK, "%s: C_Initialize", opts);
	n = pt_slots(CK_FALSE, list, 8);
	for (rounds = 0; rounds < 2; rounds++) {
		/* Round 0: the card removed; round 1: put back. */
		if (rounds == 0)
			jp_emu_reader_eject(idx);
		else
			jp_emu_reader_insert(idx, e);
		while ((rv = F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL)) == CKR_OK && count < 20) {
			count++;
			if (F->C_GetSlotInfo(id, &si) != CKR_OK) {
				bad++;
				continue;
			}
			got[strstr((const char *)si.slotDescription, "Digital") != NULL] += 1;
		}
	}
	is_int(bad, 0, "%s: every slot reported is one C_GetSlotInfo accepts", opts);
	is_int(got[0], 2 * want_auth, "%s: authentication slot events: %d", opts, 2 * want_auth);
	is_int(got[1], 2 * want_sign, "%s: signature slot events: %d", opts, 2 * want_sign);
	ok(n == (CK_ULONG)(want_auth + want_sign), "%s: %lu slot(s) listed", opts, n);
	F->C_Finalize(NULL);
}

int main(void)
{
	jp_emu *e;
	int idx;

	pt_load();
	if (!mkdtemp(tmpdir))
		bail_out("mkdtemp");
	snprintf(sys_path, sizeof(sys_path), "%s/system.conf", tmpdir);
	snprintf(user_path, sizeof(user_path), "%s/jpki-pkcs11.conf", tmpdir);
	jp_log_init();   /* JPKI_PKCS11_DEBUG shows the warnings of the tables below */
	check_parse();
	check_layers();
	check_user_file();
	idx = pt_reader_with_card("Emu Reader 0", 1, NULL, &e);
	check_own_name(e);
	check_shown(e, "tokens=both", 1, 1);
	check_shown(e, "tokens=auth", 1, 0);
	check_shown(e, "tokens=sign", 0, 1);
	check_events(e, idx, "tokens=both", 1, 1);
	check_events(e, idx, "tokens=auth", 1, 0);
	check_events(e, idx, "tokens=sign", 0, 1);
	jp_emu_readers_clear();
	jp_emu_free(e);
	rmdir(tmpdir);
	done_testing();
}
