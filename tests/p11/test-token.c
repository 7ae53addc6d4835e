/* Token and slot information against the emulated cards: labels, slot
 * descriptions, manufacturer/model, the serial (derived from the
 * authentication certificate, checked with OpenSSL), flags, PIN lengths,
 * memory fields, session counts, the APDU budget of a "pkcs11-tool -L",
 * the cards that show no token (no signing key, 住基カード, non-JPKI), and
 * the CA certificates read only when a caller needs their content. */
#include "config.h"

#include <unistd.h>

#include <openssl/evp.h>


#include "tests/p11/p11-test.h"

#define READER1 "JPKI Test Reader 00 00"
#define READER2 "Second Reader 01 00"

static void expected_serial(int card_no, char out[17])
{
	char path[4200];
	unsigned char der[8192], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/auth.der", jp_emu_fixture_dir(card_no));
	f = fopen(path, "rb");
	n = f ? fread(der, 1, sizeof(der), f) : 0;
	if (f)
		fclose(f);
	EVP_Digest(der, n, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
}

/* "pkcs11-tool -L": slot list, then slot and token info of each slot. */
static void list_like_pkcs11_tool(void)
{
	CK_SLOT_ID s[8];
	CK_ULONG n = pt_slots(CK_FALSE, s, 8), i;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;

	for (i = 0; i < n && i < 8; i++) {
		if (F->C_GetSlotInfo(s[i], &si) == CKR_OK && (si.flags & CKF_TOKEN_PRESENT))
			(void)F->C_GetTokenInfo(s[i], &ti);
	}
}

static void test_one_card(void)
{
	jp_emu *e;
	CK_SLOT_ID s[8];
	CK_ULONG n;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	char want_serial[17];
	unsigned long before, apdus;
	CK_FLAGS base = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED |
	                CKF_WRITE_PROTECTED;

	pt_reader_with_card(READER1, 1, NULL, &e);
	before = jp_emu_apdu_count(e);
	is_int(pt_init(), CKR_OK, "C_Initialize");
	n = pt_slots(CK_FALSE, s, 8);
	is_int(jp_emu_apdu_count(e) - before, 0, "C_Initialize and C_GetSlotList send no APDU");
	is_int(n, 2, "one reader, two slots");
	is_int(s[0], 0x4a50, "first slot id (non-zero base)");
	is_int(s[1], 0x4a51, "second slot id");

	list_like_pkcs11_tool();
	apdus = jp_emu_apdu_count(e) - before;
	diag("pkcs11-tool -L equivalent: %lu APDUs (READ BINARY %lu, VERIFY %lu, SELECT %lu)",
	     apdus, jp_emu_ins_count(e, 0xB0), jp_emu_ins_count(e, 0x20), jp_emu_ins_count(e, 0xA4));
	/* SELECT AP, SELECT + READ EF 0006, SELECT + READ the authentication
	 * certificate (the serial, and the authentication token is there);
	 * EF 0008 (SELECT + READ: whether the card carries a signing
	 * certificate, decided without a PIN, doc/card.md §3). No retry
	 * query: the PIN flags show what a VERIFY has told this process. */
	is_int(apdus, 7, "listing costs 7 APDUs");
	is_int(jp_emu_ins_count(e, 0x20), 0, "... none of them a retry query or VERIFY");
	is_int(jp_emu_verify_count(e), 0, "no VERIFY with a PIN while listing");

	before = jp_emu_apdu_count(e);
	list_like_pkcs11_tool();
	is_int(jp_emu_apdu_count(e) - before, 0, "listing again: no APDU (all cached)");

	is_int(F->C_GetSlotInfo(s[0], &si), CKR_OK, "slot info (auth)");
	ok(pt_padded_eq(si.slotDescription, sizeof(si.slotDescription),
	                READER1 " User Authentication"), "auth slot description");
	is_int(si.flags, CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT, "auth slot flags");
	is_int(F->C_GetSlotInfo(s[1], &si), CKR_OK, "slot info (sign)");
	ok(pt_padded_eq(si.slotDescription, sizeof(si.slotDescription),
	                READER1 " Digital Signature"), "sign slot description");

	expected_serial(1, want_serial);
	is_int(F->C_GetTokenInfo(s[0], &ti), CKR_OK, "token info (auth)");
	ok(pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_AUTH), "auth label");
	ok(pt_padded_eq(ti.manufacturerID, sizeof(ti.manufacturerID), "J-LIS (JPKI)"), "manufacturer");
	ok(pt_padded_eq(ti.model, sizeof(ti.model), "My Number Card"), "model");
	ok(pt_padded_eq(ti.serialNumber, sizeof(ti.serialNumber), want_serial),
	   "serial = hex of SHA-256(auth cert)[0..8] (%s)", want_serial);
	is_int(ti.flags, base, "auth flags: initialized, PIN initialized, login required, write protected");
	is_int(ti.ulMinPinLen, 4, "auth min PIN length");
	is_int(ti.ulMaxPinLen, 4, "auth max PIN length");
	is_int(ti.ulSessionCount, 0, "no sessions");
	is_int(ti.ulRwSessionCount, 0, "no RW sessions");
	is_int(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE, "max sessions");
	ok(ti.ulTotalPublicMemory == CK_UNAVAILABLE_INFORMATION &&
	   ti.ulFreePublicMemory == CK_UNAVAILABLE_INFORMATION &&
	   ti.ulTotalPrivateMemory == CK_UNAVAILABLE_INFORMATION &&
	   ti.ulFreePrivateMemory == CK_UNAVAILABLE_INFORMATION, "memory fields unavailable");
	ok(!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH), "no protected authentication path");

	is_int(F->C_GetTokenInfo(s[1], &ti), CKR_OK, "token info (sign)");
	ok(pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_SIGN), "sign label");
	ok(pt_padded_eq(ti.serialNumber, sizeof(ti.serialNumber), want_serial), "same serial");
	is_int(ti.flags, base, "sign flags");
	is_int(ti.ulMinPinLen, 6, "sign min PIN length");
	is_int(ti.ulMaxPinLen, 16, "sign max PIN length");

	{
		CK_SESSION_HANDLE h1, h2;
		F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h1);
		F->C_OpenSession(s[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h2);
		F->C_GetTokenInfo(s[0], &ti);
		is_int(ti.ulSessionCount, 2, "two sessions counted");
		is_int(ti.ulRwSessionCount, 1, "one RW session counted");
		F->C_CloseAllSessions(s[0]);
		F->C_GetTokenInfo(s[0], &ti);
		is_int(ti.ulSessionCount, 0, "sessions closed");
	}

	is_int(F->C_GetTokenInfo(0, &ti), CKR_SLOT_ID_INVALID, "slot 0 is invalid");
	is_int(F->C_GetTokenInfo(s[1] + 2, &ti), CKR_SLOT_ID_INVALID, "unknown slot");
	is_int(F->C_GetTokenInfo(s[0], NULL), CKR_ARGUMENTS_BAD, "NULL token info");
	is_int(F->C_GetSlotInfo(s[0], NULL), CKR_ARGUMENTS_BAD, "NULL slot info");
	is_int(F->C_GetSlotInfo(0x12345, &si), CKR_SLOT_ID_INVALID, "slot info of unknown slot");

	/* A second card: distinct serial, distinct slots. */
	{
		jp_emu *e2;
		char serial2[17];
		CK_TOKEN_INFO t2;
		pt_reader_with_card(READER2, 2, NULL, &e2);
		n = pt_slots(CK_FALSE, s, 8);
		is_int(n, 4, "two readers, four slots");
		ok(s[2] == 0x4a52 && s[3] == 0x4a53, "the new reader's slots follow");
		expected_serial(2, serial2);
		F->C_GetTokenInfo(s[2], &t2);
		ok(pt_padded_eq(t2.serialNumber, sizeof(t2.serialNumber), serial2),
		   "second card's serial (%s)", serial2);
		ok(strcmp(serial2, want_serial) != 0, "the two cards' serials differ");
		F->C_Finalize(NULL);
		jp_emu_readers_clear();
		jp_emu_free(e2);
	}
	jp_emu_free(e);
}

