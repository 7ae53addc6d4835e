/* The login state machine: user and context-specific logins, logout,
 * already/not logged in, SO refused, NULL PIN, the signing password
 * upper-cased, logout and last-session close and finalize leaving the
 * card unverified (both PINs), a card verified by another program giving
 * this process nothing, a card reset by another program logging us out,
 * C_SetPIN, and the APDU cost of steady-state signatures. */
#include "config.h"

#include <ctype.h>

#include "tests/p11/p11-test.h"

#define RDR "Login Reader 00 00"

static jp_emu *e;
static int rdr_idx;
static CK_SLOT_ID s[2];

static void start(const char *reserved)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	a.pReserved = (void *)reserved;
	rdr_idx = pt_reader_with_card(RDR, 1, NULL, &e);
	if (F->C_Initialize(&a) != CKR_OK || pt_slots(CK_FALSE, s, 2) != 2)
		bail_out("cannot start");
}

static void stop(void)
{
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
	e = NULL;
}

static CK_SESSION_HANDLE open_s(int key, CK_FLAGS extra)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	if (F->C_OpenSession(s[key], CKF_SERIAL_SESSION | extra, NULL, NULL, &h) != CKR_OK)
		diag("open session on slot %d failed", key);
	return h;
}

/* Handles of class cls visible to session h (at most max). */
static CK_ULONG find_class(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out,
                           CK_ULONG max)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG n = 0;

	if (F->C_FindObjectsInit(h, &t, 1) != CKR_OK)
		return (CK_ULONG)-1;
	F->C_FindObjects(h, out, max, &n);
	F->C_FindObjectsFinal(h);
	return n;
}

static CK_STATE state_of(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	return F->C_GetSessionInfo(h, &si) == CKR_OK ? si.state : (CK_STATE)-1;
}

static CK_RV sign_sha256(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, int ctx_pin_key,
                         CK_ULONG *sig_len)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE data[] = "a document", sig[512];
	CK_RV rv;

	*sig_len = sizeof(sig);
	rv = F->C_SignInit(h, &m, key);
	if (rv != CKR_OK)
		return rv;
	if (ctx_pin_key >= 0) {
		rv = pt_login(h, CKU_CONTEXT_SPECIFIC, fixture_pin(1, ctx_pin_key));
		if (rv != CKR_OK)
			return rv;
	}
	return F->C_Sign(h, data, sizeof(data) - 1, sig, sig_len);
}

static void test_basic(void)
{
	CK_SESSION_HANDLE a, b;
	unsigned long v0;

	start(NULL);
	a = open_s(0, 0);
	b = open_s(1, 0);
	is_int(pt_login(a, CKU_SO, fixture_pin(1, 0)), CKR_USER_TYPE_INVALID, "CKU_SO refused");
	is_int(pt_login(a, 7, fixture_pin(1, 0)), CKR_USER_TYPE_INVALID, "unknown user type");
	is_int(F->C_Login(a, CKU_USER, NULL, 4), CKR_ARGUMENTS_BAD, "NULL PIN");
	is_int(F->C_Logout(a), CKR_USER_NOT_LOGGED_IN, "logout before login");
	is_int(pt_login(a, CKU_CONTEXT_SPECIFIC, fixture_pin(1, 0)), CKR_USER_NOT_LOGGED_IN,
	       "context-specific before user login");
	is_int(jp_emu_verify_count(e), 0, "none of that reached the card");

	v0 = jp_emu_verify_count(e);
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_OK, "auth login");
	is_int(jp_emu_verify_count(e) - v0, 1, "one VERIFY");
	is_int(jp_emu_verified(e, 0), 1, "card: auth PIN verified");
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_USER_ALREADY_LOGGED_IN, "already logged in");
	is_int(jp_emu_verify_count(e) - v0, 1, "no second VERIFY");
	is_int(pt_login(a, CKU_CONTEXT_SPECIFIC, fixture_pin(1, 0)), CKR_OPERATION_NOT_INITIALIZED,
	       "context-specific without an operation");

	/* The signing password, typed in lower case. */
	{
		char lower[32];
		size_t i;
		strcpy(lower, fixture_pin(1, 1));
		for (i = 0; lower[i]; i++)
			lower[i] = (char)tolower((unsigned char)lower[i]);
		is_int(pt_login(b, CKU_USER, lower), CKR_OK, "sign login with a lower-case password");
		is_int(jp_emu_verified(e, 1), 1, "card: signing password verified");
		is_int(jp_emu_tries(e, 1), 5, "no try used");
	}

	/* Logging out one token power-cycles the card: both are out. */
	is_int(F->C_Logout(b), CKR_OK, "logout of the signature token");
	ok(jp_emu_verified(e, 0) == 0 && jp_emu_verified(e, 1) == 0, "card: nothing verified");
	is_int(state_of(a), CKS_RO_PUBLIC_SESSION, "the authentication token is logged out too");
	is_int(F->C_Logout(a), CKR_USER_NOT_LOGGED_IN, "so its logout says not logged in");

	/* Closing the last session of a logged-in token logs out. */
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login again");
	is_int(F->C_CloseSession(a), CKR_OK, "close its only session");
	is_int(jp_emu_verified(e, 0), 0, "card unverified after the last session closed");
	a = open_s(0, 0);
	is_int(state_of(a), CKS_RO_PUBLIC_SESSION, "a new session is public");

	/* Finalize while logged in. */
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login");
	is_int(pt_login(b, CKU_USER, fixture_pin(1, 1)), CKR_OK, "sign login");
	stop();
	/* stop() freed e: check through a fresh card object is impossible,
	 * so this part runs again below with the emulator kept. */
}

