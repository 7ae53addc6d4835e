/* Benchmarks of the Cryptoki module: APDUs and time per phase (cold start,
 * object attributes, login, one signature, N signatures after one login)
 * for both keys, plus an RSS check over many signatures.
 *
 * Built twice from this file:
 *   bench-inproc  links libjpki-test.la + libjpemu.la: the module talks to
 *                 the in-process emulator, APDUs come from its counters and
 *                 the emulator's own RSA time is measured separately, so
 *                 the host CPU per signature can be isolated.
 *   bench-module  dlopen()s a module (the real jpki-pkcs11.so behind
 *                 pcscd + vpcd + jpki-emu-vpcd); APDUs are counted from the
 *                 emulator's APDU log file (--apdu-log).
 * Not a test: it prints figures and exits 0 unless something failed. */
#include "config.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#ifdef BENCH_INPROC
#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"
#endif

static CK_FUNCTION_LIST_PTR p11;
static const char *apdu_log;      /* bench-module: emulator log to count */
static char pin_auth[17] = "1234";     /* replaced from the card's pins.txt */
static char pin_sign[17] = "ABC123";
static int failures;
static int use_pss;   /* --pss: every signature SHA256-RSA-PKCS-PSS (module option pss=yes) */

#ifdef BENCH_INPROC
static jp_emu *emu;
static jp_emu_options emu_opts;
#endif

/* ---- measuring ---- */
static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* APDUs the card has seen so far. */
static unsigned long apdus(void)
{
	unsigned long n = 0;
#ifdef BENCH_INPROC
	n = jp_emu_apdu_count(emu);
#else
	char line[512];
	FILE *f;
	if (!apdu_log)
		return 0;
	f = fopen(apdu_log, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (line[0] == '>')
			n++;
	fclose(f);
#endif
	return n;
}

typedef struct mark {
	double wall, cpu;
	unsigned long apdus;
} mark;

static mark mark_now(void)
{
	mark m;
	m.apdus = apdus();
	m.wall = now_s(CLOCK_MONOTONIC);
	m.cpu = now_s(CLOCK_PROCESS_CPUTIME_ID);
	return m;
}

static void report(const char *what, mark a, unsigned long per)
{
	mark b = mark_now();
	double n = per ? (double)per : 1.0;
	printf("  %-44s %8.1f APDUs  %10.1f us wall  %10.1f us cpu%s\n", what,
	       (double)(b.apdus - a.apdus) / n, (b.wall - a.wall) * 1e6 / n,
	       (b.cpu - a.cpu) * 1e6 / n, per > 1 ? "  (each)" : "");
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

#define CHECK(call) do { CK_RV rv_ = (call); if (rv_ != CKR_OK) { \
	fprintf(stderr, "bench: %s -> 0x%lx (line %d)\n", #call, (unsigned long)rv_, __LINE__); \
	failures++; goto out; } } while (0)

/* ---- the module ---- */
static int load_module(const char *path)
{
	CK_C_GetFunctionList gfl;
	int ret = -1;
#ifdef BENCH_INPROC
	(void)path;
	gfl = C_GetFunctionList;
#else
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "bench: %s\n", dlerror());
		goto out;
	}
	gfl = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	if (!gfl) {
		fprintf(stderr, "bench: no C_GetFunctionList in %s\n", path);
		goto out;
	}
#endif
	if (gfl(&p11) != CKR_OK)
		goto out;
	ret = 0;
out:
	return ret;
}

/* Finds the private key of a session's token. */
static CK_OBJECT_HANDLE find_privkey(CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls } };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	if (p11->C_FindObjectsInit(s, t, 1) == CKR_OK) {
		if (p11->C_FindObjects(s, &h, 1, &n) != CKR_OK || n != 1)
			h = CK_INVALID_HANDLE;
		p11->C_FindObjectsFinal(s);
	}
	return h;
}