/* A caller that asks about one token pays for that token only: the
 * signature token's EF 0008 waits until someone asks about it (tokens
 * probed one by one, src/p11/token.c). The PIN flags: none in a fresh
 * process (no APDU is spent only for them), then what each VERIFY's
 * answer said. */
static void test_one_token_only(void)
{
	jp_emu *e;
	CK_SLOT_ID s[4];
	CK_TOKEN_INFO ti;
	unsigned long before;

	pt_reader_with_card(READER1, 1, NULL, &e);
	pt_init();
	is_int(pt_slots(CK_FALSE, s, 4), 2, "one token: two slots");
	before = jp_emu_apdu_count(e);
	is_int(F->C_GetTokenInfo(s[0], &ti), CKR_OK, "one token: auth token info");
	/* SELECT AP, SELECT + READ EF 0006, SELECT + READ EF 000A. */
	is_int(jp_emu_apdu_count(e) - before, 5, "one token: the auth token's info costs 5 APDUs");
	is_int(jp_emu_ins_count(e, 0x20), 0, "one token: no retry query, no VERIFY");
	is_int(jp_emu_ins_count(e, 0xB0), 2, "one token: two reads (EF 0006, EF 000A), no EF 0008");
	ok(!(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)),
	   "one token: fresh process, no PIN flag (COUNT_LOW, FINAL_TRY, LOCKED)");
	before = jp_emu_apdu_count(e);
	is_int(F->C_GetTokenInfo(s[1], &ti), CKR_OK, "one token: then the sign token's info");
	is_int(jp_emu_apdu_count(e) - before, 2,
	       "one token: the sign token costs its own 2 (EF 0008 SELECT + READ)");
	is_int(jp_emu_ins_count(e, 0x20), 0, "one token: still no retry query");
	ok(!(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)),
	   "one token: sign token, fresh process, no PIN flag");
	before = jp_emu_apdu_count(e);
	(void)F->C_GetTokenInfo(s[0], &ti);
	(void)F->C_GetTokenInfo(s[1], &ti);
	is_int(jp_emu_apdu_count(e) - before, 0, "one token: asked again, no APDU");

	/* The flags follow each VERIFY's answer: another program spends a
	 * try (unknown here), our wrong PIN's 63C1 says 1 left (COUNT_LOW and
	 * FINAL_TRY), then our own VERIFY's answer is lost: the count is
	 * unknown and the flags say nothing, without asking the card. */
	{
		static const uint8_t sel_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0,
		                                  0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
		static const uint8_t sel_pin[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18 };
		uint8_t bad_verify[] = { 0x00, 0x20, 0x00, 0x80, 0x04, '0', '0', '0', '0' };
		uint8_t rsp[300];
		CK_SESSION_HANDLE h;
		const char *wrong;

		if (strcmp(fixture_pin(1, 0), "0000") == 0)
			memset(bad_verify + 5, '1', 4);
		wrong = strcmp(fixture_pin(1, 0), "9999") == 0 ? "9998" : "9999";
		is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK,
		       "one token: session on the auth token");
		(void)jp_emu_apdu(e, sel_ap, sizeof(sel_ap), rsp);
		(void)jp_emu_apdu(e, sel_pin, sizeof(sel_pin), rsp);
		(void)jp_emu_apdu(e, bad_verify, sizeof(bad_verify), rsp);
		is_int(jp_emu_tries(e, 0), 2, "one token: another program spent a try (2 left)");
		before = jp_emu_apdu_count(e);
		(void)F->C_GetTokenInfo(s[0], &ti);
		is_int(jp_emu_apdu_count(e) - before, 0, "one token: token info asks nothing");
		ok(!(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
		                 CKF_USER_PIN_LOCKED)), "one token: not told yet, no PIN flag");
		is_int(pt_login(h, CKU_USER, wrong), CKR_PIN_INCORRECT, "one token: our wrong PIN");
		is_int(jp_emu_tries(e, 0), 1, "one token: 1 try left on the card");
		(void)F->C_GetTokenInfo(s[0], &ti);
		ok((ti.flags & CKF_USER_PIN_COUNT_LOW) && (ti.flags & CKF_USER_PIN_FINAL_TRY) &&
		   !(ti.flags & CKF_USER_PIN_LOCKED), "one token: COUNT_LOW and FINAL_TRY (1 left)");
		/* SELECT 0018, then the VERIFY whose answer is lost. */
		jp_emu_opts(e)->drop_nth = jp_emu_apdu_count(e) + 2;
		ok(pt_login(h, CKU_USER, wrong) != CKR_OK, "one token: the login's answer is lost");
		jp_emu_opts(e)->drop_nth = 0;
		before = jp_emu_apdu_count(e);
		is_int(F->C_GetTokenInfo(s[0], &ti), CKR_OK, "one token: token info after it");
		is_int(jp_emu_apdu_count(e) - before, 0, "one token: the unknown counter is not asked");
		ok(!(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
		                 CKF_USER_PIN_LOCKED)),
		   "one token: unknown counter, no PIN flag (the card has %d)", jp_emu_tries(e, 0));
		F->C_CloseSession(h);
	}
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
}

