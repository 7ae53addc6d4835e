/* The one mechanism table: C_GetMechanismList and C_GetMechanismInfo both
 * read it, so they always agree. Signing happens on the card (CKF_HW), the
 * matching verification and the digests on the host (OpenSSL). PKCS#1 v1.5
 * always (the card's P1 00, doc/card.md §4); RSA-PSS (P1 04, one source,
 * doc/card.md §11) only with the option pss=yes, exactly as TLS 1.3's
 * rsa_pss_rsae_sha256 wants it, and no longer for a card that refused it. */
#include "config.h"

#include "p11.h"

/* RSA-2048 on both keys (doc/card.md §7). */
#define RSA_BITS 2048UL
#define RSA_FLAGS (CKF_HW | CKF_SIGN | CKF_VERIFY)

static const jp_mech mechs[] = {
	{ CKM_RSA_PKCS,        { RSA_BITS, RSA_BITS, RSA_FLAGS }, 0, JP_HASH_SHA256, 0 },
	{ CKM_SHA1_RSA_PKCS,   { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA1, 0 },
	{ CKM_SHA224_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA224, 0 },
	{ CKM_SHA256_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA256, 0 },
	{ CKM_SHA384_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA384, 0 },
	{ CKM_SHA512_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA512, 0 },
	/* Signing only: the host check of a PSS signature is done, but
	 * C_Verify with PSS is not offered. */
	{ CKM_RSA_PKCS_PSS,    { RSA_BITS, RSA_BITS, CKF_HW | CKF_SIGN }, 0, JP_HASH_SHA256, 1 },
	{ CKM_SHA256_RSA_PKCS_PSS, { RSA_BITS, RSA_BITS, CKF_HW | CKF_SIGN }, 1, JP_HASH_SHA256, 1 },
	{ CKM_SHA_1,           { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA1, 0 },
	{ CKM_SHA224,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA224, 0 },
	{ CKM_SHA256,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA256, 0 },
	{ CKM_SHA384,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA384, 0 },
	{ CKM_SHA512,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA512, 0 },
};

#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

const jp_mech *jp_mech_find(CK_MECHANISM_TYPE type, CK_FLAGS need)
{
	const jp_mech *found = NULL;
	size_t i;

	for (i = 0; i < NMECHS && !found; i++)
		if (mechs[i].type == type && (mechs[i].info.flags & need) == need)
			found = &mechs[i];
	return found;
}

/* The card's PSS has one parameter set (doc/card.md §11): SHA-256,
 * MGF1-SHA-256, a 32-byte salt (PKCS#11 v2.40 mechanisms §2.1.14). */
static int pss_params_ok(const CK_MECHANISM *m)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = m->pParameter;

	return p && m->ulParameterLen == sizeof(*p) && p->hashAlg == CKM_SHA256 &&
	       p->mgf == CKG_MGF1_SHA256 && p->sLen == JP_PSS_SALT_LEN;
}

CK_RV jp_mech_check(const CK_MECHANISM *m, CK_FLAGS need, const jp_mech **out)
{
	CK_RV rv = CKR_OK;
	const jp_mech *mech;

	*out = NULL;
	mech = jp_mech_find(m->mechanism, need);
	if (!mech || (mech->pss && !jp_mod.opts.pss))
		rv = CKR_MECHANISM_INVALID;
	else if (mech->pss && !pss_params_ok(m))
		rv = CKR_MECHANISM_PARAM_INVALID;
	/* None of the others takes a parameter (PKCS#11 v2.40 mechanisms
	 * §2.1.6, §2.1.7, §2.25): anything given is a caller error. */
	else if (!mech->pss && (m->pParameter != NULL || m->ulParameterLen != 0))
		rv = CKR_MECHANISM_PARAM_INVALID;
	else
		*out = mech;
	return rv;
}

int jp_mech_pss_offered(const jp_reader *r)
{
	return jp_mod.opts.pss && !(r && r->no_pss);
}

/* The mechanisms shown for r: the PSS ones only when offered. */
static int shown(const jp_mech *m, const jp_reader *r)
{
	return !m->pss || jp_mech_pss_offered(r);
}

/* The slot must exist and hold a token: the list describes what the token
 * can do (PKCS#11 v2.40 §5.5: CKR_TOKEN_NOT_PRESENT). Global lock held (let
 * go of while a probe waits for the reader, jp_token_probe). */
static CK_RV token_check(CK_SLOT_ID slot, jp_reader **rp)
{
	CK_RV rv;
	jp_reader *r = NULL;
	jp_key key = JP_KEY_AUTH;

	rv = jp_slot_lookup_inlock(slot, &r, &key);
	*rp = r;
	if (rv == CKR_OK)
		rv = jp_token_probe(r, key);
	if (rv == CKR_OK && !jp_token_present_inlock(r, key))
		rv = CKR_TOKEN_NOT_PRESENT;
	return rv;
}

CK_RV jp_p11_get_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;
	size_t i, n = 0;
	jp_reader *r = NULL;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!count)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = token_check(slot, &r);
	if (rv != CKR_OK)
		goto leave;
	for (i = 0; i < NMECHS; i++)
		n += shown(&mechs[i], r);
	/* PKCS#11 v2.40 §5.2 (output conventions): NULL → count only; too
	 * small → the count and CKR_BUFFER_TOO_SMALL. */
	if (list && *count < n)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list)
		for (i = 0, n = 0; i < NMECHS; i++)
			if (shown(&mechs[i], r))
				list[n++] = mechs[i].type;
	*count = n;
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv;
	const jp_mech *mech;
	jp_reader *r = NULL;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!info)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = token_check(slot, &r);
	if (rv != CKR_OK)
		goto leave;
	mech = jp_mech_find(type, 0);
	if (mech && shown(mech, r))
		*info = mech->info;
	else
		rv = CKR_MECHANISM_INVALID;
leave:
	jp_leave();
out:
	return rv;
}
