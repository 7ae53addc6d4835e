/* A card pulled in the middle of a command, at every APDU position of a
 * whole run: slot discovery, opening a session on each token, login on
 * each token, finding the keys, a signature with each key, logout. The
 * call whose own card I/O lost the card answers CKR_DEVICE_REMOVED (never
 * CKR_OK, never CKR_DEVICE_ERROR: PKCS#11 v3.0 §5.1); slot discovery
 * answers CKR_OK and shows no token. No PIN try is lost, no signature is
 * released, and once the card is back both tokens work again.
 *
 * The positions are measured, not assumed: a sound run counts the APDUs of
 * each step, and the emulator's remove_nth then pulls the card at each of
 * them in a run of its own (a new module instance and card each time). */
#include "config.h"

#include "tests/p11/p11-test.h"

#define READER "Pulled Reader"

enum step {
	ST_DISCOVER, ST_OPEN_AUTH, ST_OPEN_SIGN, ST_LOGIN_AUTH, ST_LOGIN_SIGN, ST_FIND,
	ST_SIGN_AUTH, ST_SIGN_SIGN, ST_LOGOUT, ST__COUNT
};
static const char *step_name[ST__COUNT] = {
	"slot discovery", "open session (auth)", "open session (sign)", "login (auth)",
	"login (sign)", "find", "sign (auth)", "sign (sign)", "logout",
};

/* One run's state. */
typedef struct run {
	jp_emu *e;
	int idx;
	CK_SLOT_ID slot[2];
	CK_SESSION_HANDLE h[2];
	CK_OBJECT_HANDLE key[2];
	CK_BYTE sig[256];
	CK_ULONG sig_len;
	CK_RV rv;                 /* the step's call that met the removal */
	const char *call;         /* its name */
	unsigned long pulled;     /* the APDU index where the card goes (0: never) */
	int met;                  /* the removal fell in one of the step's calls */
	int ejected;              /* pulled between calls (jp_emu_reader_eject) */
} run;

/* Calls fn-like expression X as call NAME of the current step: records its
 * result when the card went during it (the APDU count passed r->pulled),
 * and stops the step there (later calls would only see a gone card). */
#define STEP_CALL(r, NAME, X) do { \
	unsigned long before_ = jp_emu_apdu_count((r)->e); \
	CK_RV rv_ = (X); \
	if ((r)->ejected || ((r)->pulled && before_ < (r)->pulled && \
	    jp_emu_apdu_count((r)->e) >= (r)->pulled)) { \
		(r)->rv = rv_; \
		(r)->call = (NAME); \
		(r)->met = 1; \
		goto out; \
	} \
	if (rv_ != CKR_OK) { \
		(r)->rv = rv_; \
		(r)->call = (NAME); \
		goto out; \
	} \
} while (0)

static const char *rv_name(CK_RV rv)
{
	return rv == CKR_OK ? "CKR_OK" :
	       rv == CKR_TOKEN_NOT_PRESENT ? "CKR_TOKEN_NOT_PRESENT" : "CKR_DEVICE_REMOVED";
}

static CK_RV find_key(run *r, int k)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG n = 0;
	CK_RV rv;

	rv = F->C_FindObjectsInit(r->h[k], &t, 1);
	if (rv == CKR_OK)
		rv = F->C_FindObjects(r->h[k], &r->key[k], 1, &n);
	F->C_FindObjectsFinal(r->h[k]);
	if (rv == CKR_OK && n != 1)
		rv = CKR_GENERAL_ERROR;   /* the test's own: no key found */
	return rv;
}

static CK_RV sign_init(run *r, int k)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };

	return F->C_SignInit(r->h[k], &m, r->key[k]);
}

static CK_RV sign_do(run *r, int k)
{
	r->sig_len = sizeof(r->sig);
	return F->C_Sign(r->h[k], (CK_BYTE_PTR)"a document", 10, r->sig, &r->sig_len);
}

/* The slots of READER (the module lists only ours). */
static CK_RV discover(run *r)
{
	CK_SLOT_ID s[4];
	CK_ULONG n = 4;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	rv = F->C_GetSlotList(CK_FALSE, s, &n);
	if (rv == CKR_OK && n != 2)
		rv = CKR_GENERAL_ERROR;
	if (rv == CKR_OK) {
		r->slot[0] = s[0];
		r->slot[1] = s[1];
		rv = F->C_GetTokenInfo(s[0], &ti);
	}
	if (rv == CKR_OK)
		rv = F->C_GetTokenInfo(s[1], &ti);
	return rv;
}