static void test_finalize_unverifies(void)
{
	CK_SESSION_HANDLE a;
	jp_emu *keep;

	start(NULL);
	a = open_s(0, 0);
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login before finalize");
	is_int(jp_emu_verified(e, 0), 1, "verified");
	F->C_Finalize(NULL);
	is_int(jp_emu_verified(e, 0), 0, "C_Finalize left the card unverified");
	keep = e;
	jp_emu_readers_clear();
	jp_emu_free(keep);
	e = NULL;
}

static void test_signing_costs(void)
{
	CK_SESSION_HANDLE a, b;
	CK_OBJECT_HANDLE ka[4], kb[4];
	CK_ULONG n, len;
	unsigned long before;

	start(NULL);
	a = open_s(0, 0);
	b = open_s(1, 0);
	is_int(find_class(a, CKO_PRIVATE_KEY, ka, 4), 0, "auth private key hidden before login");
	is_int(find_class(b, CKO_PRIVATE_KEY, kb, 4), 0, "sign private key hidden before login");
	is_int(find_class(b, CKO_CERTIFICATE, kb, 4), 1, "sign token: only the CA certificate");
	pt_login(a, CKU_USER, fixture_pin(1, 0));
	pt_login(b, CKU_USER, fixture_pin(1, 1));
	n = find_class(a, CKO_PRIVATE_KEY, ka, 4);
	is_int(n, 1, "auth private key after login");
	n = find_class(b, CKO_PRIVATE_KEY, kb, 4);
	is_int(n, 1, "sign private key after login");
	is_int(find_class(b, CKO_CERTIFICATE, kb + 1, 3), 2, "sign token: both certificates");

	is_int(sign_sha256(a, ka[0], -1, &len), CKR_OK, "auth signature");
	before = jp_emu_apdu_count(e);
	is_int(sign_sha256(a, ka[0], -1, &len), CKR_OK, "auth signature again");
	is_int(len, 256, "256 bytes");
	/* 1: the card signs by short EF identifier (doc/card.md §11). */
	is_int(jp_emu_apdu_count(e) - before, 1, "steady-state auth signature: 1 APDU");

	is_int(sign_sha256(b, kb[0], -1, &len), CKR_USER_NOT_LOGGED_IN,
	       "signing key without the context-specific login");
	before = jp_emu_apdu_count(e);
	is_int(sign_sha256(b, kb[0], 1, &len), CKR_OK, "signing key with the context-specific login");
	is_int(jp_emu_apdu_count(e) - before, 3, "steady-state signature with the signing key: 3 APDUs");
	{
		CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
		F->C_SignInit(b, &m, kb[0]);
		is_int(pt_login(b, CKU_CONTEXT_SPECIFIC, "WRONG99"), CKR_PIN_INCORRECT,
		       "context-specific login with a wrong password");
		is_int(jp_emu_tries(e, 1), 4, "it cost a try");
		is_int(pt_login(b, CKU_CONTEXT_SPECIFIC, fixture_pin(1, 1)), CKR_OK,
		       "the right one resets the counter");
		is_int(jp_emu_tries(e, 1), 5, "counter back to 5");
		len = 512;
		{
			CK_BYTE sig[512];
			is_int(F->C_Sign(b, (CK_BYTE_PTR)"x", 1, sig, &len), CKR_OK, "then the signature");
		}
	}
	stop();

	/* always-authenticate=no: one login, any number of signatures. */
	start("always-authenticate=no");
	b = open_s(1, 0);
	pt_login(b, CKU_USER, fixture_pin(1, 1));
	find_class(b, CKO_PRIVATE_KEY, kb, 4);
	is_int(sign_sha256(b, kb[0], -1, &len), CKR_OK, "always-authenticate=no: plain signature");
	before = jp_emu_apdu_count(e);
	is_int(sign_sha256(b, kb[0], -1, &len), CKR_OK, "again");
	is_int(jp_emu_apdu_count(e) - before, 1, "1 APDU per signature");
	stop();
}