/* A card with the given options: which slots show a token. */
static void test_variant(const char *what, const jp_emu_options *o, int want_auth, int want_sign)
{
	jp_emu *e;
	CK_SLOT_ID s[4], p[4];
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_ULONG n;

	pt_reader_with_card(READER1, 1, o, &e);
	pt_init();
	n = pt_slots(CK_FALSE, s, 4);
	is_int(n, 2, "%s: two slots", what);
	F->C_GetSlotInfo(s[0], &si);
	is_int(!!(si.flags & CKF_TOKEN_PRESENT), want_auth, "%s: auth token present?", what);
	F->C_GetSlotInfo(s[1], &si);
	is_int(!!(si.flags & CKF_TOKEN_PRESENT), want_sign, "%s: sign token present?", what);
	is_int(F->C_GetTokenInfo(s[1], &ti), want_sign ? CKR_OK : CKR_TOKEN_NOT_PRESENT,
	       "%s: sign token info", what);
	is_int(F->C_GetTokenInfo(s[0], &ti), want_auth ? CKR_OK : CKR_TOKEN_NOT_PRESENT,
	       "%s: auth token info", what);
	n = pt_slots(CK_TRUE, p, 4);
	is_int(n, want_auth + want_sign, "%s: slots with a token", what);
	if (want_auth && n >= 1)
		is_int(p[0], s[0], "%s: the auth slot is listed", what);
	{
		CK_SESSION_HANDLE h;
		if (!want_sign)
			is_int(F->C_OpenSession(s[1], CKF_SERIAL_SESSION, NULL, NULL, &h),
			       CKR_TOKEN_NOT_PRESENT, "%s: no session without a token", what);
	}
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
}