/* Reads what a certificate picker reads of every object. */
static int read_all_objects(CK_SESSION_HANDLE s)
{
	CK_OBJECT_HANDLE objs[16];
	CK_ULONG n = 0, i, j;
	int ret = -1;
	static const CK_ATTRIBUTE_TYPE types[] = {
		CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID, CKA_VALUE,
		CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_CERTIFICATE_TYPE,
		CKA_KEY_TYPE, CKA_MODULUS, CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT,
		CKA_SIGN, CKA_ALWAYS_AUTHENTICATE,
	};
	CHECK(p11->C_FindObjectsInit(s, NULL, 0));
	CHECK(p11->C_FindObjects(s, objs, 16, &n));
	CHECK(p11->C_FindObjectsFinal(s));
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof types / sizeof types[0]; j++) {
			CK_ATTRIBUTE a = { types[j], NULL, 0 };
			void *buf;
			/* Two calls per attribute, as applications do: length, value. */
			(void)p11->C_GetAttributeValue(s, objs[i], &a, 1);
			if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
				continue;
			buf = malloc(a.ulValueLen ? a.ulValueLen : 1);
			a.pValue = buf;
			(void)p11->C_GetAttributeValue(s, objs[i], &a, 1);
			free(buf);
		}
	}
	ret = (int)n;
out:
	return ret;
}

static int sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, int ctx_login, const char *pin)
{
	/* TLS 1.3's rsa_pss_rsae_sha256 (doc/card.md §11), with --pss. */
	static CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	static const CK_BYTE doc[] = "jpki-pkcs11 benchmark document";
	CK_BYTE sig[512];
	CK_ULONG sig_len = sizeof sig;
	int ret = -1;

	if (use_pss) {
		m.mechanism = CKM_SHA256_RSA_PKCS_PSS;
		m.pParameter = &pss;
		m.ulParameterLen = sizeof pss;
	}
	CHECK(p11->C_SignInit(s, &m, key));
	if (ctx_login)
		CHECK(p11->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
	CHECK(p11->C_Sign(s, (CK_BYTE_PTR)doc, sizeof doc - 1, sig, &sig_len));
	if (sig_len != 256) {
		fprintf(stderr, "bench: signature of %lu bytes\n", (unsigned long)sig_len);
		failures++;
		goto out;
	}
	ret = 0;
out:
	return ret;
}

static int key_always_auth(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a = { CKA_ALWAYS_AUTHENTICATE, &v, sizeof v };
	if (p11->C_GetAttributeValue(s, key, &a, 1) != CKR_OK)
		return 0;
	return v == CK_TRUE;
}

/* Runs every phase on one slot (key: 0 auth, 1 sign). */
static void bench_token(CK_SLOT_ID slot, int key, unsigned long nsig)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE priv;
	const char *pin = key ? pin_sign : pin_auth;
	int aa, nobj;
	unsigned long i;
	mark m;

	printf("%s key (slot 0x%lx)\n", key ? "Digital signature" : "User authentication",
	       (unsigned long)slot);
	m = mark_now();
	CHECK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	nobj = read_all_objects(s);
	report("open session + every attribute (public)", m, 0);
	m = mark_now();
	CHECK(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
	report("C_Login", m, 0);
	m = mark_now();
	nobj = read_all_objects(s);
	report("every attribute after login", m, 0);
	printf("  %-44s %8d\n", "objects after login", nobj);
	priv = find_privkey(s);
	if (priv == CK_INVALID_HANDLE) {
		fprintf(stderr, "bench: no private key\n");
		failures++;
		goto out;
	}
	aa = key_always_auth(s, priv);
	m = mark_now();
	if (sign_once(s, priv, aa, pin))
		goto out;
	report(aa ? "first signature (context login)" : "first signature", m, 0);
	m = mark_now();
	for (i = 0; i < nsig; i++)
		if (sign_once(s, priv, aa, pin))
			goto out;
	{
		char what[64];
		snprintf(what, sizeof what, "%lu signatures%s", nsig, aa ? " (context login each)" : "");
		report(what, m, nsig);
	}
	m = mark_now();
	CHECK(p11->C_Logout(s));
	report("C_Logout", m, 0);
out:
	if (s != CK_INVALID_HANDLE)
		p11->C_CloseSession(s);
}

/* ---- fresh-process equivalents of pkcs11-tool runs ----
 * Each runs C_Initialize .. C_Finalize, so the module starts with nothing
 * known about the card, as a new process does (issue budgets: -L, -O,
 * --login --sign). The APDUs are what tests/e2e/test-pkcs11-tool.sh
 * asserts command by command through pcscd. */

/* The slot whose token has label (padded to 32), as pkcs11-tool's
 * --token-label finds it: every slot (C_GetSlotList without
 * tokenPresent), token info of each in order until one matches. */
static CK_SLOT_ID slot_by_label(int key)
{
	static const char *const labels[2] = { "My Number Card (Authentication)",
	                                        "My Number Card (Signature)" };
	CK_SLOT_ID slots[8], found = (CK_SLOT_ID)-1;
	CK_ULONG n = 8, i;
	CK_TOKEN_INFO ti;
	char want[32];

	memset(want, ' ', sizeof want);
	memcpy(want, labels[key], strlen(labels[key]));
	if (p11->C_GetSlotList(CK_FALSE, slots, &n) != CKR_OK)
		goto out;
	for (i = 0; i < n && i < 8; i++) {
		if (p11->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, sizeof want) == 0) {
			found = slots[i];
			break;
		}
	}
out:
	return found;
}

