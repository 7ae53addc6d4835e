/* The life of an operation (PKCS#11 v2.40 §5.10-5.12), table-driven: every
 * call ends the operation except a successful length query and
 * CKR_BUFFER_TOO_SMALL; a single-part call after an Update, and Final or
 * Update after a single-part length query, are refused with
 * CKR_OPERATION_ACTIVE and end it too. Each row is a sequence of calls on
 * one kind of operation (sign, digest, verify) with the answer each must
 * give; every result that carries data is checked against OpenSSL. */
#include "config.h"

#include "tests/p11/p11-test.h"

enum step {
	END = 0,
	INIT,        /* C_xxxInit */
	UPD,         /* C_xxxUpdate with the whole message */
	ONE,         /* C_Sign / C_Digest / C_Verify, buffer big enough (verify: the
	                right signature) */
	ONE_Q,       /* ... with a NULL output: the length query */
	ONE_SMALL,   /* ... with a 1-byte buffer */
	ONE_NOLEN,   /* ... with a NULL length pointer (verify: a NULL signature) */
	ONE_BADSIG,  /* C_Verify with a wrong signature */
	FIN,         /* C_xxxFinal (verify: the right signature) */
	FIN_Q,
	FIN_SMALL,
	FIN_NOLEN,
};

static const char *const step_name[] = {
	"", "Init", "Update", "single", "single length query", "single too small",
	"single without length", "single, wrong signature", "Final", "Final length query",
	"Final too small", "Final without length",
};

enum kind { SIGN, DIGEST, VERIFY };
static const char *const kind_name[] = { "sign", "digest", "verify" };

#define NA 0xFFFFFFFFUL   /* step not done (no such call for the kind) */

typedef struct row {
	enum kind kind;
	const char *what;
	struct {
		enum step s;
		CK_RV want;
	} steps[8];
} row;