/* Runs the steps first..last. counts (may be NULL) gets the APDUs each
 * step sent. */
static void steps(run *r, int first, int last, unsigned long *counts)
{
	int st;

	r->rv = CKR_OK;
	r->call = NULL;
	for (st = first; st <= last; st++) {
		unsigned long c0 = jp_emu_apdu_count(r->e);

		switch (st) {
		case ST_DISCOVER:
			STEP_CALL(r, "C_GetSlotList/C_GetTokenInfo", discover(r));
			break;
		case ST_OPEN_AUTH:
		case ST_OPEN_SIGN:
			STEP_CALL(r, "C_OpenSession",
			          F->C_OpenSession(r->slot[st - ST_OPEN_AUTH], CKF_SERIAL_SESSION, NULL,
			                           NULL, &r->h[st - ST_OPEN_AUTH]));
			break;
		case ST_LOGIN_AUTH:
			STEP_CALL(r, "C_Login", pt_login(r->h[0], CKU_USER, fixture_pin(1, 0)));
			break;
		case ST_LOGIN_SIGN:
			STEP_CALL(r, "C_Login", pt_login(r->h[1], CKU_USER, fixture_pin(1, 1)));
			break;
		case ST_FIND:
			STEP_CALL(r, "C_FindObjects", find_key(r, 0));
			STEP_CALL(r, "C_FindObjects", find_key(r, 1));
			break;
		case ST_SIGN_AUTH:
			STEP_CALL(r, "C_SignInit", sign_init(r, 0));
			STEP_CALL(r, "C_Sign", sign_do(r, 0));
			break;
		case ST_SIGN_SIGN:
			STEP_CALL(r, "C_SignInit", sign_init(r, 1));
			STEP_CALL(r, "C_Login(CONTEXT_SPECIFIC)",
			          pt_login(r->h[1], CKU_CONTEXT_SPECIFIC, fixture_pin(1, 1)));
			STEP_CALL(r, "C_Sign", sign_do(r, 1));
			break;
		case ST_LOGOUT:
			/* The signing token: the signature's power cycle
			 * logged the authentication token out already. */
			STEP_CALL(r, "C_Logout", F->C_Logout(r->h[1]));
			break;
		}
		if (counts)
			counts[st] = jp_emu_apdu_count(r->e) - c0;
	}
out:
	return;
}

static void run_start(run *r)
{
	memset(r, 0, sizeof(*r));
	r->idx = pt_reader_with_card(READER, 1, NULL, &r->e);
	if (r->idx < 0 || pt_init() != CKR_OK) {
		printf("Bail out! cannot start the module over an emulated card\n");
		exit(1);
	}
}

static void run_stop(run *r)
{
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(r->e);
	r->e = NULL;
}

/* After the card is back: each token opens, logs in and signs. */
static int works_again(run *r)
{
	int k;

	jp_emu_opts(r->e)->remove_nth = 0;
	if (jp_emu_removed(r->e))
		jp_emu_reinsert(r->e);
	if (r->ejected)
		jp_emu_reader_insert(r->idx, r->e);
	r->ejected = 0;
	r->pulled = 0;
	for (k = 0; k < 2; k++) {
		steps(r, ST_DISCOVER, ST_DISCOVER, NULL);
		if (r->rv != CKR_OK)
			return 0;
		if (F->C_OpenSession(r->slot[k], CKF_SERIAL_SESSION, NULL, NULL, &r->h[k]) != CKR_OK ||
		    pt_login(r->h[k], CKU_USER, fixture_pin(1, k)) != CKR_OK || find_key(r, k) != CKR_OK ||
		    sign_init(r, k) != CKR_OK)
			return 0;
		if (k == 1 && pt_login(r->h[k], CKU_CONTEXT_SPECIFIC, fixture_pin(1, k)) != CKR_OK)
			return 0;
		if (sign_do(r, k) != CKR_OK || r->sig_len != 256)
			return 0;
	}
	return 1;
}