/* Lines of the emulator's log at path that start with prefix. */
static int log_lines(const char *path, const char *prefix)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	if (f)
		fclose(f);
	return n;
}

/* Login and one signature with key k on session h (the signing key asks
 * for its password again before it signs). */
static CK_RV login_sign(CK_SESSION_HANDLE h, int k)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE key;
	CK_BYTE sig[256];
	CK_ULONG sig_len = sizeof(sig);
	CK_RV rv = pt_login(h, CKU_USER, fixture_pin(1, k));

	key = rv == CKR_OK ? pt_find1(h, CKO_PRIVATE_KEY, -1) : CK_INVALID_HANDLE;
	if (rv == CKR_OK)
		rv = F->C_SignInit(h, &m, key);
	if (rv == CKR_OK && k == PT_SIGN)
		rv = pt_login(h, CKU_CONTEXT_SPECIFIC, fixture_pin(1, k));
	if (rv == CKR_OK)
		rv = F->C_Sign(h, (CK_BYTE_PTR)"a document", 10, sig, &sig_len);
	return rv;
}

/* The subject of a fixture certificate, DER (the caller frees it). */
static int fixture_subject(const char *name, unsigned char **der)
{
	X509 *x = pt_cert(1, name);
	int len = i2d_X509_NAME(X509_get_subject_name(x), der);

	X509_free(x);
	return len;
}

