/* What logging out leaves behind. The signing certificate is personal data
 * (doc/card.md §7): at C_Logout, at the close of the last session (by
 * C_CloseSession or C_CloseAllSessions) its objects — the certificate, its
 * public key, the private key with its modulus — and the card layer's
 * cached copy must be gone at once, whatever the session count, and the
 * card must be left unverified. White-box: the module's tables (jp_mod) and
 * the card object are inspected directly. */
#define _GNU_SOURCE 1
#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tests/p11/p11-test.h"
#include "src/p11/p11.h"
#include "src/card/card-int.h"

#define RDR "Logout Reader 00 00"

static jp_emu *e;
static CK_SLOT_ID s[2];
static uint8_t sign_mod[32];    /* the first bytes of the signing key's modulus */

static int load_sign_modulus(void)
{
	char path[4200];
	unsigned char der[8192];
	const unsigned char *p = der;
	BIGNUM *n = NULL;
	uint8_t buf[512];
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	size_t len;
	int ok_ = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sign.der", jp_emu_fixture_dir(1));
	f = fopen(path, "rb");
	if (!f)
		return 0;
	len = fread(der, 1, sizeof(der), f);
	fclose(f);
	x = d2i_X509(NULL, &p, (long)len);
	k = x ? X509_get_pubkey(x) : NULL;
	if (k && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    BN_num_bytes(n) >= (int)sizeof(sign_mod) && BN_num_bytes(n) <= (int)sizeof(buf)) {
		BN_bn2bin(n, buf);
		memcpy(sign_mod, buf, sizeof(sign_mod));
		ok_ = 1;
	}
	BN_free(n);
	EVP_PKEY_free(k);
	X509_free(x);
	return ok_;
}

static jp_reader *reader(void)
{
	size_t i;

	for (i = 0; i < jp_mod.nreaders; i++)
		if (!jp_mod.readers[i]->gone && !strcmp(jp_mod.readers[i]->name, RDR))
			return jp_mod.readers[i];
	return NULL;
}

/* Attributes of any object of the card that hold the signing key's modulus
 * (the certificate's value, CKA_MODULUS of either key). */
static int personal_data_objects(void)
{
	jp_reader *r = reader();
	size_t i, j;
	int k, n = 0;

	for (k = 0; r && k < 2; k++) {
		for (i = 0; i < r->tokens[k].nobjects; i++) {
			const jp_object *o = r->tokens[k].objects[i];
			for (j = 0; j < o->nattrs; j++)
				if (o->attrs[j].len >= sizeof(sign_mod) &&
				    memmem(o->attrs[j].value, o->attrs[j].len, sign_mod, sizeof(sign_mod)))
					n++;
		}
	}
	return n;
}

static size_t nobjects(int key)
{
	jp_reader *r = reader();

	return r ? r->tokens[key].nobjects : (size_t)-1;
}

static int sign_cert_cached(void)
{
	jp_reader *r = reader();

	return r && r->card && r->card->cert_state[JP_CERT_SIGN] == JP_CERT_CACHED;
}

static int rdr_idx;

static void start(void)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
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

static CK_ULONG count_objects(CK_SESSION_HANDLE h)
{
	CK_OBJECT_HANDLE o[16];
	CK_ULONG n = 0;

	if (F->C_FindObjectsInit(h, NULL, 0) != CKR_OK)
		return (CK_ULONG)-1;
	F->C_FindObjects(h, o, 16, &n);
	F->C_FindObjectsFinal(h);
	return n;
}

/* A session on the signature token, logged in, every object seen. */
static CK_SESSION_HANDLE signing_login(const char *what)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	is_int(F->C_OpenSession(s[1], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK,
	       "%s: open a signature session", what);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 1)), CKR_OK, "%s: log in with the password", what);
	is_int(count_objects(h), 4, "%s: certificate, CA, public and private key visible", what);
	ok(personal_data_objects() >= 3, "%s: the signing key's modulus is in memory (%d)", what,
	   personal_data_objects());
	ok(sign_cert_cached(), "%s: the card layer cached the signing certificate", what);
	ok(jp_emu_verified(e, 1), "%s: the card is verified", what);
	return h;
}

static void gone(const char *what)
{
	is_int(nobjects(JP_KEY_SIGN), 1, "%s: only the CA certificate remains", what);
	is_int(personal_data_objects(), 0, "%s: no object holds the signing key's modulus", what);
	ok(!sign_cert_cached(), "%s: the card layer's copy is gone", what);
	ok(!jp_emu_verified(e, 1), "%s: the card is unverified", what);
}