int main(void)
{
	unsigned long counts[ST__COUNT], before, i;
	int st, total = 0;
	run r;

	pt_load();

	/* The sound run: how many APDUs each step sends. */
	run_start(&r);
	steps(&r, 0, ST__COUNT - 1, counts);
	ok(r.rv == CKR_OK, "a sound run: every step answers CKR_OK (%s: 0x%lx)",
	   r.call ? r.call : "-", (unsigned long)r.rv);
	run_stop(&r);
	for (st = 0; st < ST__COUNT; st++) {
		diag("%s: %lu APDUs", step_name[st], counts[st]);
		total += (int)counts[st];
	}
	ok(counts[ST_DISCOVER] > 0 && counts[ST_LOGIN_AUTH] > 0 && counts[ST_LOGIN_SIGN] > 0 &&
	   counts[ST_SIGN_AUTH] > 0 && counts[ST_SIGN_SIGN] > 0,
	   "discovery, both logins and both signatures talk to the card (%d APDUs in all)", total);

	for (st = 0; st < ST__COUNT; st++) {
		int tries_kept = 1, no_sig = 1, back = 1, gone = 1;

		/* A step that sends no APDU (the objects were read when the
		 * session opened; the logout's power cycle is no APDU) gets
		 * its card pulled just before it instead. */
		unsigned long positions = counts[st] ? counts[st] : 1;

		for (i = 1; i <= positions; i++) {
			CK_SLOT_INFO si;
			CK_RV want;

			run_start(&r);
			steps(&r, 0, st - 1, NULL);
			if (r.rv != CKR_OK) {
				printf("Bail out! the steps before %s failed: 0x%lx\n", step_name[st],
				       (unsigned long)r.rv);
				exit(1);
			}
			before = jp_emu_apdu_count(r.e);
			if (counts[st]) {
				r.pulled = before + i;
				jp_emu_opts(r.e)->remove_nth = r.pulled;
			} else {
				jp_emu_reader_eject(r.idx);
				r.ejected = 1;
			}
			memset(r.sig, 0xA5, sizeof(r.sig));
			steps(&r, st, st, NULL);
			/* Discovery is about slots: the slot stays, its token
			 * goes. Finding touches no card (the objects were built
			 * when the session opened, the CA's content is not
			 * asked for): it answers from them, and the next call
			 * that looks at the card reports it. Opening a session
			 * reads nothing once discovery looked at the card (the
			 * CA certificates wait for a caller that needs them):
			 * an empty slot has no token. */
			want = st == ST_DISCOVER ? CKR_TOKEN_NOT_PRESENT :
			       st == ST_FIND ? CKR_OK : CKR_DEVICE_REMOVED;
			if (!counts[st] && (st == ST_OPEN_AUTH || st == ST_OPEN_SIGN))
				want = CKR_TOKEN_NOT_PRESENT;
			if (counts[st])
				ok(r.met && r.rv == want, "%s, card pulled at its APDU %lu of %lu: %s "
				   "answers %s (got 0x%lx)", step_name[st], i, counts[st],
				   r.call ? r.call : "no call", rv_name(want), (unsigned long)r.rv);
			else
				ok(r.met && r.rv == want, "%s, no APDU of its own, card pulled just "
				   "before it: %s answers %s (got 0x%lx)", step_name[st],
				   r.call ? r.call : "no call", rv_name(want), (unsigned long)r.rv);
			if (jp_emu_tries(r.e, 0) != 3 || jp_emu_tries(r.e, 1) != 5) {
				tries_kept = 0;
				diag("%s #%lu: tries %d/%d", step_name[st], i, jp_emu_tries(r.e, 0),
				     jp_emu_tries(r.e, 1));
			}
			if (r.sig[0] != 0xA5 || memcmp(r.sig, r.sig + 1, sizeof(r.sig) - 1) != 0) {
				no_sig = 0;
				diag("%s #%lu: signature bytes released", step_name[st], i);
			}
			if (F->C_GetSlotInfo(r.slot[0], &si) != CKR_OK ||
			    (si.flags & CKF_TOKEN_PRESENT)) {
				gone = 0;
				diag("%s #%lu: the slot still shows a token", step_name[st], i);
			}
			if (!works_again(&r)) {
				back = 0;
				diag("%s #%lu: after reinsertion: 0x%lx", step_name[st], i,
				     (unsigned long)r.rv);
			}
			run_stop(&r);
		}
		ok(tries_kept, "%s: no PIN try lost at any of its %lu positions", step_name[st],
		   positions);
		ok(no_sig, "%s: no signature released", step_name[st]);
		ok(gone, "%s: the slot shows no token afterwards", step_name[st]);
		ok(back, "%s: after reinsertion both tokens log in and sign", step_name[st]);
	}
	done_testing();
}