/* A token's CA certificate object is there from the start; its content is
 * read from the card once, by the first call that needs it
 * (doc/design.md §3): not by a login and a signature, once by
 * C_GetAttributeValue or by C_FindObjectsInit naming its subject; a card
 * pulled before that read fails that call with CKR_DEVICE_REMOVED. */
static void test_ca_on_demand(void)
{
	static const char *const sel_ca[2] = { "> 00A4020C02000B", "> 00A4020C020002" };
	static const char *const name[2] = { "authentication", "signing" };
	char logpath[] = "/tmp/jp-test-token-ca-XXXXXX";
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE a, subj[2];
	CK_OBJECT_HANDLE ca[2], found[4];
	CK_SESSION_HANDLE h[2];
	unsigned long before;
	unsigned char *want_subj = NULL, buf[4096];
	uint8_t *want;
	size_t want_len;
	CK_ULONG n = 0;
	int fd = mkstemp(logpath), k, subj_len, mode;
	pt_card t;

	if (fd >= 0)
		close(fd);
	pt_start(&t, 1, NULL);
	ok(jp_emu_log_to(t.e, logpath) == 0, "CA on demand: the emulator logs the APDUs");
	for (k = 0; k < 2; k++) {
		h[k] = pt_open(&t, k);
		is_int(login_sign(h[k], k), CKR_OK, "CA on demand: %s key: session, login and "
		       "signature", name[k]);
		is_int(log_lines(logpath, sel_ca[k]), 0, "CA on demand: %s token: no SELECT (nor "
		       "READ) of its CA certificate's EF", name[k]);
		ca[k] = pt_find1(h[k], CKO_CERTIFICATE, 2);
		ok(ca[k] != CK_INVALID_HANDLE, "CA on demand: %s token: its CA object is found by "
		   "class and category", name[k]);
		is_int(log_lines(logpath, sel_ca[k]), 0, "CA on demand: %s token: finding it by "
		       "class and category reads nothing", name[k]);
	}

	/* C_GetAttributeValue(CKA_VALUE): read once, the card's bytes. */
	want = fixture_file(1, "auth-ca.der", &want_len);
	before = jp_emu_apdu_count(t.e);
	a.type = CKA_VALUE;
	a.pValue = NULL;
	a.ulValueLen = 0;
	is_int(F->C_GetAttributeValue(h[PT_AUTH], ca[PT_AUTH], &a, 1), CKR_OK,
	       "CA on demand: CKA_VALUE's length");
	is_int(a.ulValueLen, want_len, "CA on demand: the length of auth-ca.der");
	is_int(log_lines(logpath, sel_ca[PT_AUTH]), 1, "CA on demand: that call read the CA "
	       "certificate (one SELECT of EF 000B)");
	ok(jp_emu_apdu_count(t.e) - before >= 2, "CA on demand: SELECT + READ (%lu APDUs)",
	   jp_emu_apdu_count(t.e) - before);
	before = jp_emu_apdu_count(t.e);
	a.pValue = buf;
	a.ulValueLen = sizeof(buf);
	is_int(F->C_GetAttributeValue(h[PT_AUTH], ca[PT_AUTH], &a, 1), CKR_OK,
	       "CA on demand: CKA_VALUE");
	ok(a.ulValueLen == want_len && memcmp(buf, want, want_len) == 0,
	   "CA on demand: CKA_VALUE is the card's file, byte for byte");
	is_int(jp_emu_apdu_count(t.e) - before, 0, "CA on demand: asked again, no APDU");
	free(want);

	/* C_FindObjectsInit with the signing CA's subject: found, read once. */
	subj_len = fixture_subject("sign-ca.der", &want_subj);
	subj[0].type = CKA_CLASS;
	subj[0].pValue = &cls;
	subj[0].ulValueLen = sizeof(cls);
	subj[1].type = CKA_SUBJECT;
	subj[1].pValue = want_subj;
	subj[1].ulValueLen = subj_len > 0 ? (CK_ULONG)subj_len : 0;
	is_int(F->C_FindObjectsInit(h[PT_SIGN], subj, 2), CKR_OK,
	       "CA on demand: C_FindObjectsInit with the signing CA's subject");
	is_int(F->C_FindObjects(h[PT_SIGN], found, 4, &n), CKR_OK, "CA on demand: C_FindObjects");
	F->C_FindObjectsFinal(h[PT_SIGN]);
	ok(n == 1 && found[0] == ca[PT_SIGN], "CA on demand: the CA object, and only it (%lu)",
	   (unsigned long)n);
	is_int(log_lines(logpath, sel_ca[PT_SIGN]), 1, "CA on demand: the find read the signing "
	       "CA certificate once (EF 0002)");
	before = jp_emu_apdu_count(t.e);
	is_int(F->C_FindObjectsInit(h[PT_SIGN], subj, 2), CKR_OK, "CA on demand: the same find");
	n = 0;
	F->C_FindObjects(h[PT_SIGN], found, 4, &n);
	F->C_FindObjectsFinal(h[PT_SIGN]);
	ok(n == 1 && jp_emu_apdu_count(t.e) == before, "CA on demand: found again, no APDU");
	jp_emu_log_to(t.e, NULL);
	pt_stop(&t);
	unlink(logpath);

	/* The card pulled before the read: the call that reads says so. */
	for (mode = 0; mode < 2; mode++) {
		CK_RV rv;

		pt_start(&t, 1, NULL);
		h[PT_SIGN] = pt_open(&t, PT_SIGN);
		ca[PT_SIGN] = pt_find1(h[PT_SIGN], CKO_CERTIFICATE, 2);
		jp_emu_opts(t.e)->remove_nth = jp_emu_apdu_count(t.e) + 1;
		if (mode == 0) {
			a.type = CKA_SUBJECT;
			a.pValue = NULL;
			a.ulValueLen = 0;
			rv = F->C_GetAttributeValue(h[PT_SIGN], ca[PT_SIGN], &a, 1);
		} else {
			rv = F->C_FindObjectsInit(h[PT_SIGN], subj, 2);
		}
		is_int(rv, CKR_DEVICE_REMOVED, "CA on demand: card pulled at the read: %s answers "
		       "CKR_DEVICE_REMOVED", mode == 0 ? "C_GetAttributeValue" : "C_FindObjectsInit");
		ok(jp_emu_removed(t.e), "CA on demand: the card went at that call's first APDU");
		pt_stop(&t);
	}
	OPENSSL_free(want_subj);
}