static void test_verified_by_other(void)
{
	CK_SESSION_HANDLE a, b;
	CK_OBJECT_HANDLE ka[4], kb[4], objs[8];
	CK_ULONG len, n;
	unsigned long signs;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };

	start(NULL);
	a = open_s(0, 0);
	b = open_s(1, 0);
	/* Learn the private key handles, then log out. */
	pt_login(a, CKU_USER, fixture_pin(1, 0));
	pt_login(b, CKU_USER, fixture_pin(1, 1));
	find_class(a, CKO_PRIVATE_KEY, ka, 4);
	find_class(b, CKO_PRIVATE_KEY, kb, 4);
	F->C_Logout(a);
	/* Another program verifies both PINs on the card. */
	is_int(pt_other_verify(e, 0, fixture_pin(1, 0)), 0x9000, "another program verifies the PIN");
	is_int(pt_other_verify(e, 1, fixture_pin(1, 1)), 0x9000, "and the signing password");
	ok(jp_emu_verified(e, 0) && jp_emu_verified(e, 1), "the card is verified");
	signs = jp_emu_sign_count(e);
	ok(F->C_SignInit(a, &m, ka[0]) != CKR_OK ||
	   sign_sha256(a, ka[0], -1, &len) != CKR_OK, "we still cannot sign with the auth key");
	ok(F->C_SignInit(b, &m, kb[0]) != CKR_OK, "nor with the signing key");
	is_int(jp_emu_sign_count(e), signs, "no signature was made");
	is_int(find_class(b, CKO_PRIVATE_KEY, objs, 8), 0, "no private key visible");
	n = find_class(b, CKO_CERTIFICATE, objs, 8);
	is_int(n, 1, "the signing certificate stays hidden (CA only)");
	is_int(find_class(b, CKO_PUBLIC_KEY, objs, 8), 0, "no public key derived from it");
	stop();
}

static void test_reset_by_other(void)
{
	CK_SESSION_HANDLE a;
	CK_OBJECT_HANDLE ka[4];
	CK_ULONG len;
	int idx;

	start(NULL);
	idx = rdr_idx;
	a = open_s(0, 0);
	pt_login(a, CKU_USER, fixture_pin(1, 0));
	find_class(a, CKO_PRIVATE_KEY, ka, 4);
	is_int(sign_sha256(a, ka[0], -1, &len), CKR_OK, "signature before the reset");
	jp_emu_reader_reset_by_other(idx, 0);
	is_int(sign_sha256(a, ka[0], -1, &len), CKR_USER_NOT_LOGGED_IN,
	       "after another program's reset: not logged in");
	is_int(state_of(a), CKS_RO_PUBLIC_SESSION, "the session is public again");
	/* The emulator's default keeps PINs verified across a warm reset
	 * (doc/card.md §6): logged out must mean unverified. */
	is_int(jp_emu_verified(e, 0), 0, "and the card is no longer verified for us");
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_OK, "log in again");
	is_int(sign_sha256(a, ka[0], -1, &len), CKR_OK, "and sign");
	stop();
}

/* A reset by another program between C_SignInit and the context-specific
 * login: the login is refused without a VERIFY, and the card is left
 * unverified (a VERIFY would verify it for a process that is logged out). */
static void test_reset_before_context_login(void)
{
	CK_SESSION_HANDLE b;
	CK_OBJECT_HANDLE kb[4];
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	unsigned long verifies;

	start(NULL);
	b = open_s(1, 0);
	is_int(pt_login(b, CKU_USER, fixture_pin(1, 1)), CKR_OK, "signing password");
	find_class(b, CKO_PRIVATE_KEY, kb, 4);
	is_int(F->C_SignInit(b, &m, kb[0]), CKR_OK, "SignInit with the signing key");
	jp_emu_reader_reset_by_other(rdr_idx, 0);
	verifies = jp_emu_verify_count(e);
	is_int(pt_login(b, CKU_CONTEXT_SPECIFIC, fixture_pin(1, 1)), CKR_USER_NOT_LOGGED_IN,
	       "context login after another program's reset: not logged in");
	is_int(jp_emu_verify_count(e) - verifies, 0, "no VERIFY was sent");
	is_int(jp_emu_verified(e, 1), 0, "the card is not verified");
	is_int(state_of(b), CKS_RO_PUBLIC_SESSION, "the session is public");
	stop();
}

/* C_SetPIN whose CHANGE REFERENCE DATA fails after the old PIN was
 * VERIFYed: a process that is not logged in leaves the card unverified. */