/* pkcs11-tool -L: every slot's info, and token info where there is one. */
static void fresh_list(void)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 8, i;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	mark m = mark_now();

	CHECK(p11->C_Initialize(NULL));
	CHECK(p11->C_GetSlotList(CK_FALSE, slots, &n));
	for (i = 0; i < n && i < 8; i++) {
		CHECK(p11->C_GetSlotInfo(slots[i], &si));
		if (si.flags & CKF_TOKEN_PRESENT)
			CHECK(p11->C_GetTokenInfo(slots[i], &ti));
	}
	CHECK(p11->C_Finalize(NULL));
	report("-L (every slot and token info)", m, 0);
out:
	return;
}

/* pkcs11-tool --token-label L -O: the objects of one token, no login. */
static void fresh_objects(int key)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	mark m = mark_now();

	CHECK(p11->C_Initialize(NULL));
	slot = slot_by_label(key);
	CHECK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	if (read_all_objects(s) < 0)
		goto out;
	CHECK(p11->C_CloseSession(s));
	CHECK(p11->C_Finalize(NULL));
	report(key ? "-O, signature token" : "-O, authentication token", m, 0);
out:
	return;
}

/* pkcs11-tool --token-label L --login --sign: one signature. */
static void fresh_login_sign(int key)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv;
	CK_SLOT_ID slot;
	const char *pin = key ? pin_sign : pin_auth;
	mark m = mark_now();

	CHECK(p11->C_Initialize(NULL));
	slot = slot_by_label(key);
	CHECK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CHECK(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
	priv = find_privkey(s);
	if (priv == CK_INVALID_HANDLE) {
		fprintf(stderr, "bench: no private key\n");
		failures++;
		goto out;
	}
	if (sign_once(s, priv, key_always_auth(s, priv), pin))
		goto out;
	CHECK(p11->C_Finalize(NULL));
	report(key ? "--login --sign, signing key" : "--login --sign, authentication key", m, 0);
out:
	return;
}

static void bench_fresh(void)
{
	printf("Fresh process (C_Initialize .. C_Finalize each, like one pkcs11-tool run)\n");
	fresh_list();
	fresh_objects(0);
	fresh_objects(1);
	fresh_login_sign(0);
	fresh_login_sign(1);
}

#ifdef BENCH_INPROC
/* The emulator's own cost of one signature (SELECT key + sign APDU),
 * measured directly on a second emulator: this is the "card" part of an
 * in-process signature, to subtract from the module's figure. */
static double emu_sign_cost_us(const char *card_dir, unsigned long n)
{
	static uint8_t rsp[JP_EMU_RSP_MAX];
	static const uint8_t sel_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00,
	                                  0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t sel_pin[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18 };
	uint8_t verify[5 + 4] = { 0x00, 0x20, 0x00, 0x80, 0x04 };
	static const uint8_t sel_key[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17 };
	/* What the module sends: a DigestInfo (51 bytes) with P1 00, or for
	 * PSS a 32-byte hash with P1 04 (doc/card.md §11). */
	uint8_t sign[5 + 51 + 1] = { 0x80, 0x2A, 0x00, 0x80, 51 };
	size_t data_len = use_pss ? 32 : 51, sign_len = 5 + data_len + 1;
	jp_emu *e = jp_emu_new(card_dir, &emu_opts, NULL);
	double t0, t1 = 0, res = -1;
	unsigned long i;
	if (!e)
		goto out;
	memcpy(verify + 5, pin_auth, 4);
	sign[2] = use_pss ? 0x04 : 0x00;
	sign[4] = (uint8_t)data_len;
	memset(sign + 5, 0x5A, data_len);
	sign[5 + data_len] = 0x00;
	jp_emu_power_on(e);
	jp_emu_apdu(e, sel_ap, sizeof sel_ap, rsp);
	jp_emu_apdu(e, sel_pin, sizeof sel_pin, rsp);
	jp_emu_apdu(e, verify, sizeof verify, rsp);
	t0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i++) {
		jp_emu_apdu(e, sel_key, sizeof sel_key, rsp);
		if (jp_emu_apdu(e, sign, sign_len, rsp) != 258) {
			fprintf(stderr, "bench: emulator sign failed\n");
			goto out;
		}
	}
	t1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	res = (t1 - t0) * 1e6 / (double)n;