int main(void)
{
	CK_SESSION_HANDLE h, h2, ha;

	pt_load();
	if (!load_sign_modulus())
		skip_all("cannot read the fixture's signing certificate");

	/* 1. The last session closes: nothing is left to rebuild the
	 * objects for, they must go all the same. */
	start();
	h = signing_login("last close");
	is_int(F->C_CloseSession(h), CKR_OK, "last close: close the only session");
	gone("last close");
	stop();

	/* 2. C_CloseAllSessions. */
	start();
	h = signing_login("close all");
	is_int(F->C_CloseAllSessions(s[1]), CKR_OK, "close all: C_CloseAllSessions");
	gone("close all");
	stop();

	/* 3. C_Logout with the session still open, and a second one. */
	start();
	h = signing_login("logout");
	is_int(F->C_OpenSession(s[1], CKF_SERIAL_SESSION, NULL, NULL, &h2), CKR_OK,
	       "logout: a second session");
	is_int(F->C_Logout(h), CKR_OK, "logout: C_Logout");
	gone("logout");
	is_int(count_objects(h2), 1, "logout: the other session sees the CA only");
	stop();

	/* 4. Both tokens logged in; the signature token's last session
	 * closes. The power cycle logs the authentication token out too,
	 * but its objects (public data) keep their handles. */
	start();
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &ha), CKR_OK,
	       "both: an authentication session");
	is_int(pt_login(ha, CKU_USER, fixture_pin(1, 0)), CKR_OK, "both: authentication login");
	is_int(count_objects(ha), 5, "both: five authentication objects (with the profile)");
	h = signing_login("both");
	is_int(F->C_CloseSession(h), CKR_OK, "both: close the signature session");
	gone("both");
	is_int(nobjects(JP_KEY_AUTH), 5, "both: the authentication objects stay");
	{
		CK_SESSION_INFO si;
		F->C_GetSessionInfo(ha, &si);
		is_int(si.state, CKS_RO_PUBLIC_SESSION, "both: the authentication token is logged out");
	}
	stop();

	/* 5. The module's connection went stale (e.g. its handle died) but
	 * the card is still in and verified: the logout power-cycles it
	 * through a new connection. */
	start();
	h = signing_login("stale");
	jp_emu_reader_unreachable(rdr_idx, JP_EMU_LINKS_BROKEN);
	is_int(F->C_Logout(h), CKR_OK, "stale: C_Logout succeeds through a new connection");
	gone("stale");
	ok(!jp_emu_verified(e, 0), "stale: the authentication PIN is not verified either");
	is_int(reader()->unpower_pending, 0, "stale: no power cycle owed");
	stop();

	/* 6. The card cannot be reached at all when the last session closes:
	 * the process is logged out and the personal data wiped at once; the
	 * power cycle is owed and done at the first successful contact — here
	 * a polling C_GetSlotInfo. */
	start();
	h = signing_login("unreachable");
	jp_emu_reader_unreachable(rdr_idx, JP_EMU_UNREACHABLE);
	is_int(F->C_CloseSession(h), CKR_OK, "unreachable: the last session closes");
	is_int(nobjects(JP_KEY_SIGN), 1, "unreachable: only the CA certificate remains");
	is_int(personal_data_objects(), 0, "unreachable: no object holds the modulus");
	ok(!sign_cert_cached(), "unreachable: the card layer's copy is gone");
	ok(jp_emu_verified(e, 1), "unreachable: the card itself could not be unverified");
	is_int(reader()->unpower_pending, 1, "unreachable: a power cycle is owed");
	{
		CK_SLOT_INFO si;
		F->C_GetSlotInfo(s[0], &si);
		ok(jp_emu_verified(e, 1), "unreachable: still owed while unreachable");
		jp_emu_reader_unreachable(rdr_idx, JP_EMU_REACHABLE);
		is_int(F->C_GetSlotInfo(s[0], &si), CKR_OK, "reachable again: a polling call");
		ok(!jp_emu_verified(e, 1), "reachable again: the card was power-cycled");
		is_int(reader()->unpower_pending, 0, "reachable again: nothing owed");
	}
	stop();

	/* 7. Same, and the first contact is a login on a session that stayed
	 * open on the other token: the power cycle comes before its VERIFY
	 * (the signing password no longer verified, the PIN verified). */
	start();
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &ha), CKR_OK,
	       "first contact: an authentication session");
	h = signing_login("first contact");
	jp_emu_reader_unreachable(rdr_idx, JP_EMU_UNREACHABLE);
	is_int(F->C_CloseSession(h), CKR_OK, "first contact: the signature session closes");
	ok(jp_emu_verified(e, 1), "first contact: the card could not be unverified");
	is_int(pt_login(ha, CKU_USER, fixture_pin(1, 0)), CKR_DEVICE_ERROR,
	       "first contact: a login while unreachable fails");
	ok(jp_emu_verified(e, 1) && !jp_emu_verified(e, 0), "first contact: no VERIFY reached the card");
	jp_emu_reader_unreachable(rdr_idx, JP_EMU_REACHABLE);
	is_int(pt_login(ha, CKU_USER, fixture_pin(1, 0)), CKR_OK, "first contact: login when reachable");
	ok(!jp_emu_verified(e, 1), "first contact: the owed power cycle came first");
	ok(jp_emu_verified(e, 0), "first contact: then the PIN was verified");
	stop();
	done_testing();
}