static void test_set_pin_change_fails(void)
{
	CK_SESSION_HANDLE rw;
	unsigned long changes, verifies;
	const char *pin = fixture_pin(1, 0);

	start(NULL);
	rw = open_s(0, CKF_RW_SESSION);
	changes = jp_emu_ins_count(e, 0x24);
	verifies = jp_emu_verify_count(e);
	/* SELECT 0018, VERIFY, then the CHANGE answers 6F00. */
	jp_emu_opts(e)->fail_nth = jp_emu_apdu_count(e) + 3;
	ok(F->C_SetPIN(rw, (CK_UTF8CHAR_PTR)pin, strlen(pin), (CK_UTF8CHAR_PTR)"4321", 4) != CKR_OK,
	   "SetPIN whose CHANGE fails: an error");
	jp_emu_opts(e)->fail_nth = 0;
	is_int(jp_emu_verify_count(e) - verifies, 1, "the old PIN was verified");
	is_int(jp_emu_ins_count(e, 0x24) - changes, 1, "the CHANGE was sent (and failed)");
	is_int(jp_emu_verified(e, 0), 0, "the card is left unverified");
	is_int(state_of(rw), CKS_RW_PUBLIC_SESSION, "the session is public");
	is_int(pt_login(rw, CKU_USER, pin), CKR_OK, "the old PIN still works");
	stop();
}

static void test_set_pin(void)
{
	CK_SESSION_HANDLE ro, rw, sg;
	unsigned long v0;
	const char *pin = fixture_pin(1, 0);

	start(NULL);
	ro = open_s(0, 0);
	rw = open_s(0, CKF_RW_SESSION);
	sg = open_s(1, CKF_RW_SESSION);
#define SETPIN(h, o, n) F->C_SetPIN(h, (CK_UTF8CHAR_PTR)(o), strlen(o), (CK_UTF8CHAR_PTR)(n), strlen(n))
	is_int(SETPIN(ro, pin, "4321"), CKR_SESSION_READ_ONLY, "SetPIN in a RO session");
	is_int(F->C_SetPIN(rw, NULL, 0, (CK_UTF8CHAR_PTR)"4321", 4), CKR_ARGUMENTS_BAD, "NULL old PIN");
	v0 = jp_emu_apdu_count(e);
	is_int(SETPIN(rw, pin, "12a4"), CKR_PIN_INVALID, "new PIN with a letter");
	is_int(SETPIN(rw, pin, "12345"), CKR_PIN_LEN_RANGE, "new PIN too long");
	is_int(SETPIN(rw, "123", "4321"), CKR_PIN_LEN_RANGE, "old PIN too short");
	is_int(jp_emu_apdu_count(e) - v0, 0, "malformed PINs never reach the card");
	is_int(SETPIN(rw, "0000", "4321"), CKR_PIN_INCORRECT, "wrong old PIN");
	is_int(jp_emu_tries(e, 0), 2, "one try used");
	is_int(pt_token_flags(s[0]) & CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_COUNT_LOW,
	       "flags show the count is low");
	is_int(SETPIN(rw, pin, "4321"), CKR_OK, "PIN changed");
	is_int(jp_emu_tries(e, 0), 3, "counter reset");
	is_int(jp_emu_verified(e, 0), 0, "the card is left unverified");
	is_int(pt_login(rw, CKU_USER, pin), CKR_PIN_INCORRECT, "the old PIN no longer works");
	is_int(pt_login(rw, CKU_USER, "4321"), CKR_OK, "the new one does");
	is_int(SETPIN(rw, "4321", pin), CKR_OK, "changed back while logged in");
	is_int(state_of(rw), CKS_RW_USER_FUNCTIONS, "still logged in");
	F->C_Logout(rw);
	is_int(SETPIN(sg, "abc", "XYZ789A"), CKR_PIN_LEN_RANGE, "signing password too short");
	is_int(SETPIN(sg, fixture_pin(1, 1), "ABCDEFG"), CKR_PIN_INVALID, "new password without a digit");
	is_int(SETPIN(sg, fixture_pin(1, 1), "newpass1"), CKR_OK, "signing password changed (lower case)");
	is_int(pt_login(sg, CKU_USER, "NEWPASS1"), CKR_OK, "it was stored upper-cased");
	is_int(SETPIN(sg, "NEWPASS1", fixture_pin(1, 1)), CKR_OK, "changed back");
	stop();
}

int main(void)
{
	pt_load();
	test_basic();
	test_finalize_unverifies();
	test_signing_costs();
	test_verified_by_other();
	test_reset_by_other();
	test_reset_before_context_login();
	test_set_pin();
	test_set_pin_change_fails();
	done_testing();
}