out:
	if (e)
		jp_emu_free(e);
	return res;
}
#endif

/* Host CPU per signature: CPU time of n signatures through the module
 * (auth key, logged in) minus the emulator's part. */
static void bench_host_cpu(CK_SLOT_ID slot, unsigned long n, const char *card_dir)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE priv;
	double c0, c1, total, card = -1;
	unsigned long i;

	CHECK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CHECK(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin_auth, strlen(pin_auth)));
	priv = find_privkey(s);
	if (sign_once(s, priv, 0, NULL))
		goto out;
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i++)
		if (sign_once(s, priv, 0, NULL))
			goto out;
	c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	total = (c1 - c0) * 1e6 / (double)n;
#ifdef BENCH_INPROC
	card = emu_sign_cost_us(card_dir, n);
#else
	(void)card_dir;
#endif
	printf("Host CPU per signature (auth key, %s, %lu signatures)\n",
	       use_pss ? "SHA256-RSA-PKCS-PSS" : "SHA256-RSA-PKCS", n);
#ifdef BENCH_INPROC
	printf("  %-44s %10.1f us\n", "module + emulator, CPU per signature", total);
#else
	printf("  %-44s %10.1f us   (the card is another process)\n", "this process's CPU per signature", total);
#endif
	if (card >= 0) {
		printf("  %-44s %10.1f us\n", "emulator alone (SELECT key + sign)", card);
		printf("  %-44s %10.1f us   (target < 100)\n", "host CPU (difference)", total - card);
	}
	p11->C_Logout(s);
out:
	if (s != CK_INVALID_HANDLE)
		p11->C_CloseSession(s);
}

/* RSS over many signatures: no growth expected. */
static void bench_rss(CK_SLOT_ID slot, unsigned long n)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE priv;
	long r0, r1;
	unsigned long i;

	CHECK(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	CHECK(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin_auth, strlen(pin_auth)));
	priv = find_privkey(s);
	for (i = 0; i < 1000; i++)   /* warm up: allocator pools, caches */
		if (sign_once(s, priv, 0, NULL))
			goto out;
	r0 = rss_kb();
	for (i = 0; i < n; i++) {
		if (sign_once(s, priv, 0, NULL))
			goto out;
		if ((i + 1) % (n / 10 ? n / 10 : 1) == 0)
			printf("  after %7lu signatures: RSS %ld kB\n", i + 1, rss_kb());
	}
	r1 = rss_kb();
	printf("  RSS growth over %lu signatures: %ld kB (%s)\n", n, r1 - r0,
	       r1 - r0 <= 256 ? "flat" : "GROWS");
	if (r1 - r0 > 256)
		failures++;
	p11->C_Logout(s);
out:
	if (s != CK_INVALID_HANDLE)
		p11->C_CloseSession(s);
}