static const row rows[] = {
	/* §4 (1): the single-part call after an Update ends the operation. */
	{ SIGN, "C_Sign after Update",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { ONE, CKR_OPERATION_ACTIVE },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "C_Digest after Update",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { ONE, CKR_OPERATION_ACTIVE },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	{ VERIFY, "C_Verify after Update",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { ONE, CKR_OPERATION_ACTIVE },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	/* Final after a single-part length query: refused, and ended. */
	{ SIGN, "C_SignFinal after a C_Sign length query",
	  { { INIT, CKR_OK }, { ONE_Q, CKR_OK }, { FIN, CKR_OPERATION_ACTIVE },
	    { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "C_DigestFinal after a C_Digest length query",
	  { { INIT, CKR_OK }, { ONE_Q, CKR_OK }, { FIN, CKR_OPERATION_ACTIVE },
	    { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	{ SIGN, "C_SignUpdate after a C_Sign length query",
	  { { INIT, CKR_OK }, { ONE_Q, CKR_OK }, { UPD, CKR_OPERATION_ACTIVE },
	    { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "C_DigestUpdate after a C_Digest too small",
	  { { INIT, CKR_OK }, { ONE_SMALL, CKR_BUFFER_TOO_SMALL }, { UPD, CKR_OPERATION_ACTIVE },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	/* The single-part call after a Final length query. */
	{ SIGN, "C_Sign after a C_SignFinal length query",
	  { { INIT, CKR_OK }, { FIN_Q, CKR_OK }, { ONE, CKR_OPERATION_ACTIVE },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "C_Digest after a C_DigestFinal length query",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { FIN_Q, CKR_OK }, { ONE, CKR_OPERATION_ACTIVE },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	/* Length queries and too-small buffers keep it, as often as asked. */
	{ SIGN, "single-part: queries keep the operation",
	  { { INIT, CKR_OK }, { ONE_Q, CKR_OK }, { ONE_SMALL, CKR_BUFFER_TOO_SMALL },
	    { ONE_Q, CKR_OK }, { ONE, CKR_OK }, { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "single-part: queries keep the operation",
	  { { INIT, CKR_OK }, { ONE_Q, CKR_OK }, { ONE_SMALL, CKR_BUFFER_TOO_SMALL },
	    { ONE, CKR_OK }, { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	{ SIGN, "multi-part: queries keep the operation",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { FIN_Q, CKR_OK },
	    { FIN_SMALL, CKR_BUFFER_TOO_SMALL }, { FIN, CKR_OK },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "multi-part: queries keep the operation",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { FIN_SMALL, CKR_BUFFER_TOO_SMALL }, { FIN_Q, CKR_OK },
	    { FIN, CKR_OK }, { UPD, CKR_OPERATION_NOT_INITIALIZED } } },
	{ VERIFY, "multi-part",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { FIN, CKR_OK },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	/* Errors end it. */
	{ SIGN, "C_Sign without a length pointer",
	  { { INIT, CKR_OK }, { ONE_NOLEN, CKR_ARGUMENTS_BAD },
	    { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	{ DIGEST, "C_DigestFinal without a length pointer",
	  { { INIT, CKR_OK }, { UPD, CKR_OK }, { FIN_NOLEN, CKR_ARGUMENTS_BAD },
	    { FIN, CKR_OPERATION_NOT_INITIALIZED } } },
	{ VERIFY, "C_Verify without a signature",
	  { { INIT, CKR_OK }, { ONE_NOLEN, CKR_ARGUMENTS_BAD },
	    { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	{ VERIFY, "C_Verify with a wrong signature",
	  { { INIT, CKR_OK }, { ONE_BADSIG, CKR_SIGNATURE_INVALID },
	    { ONE, CKR_OPERATION_NOT_INITIALIZED } } },
	/* A second Init is refused and does not end the active operation. */
	{ SIGN, "C_SignInit twice",
	  { { INIT, CKR_OK }, { INIT, CKR_OPERATION_ACTIVE }, { ONE, CKR_OK } } },
	{ DIGEST, "C_DigestInit twice",
	  { { INIT, CKR_OK }, { INIT, CKR_OPERATION_ACTIVE }, { UPD, CKR_OK }, { FIN, CKR_OK } } },
};

static const char msg[] = "the operation's life, one message for every row";

typedef struct ctx {
	pt_card t;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE priv, pub;
	EVP_PKEY *key;
	uint8_t good_sig[256];
} ctx;

static CK_RV do_step(ctx *c, enum kind k, enum step s, uint8_t *out, CK_ULONG *out_len)
{
	CK_MECHANISM sm = { CKM_SHA256_RSA_PKCS, NULL, 0 }, dm = { CKM_SHA256, NULL, 0 };
	CK_FUNCTION_LIST_PTR f = F;
	CK_BYTE_PTR in = (CK_BYTE_PTR)msg;
	CK_ULONG in_len = sizeof(msg) - 1;
	uint8_t bad[256];
	int single = s == ONE || s == ONE_Q || s == ONE_SMALL || s == ONE_NOLEN || s == ONE_BADSIG;
	CK_BYTE_PTR o = (s == ONE_Q || s == FIN_Q) ? NULL : out;
	CK_ULONG_PTR ol = (s == ONE_NOLEN || s == FIN_NOLEN) ? NULL : out_len;
	CK_RV rv = NA;

	*out_len = (s == ONE_SMALL || s == FIN_SMALL) ? 1 : 256;
	memcpy(bad, c->good_sig, sizeof(bad));
	bad[100] ^= 0x01;
	if (s == INIT)
		rv = k == SIGN ? f->C_SignInit(c->h, &sm, c->priv) :
		     k == DIGEST ? f->C_DigestInit(c->h, &dm) : f->C_VerifyInit(c->h, &sm, c->pub);
	else if (s == UPD)
		rv = k == SIGN ? f->C_SignUpdate(c->h, in, in_len) :
		     k == DIGEST ? f->C_DigestUpdate(c->h, in, in_len) :
		     f->C_VerifyUpdate(c->h, in, in_len);
	else if (k == VERIFY)
		rv = single ? f->C_Verify(c->h, in, in_len,
		                          s == ONE_NOLEN ? NULL : s == ONE_BADSIG ? bad : c->good_sig,
		                          256) :
		     f->C_VerifyFinal(c->h, s == FIN_NOLEN ? NULL : c->good_sig, 256);
	else if (single)
		rv = k == SIGN ? f->C_Sign(c->h, in, in_len, o, ol) :
		     f->C_Digest(c->h, in, in_len, o, ol);
	else
		rv = k == SIGN ? f->C_SignFinal(c->h, o, ol) : f->C_DigestFinal(c->h, o, ol);
	return rv;
}

/* A result with data is the right one (signature verified by OpenSSL,
 * digest equal to OpenSSL's); a length answer says the right length. */
static int result_right(ctx *c, enum kind k, enum step s, CK_RV rv, const uint8_t *out,
                        CK_ULONG out_len)
{
	uint8_t want[32];
	unsigned want_len = 0;
	CK_ULONG need = k == SIGN ? 256 : 32;
	EVP_MD_CTX *m;
	int r = 1;

	if (rv == CKR_BUFFER_TOO_SMALL || ((s == ONE_Q || s == FIN_Q) && rv == CKR_OK)) {
		r = out_len == need;
	} else if (rv == CKR_OK && k == DIGEST && (s == ONE || s == FIN)) {
		EVP_Digest(msg, sizeof(msg) - 1, want, &want_len, EVP_sha256(), NULL);
		r = out_len == want_len && memcmp(out, want, want_len) == 0;
	} else if (rv == CKR_OK && k == SIGN && (s == ONE || s == FIN)) {
		m = EVP_MD_CTX_new();
		r = m && out_len == 256 &&
		    EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, c->key) == 1 &&
		    EVP_DigestVerify(m, out, out_len, (const uint8_t *)msg, sizeof(msg) - 1) == 1;
		EVP_MD_CTX_free(m);
	}
	return r;
}

static void run_row(ctx *c, const row *r)
{
	uint8_t out[256];
	CK_ULONG out_len;
	CK_RV rv;
	size_t i;

	for (i = 0; i < 8 && r->steps[i].s != END; i++) {
		enum step s = r->steps[i].s;

		memset(out, 0, sizeof(out));
		rv = do_step(c, r->kind, s, out, &out_len);
		ok(rv == r->steps[i].want && result_right(c, r->kind, s, rv, out, out_len),
		   "%s, %s: step %zu %s → 0x%lx (got 0x%lx)", kind_name[r->kind], r->what, i + 1,
		   step_name[s], r->steps[i].want, rv);
	}
	/* Every row ends with the operation over: a new Init works. */
	rv = do_step(c, r->kind, INIT, out, &out_len);
	is_int(rv, CKR_OK, "%s, %s: no operation left active", kind_name[r->kind], r->what);
	if (rv == CKR_OK)
		(void)do_step(c, r->kind, ONE, out, &out_len);
}

int main(void)
{
	ctx c;
	CK_ULONG n = 256;
	CK_MECHANISM sm = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	size_t i;

	memset(&c, 0, sizeof(c));
	pt_start(&c.t, 1, NULL);
	c.h = pt_open(&c.t, PT_AUTH);
	if (pt_login(c.h, CKU_USER, fixture_pin(1, PT_AUTH)) != CKR_OK)
		bail_out("login failed");
	c.priv = pt_find1(c.h, CKO_PRIVATE_KEY, -1);
	c.pub = pt_find1(c.h, CKO_PUBLIC_KEY, -1);
	c.key = pt_cert_key(1, "auth.der");
	if (c.priv == CK_INVALID_HANDLE || c.pub == CK_INVALID_HANDLE || !c.key)
		bail_out("no key objects");
	if (F->C_SignInit(c.h, &sm, c.priv) != CKR_OK ||
	    F->C_Sign(c.h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, c.good_sig, &n) != CKR_OK)
		bail_out("the reference signature failed");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&c, &rows[i]);
	EVP_PKEY_free(c.key);
	pt_stop(&c.t);
	done_testing();
}