int main(void)
{
	jp_emu_options o;

	pt_load();
	test_one_card();
	test_one_token_only();

	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_NOT_FOUND;
	test_variant("no signing key", &o, 1, 0);
	/* No token, and the debug log says why. */
	{
		char logpath[] = "/tmp/jp-test-token-XXXXXX", spec[64], line[512];
		int fd = mkstemp(logpath), juki = 0, other = 0;
		FILE *f;

		if (fd >= 0)
			close(fd);
		snprintf(spec, sizeof(spec), "level:4,file:%s", logpath);
		setenv("JPKI_PKCS11_DEBUG", spec, 1);   /* read by C_Initialize */
		memset(&o, 0, sizeof(o));
		o.kind = JP_EMU_JUKI;
		test_variant("old Juki card", &o, 0, 0);
		memset(&o, 0, sizeof(o));
		o.kind = JP_EMU_NOT_JPKI;
		test_variant("non-JPKI card", &o, 0, 0);
		unsetenv("JPKI_PKCS11_DEBUG");
		f = fopen(logpath, "r");
		while (f && fgets(line, sizeof(line), f)) {
			juki += strstr(line, "no token: old Basic Resident Registration card") != NULL;
			other += strstr(line, "no token: not a My Number Card") != NULL;
		}
		if (f)
			fclose(f);
		unlink(logpath);
		ok(juki > 0, "debug log: the old card is named as the reason");
		ok(other > 0, "debug log: a non-JPKI card is named as the reason");
	}
	memset(&o, 0, sizeof(o));
	o.no_extended = 1;
	test_variant("no extended APDUs", &o, 1, 1);
	test_ca_on_demand();
	done_testing();
}