/* The fixture's PINs: "auth NNNN" / "sign XXXXXX" lines in pins.txt. */
static void read_pins(const char *card_dir)
{
	char path[4200], k[16], v[17];
	FILE *f;
	snprintf(path, sizeof path, "%s/pins.txt", card_dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%15s %16s", k, v) == 2) {
		if (!strcmp(k, "auth"))
			memcpy(pin_auth, v, sizeof pin_auth);
		else if (!strcmp(k, "sign"))
			memcpy(pin_sign, v, sizeof pin_sign);
	}
	fclose(f);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench-inproc [-n N] [--rss N] [--card DIR] [--pss] [--no-sfi] [--no-ef0008]\n"
	        "       bench-module --module SO [--apdu-log FILE] [-n N] [--rss N] [--pss]\n"
	        "--pss: sign with SHA256-RSA-PKCS-PSS; the module must have pss=yes\n"
	        "(XDG_CONFIG_HOME/jpki-pkcs11.conf) and, through pcscd, the card --pss\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *module = NULL;
	const char *top = getenv("top_srcdir");
	char card_dir[4096];
	unsigned long nsig = 1000, nrss = 0;
	CK_SLOT_ID slots[8];
	CK_ULONG nslots = 8, i;
	CK_TOKEN_INFO ti;
	mark m;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);   /* progress lines of long runs */
	snprintf(card_dir, sizeof card_dir, "%s/tests/emu/cards/card-1", top ? top : ".");
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--module") && a + 1 < argc)
			module = argv[++a];
		else if (!strcmp(argv[a], "--apdu-log") && a + 1 < argc)
			apdu_log = argv[++a];
		else if (!strcmp(argv[a], "--card") && a + 1 < argc)
			snprintf(card_dir, sizeof card_dir, "%s", argv[++a]);
		else if (!strcmp(argv[a], "-n") && a + 1 < argc)
			nsig = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--rss") && a + 1 < argc)
			nrss = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--pss"))
			use_pss = 1;   /* in-process also a card that signs RSA-PSS (P1 04) */
#ifdef BENCH_INPROC
		else if (!strcmp(argv[a], "--no-sfi"))
			emu_opts.no_sfi_sw = 0x6A86;   /* a card without short EF identifiers */
		else if (!strcmp(argv[a], "--no-ef0008"))
			emu_opts.ef0008 = JP_EMU_EF0008_ABSENT;   /* an older card (doc/card.md §3) */
#endif
		else
			usage();
	}
	if (!nsig)
		nsig = 1;
	read_pins(card_dir);
#ifdef BENCH_INPROC
	emu_opts.pss = use_pss;
	emu = jp_emu_new(card_dir, &emu_opts, NULL);
	if (!emu) {
		fprintf(stderr, "bench: cannot load card %s\n", card_dir);
		return 1;
	}
	/* BENCH_APDU_LOG=FILE: every APDU of the run, to see where they go. */
	if (getenv("BENCH_APDU_LOG") && jp_emu_log_to(emu, getenv("BENCH_APDU_LOG")) != 0)
		fprintf(stderr, "bench: cannot write %s\n", getenv("BENCH_APDU_LOG"));
	jp_emu_reader_insert(jp_emu_reader_add("Bench Reader"), emu);
	printf("In-process: test module + emulator (%s)%s%s\n", card_dir,
	       emu_opts.no_sfi_sw ? ", card without signing by short EF identifier (6A86)" :
	                          ", card signs by short EF identifier (doc/card.md §11)",
	       emu_opts.ef0008 == JP_EMU_EF0008_ABSENT ? ", no EF 0008" : "");
#else
	if (!module)
		usage();
	printf("Module: %s%s%s\n", module, apdu_log ? ", APDUs from " : "", apdu_log ? apdu_log : "");
#endif
	if (load_module(module))
		return 1;

	bench_fresh();
	if (failures)
		goto out;
	printf("Cold start\n");
	m = mark_now();
	CHECK(p11->C_Initialize(NULL));
	report("C_Initialize", m, 0);
	m = mark_now();
	CHECK(p11->C_GetSlotList(CK_TRUE, slots, &nslots));
	report("C_GetSlotList(tokenPresent)", m, 0);
	m = mark_now();
	for (i = 0; i < nslots; i++) {
		CK_SLOT_INFO si;
		CHECK(p11->C_GetSlotInfo(slots[i], &si));
		CHECK(p11->C_GetTokenInfo(slots[i], &ti));
	}
	report("slot + token info, every slot", m, 0);
	printf("  %-44s %8lu\n", "slots with a token", (unsigned long)nslots);
	if (nslots < 2) {
		fprintf(stderr, "bench: expected two tokens\n");
		failures++;
		goto out;
	}
	bench_token(slots[0], 0, nsig);
	bench_token(slots[1], 1, nsig);
	bench_host_cpu(slots[0], nsig, card_dir);
	if (nrss) {
		printf("Memory (auth key, %lu signatures after 1000 warm-up)\n", nrss);
		bench_rss(slots[0], nrss);
	}
	printf("Teardown\n");
	m = mark_now();
	CHECK(p11->C_Finalize(NULL));
	report("C_Finalize", m, 0);
out:
#ifdef BENCH_INPROC
	jp_emu_readers_clear();
	jp_emu_free(emu);
#endif
	if (failures)
		printf("bench: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
