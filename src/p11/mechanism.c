/* The one mechanism table: C_GetMechanismList and C_GetMechanismInfo both
 * read it, so they always agree. Signing happens on the card (CKF_HW), the
 * matching verification and the digests on the host (OpenSSL). PKCS#1 v1.5
 * only: the card's P1=00 sign command pads with type 01 and nothing else is
 * confirmed by more than one source (doc/card.md §4), so no PSS. */
#include "config.h"

#include "p11.h"

/* RSA-2048 on both keys (doc/card.md §7). */
#define RSA_BITS 2048UL
#define RSA_FLAGS (CKF_HW | CKF_SIGN | CKF_VERIFY)

static const jp_mech mechs[] = {
	{ CKM_RSA_PKCS,        { RSA_BITS, RSA_BITS, RSA_FLAGS }, 0, JP_HASH_SHA256 },
	{ CKM_SHA1_RSA_PKCS,   { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA1 },
	{ CKM_SHA224_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA224 },
	{ CKM_SHA256_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA256 },
	{ CKM_SHA384_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA384 },
	{ CKM_SHA512_RSA_PKCS, { RSA_BITS, RSA_BITS, RSA_FLAGS }, 1, JP_HASH_SHA512 },
	{ CKM_SHA_1,           { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA1 },
	{ CKM_SHA224,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA224 },
	{ CKM_SHA256,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA256 },
	{ CKM_SHA384,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA384 },
	{ CKM_SHA512,          { 0, 0, CKF_DIGEST }, 1, JP_HASH_SHA512 },
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

CK_RV jp_mech_check(const CK_MECHANISM *m, CK_FLAGS need, const jp_mech **out)
{
	CK_RV rv = CKR_OK;
	const jp_mech *mech;

	*out = NULL;
	mech = jp_mech_find(m->mechanism, need);
	if (!mech)
		rv = CKR_MECHANISM_INVALID;
	/* None of our mechanisms takes a parameter (PKCS#11 v2.40 mechanisms
	 * §2.1.6, §2.1.7, §2.25): anything given is a caller error. */
	else if (m->pParameter != NULL || m->ulParameterLen != 0)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else
		*out = mech;
	return rv;
}

/* The slot must exist and hold a token: the list describes what the token
 * can do (PKCS#11 v2.40 §5.5: CKR_TOKEN_NOT_PRESENT). Global lock held (let
 * go of while a probe waits for the reader, jp_token_probe). */
static CK_RV token_check(CK_SLOT_ID slot)
{
	CK_RV rv;
	jp_reader *r = NULL;
	jp_key key = JP_KEY_AUTH;

	rv = jp_slot_lookup_inlock(slot, &r, &key);
	if (rv == CKR_OK)
		rv = jp_token_probe(r);
	if (rv == CKR_OK && !jp_token_present_inlock(r, key))
		rv = CKR_TOKEN_NOT_PRESENT;
	return rv;
}

CK_RV jp_p11_get_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;
	size_t i;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!count)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = token_check(slot);
	if (rv != CKR_OK)
		goto leave;
	/* PKCS#11 v2.40 §5.2 (output conventions): NULL → count only; too
	 * small → the count and CKR_BUFFER_TOO_SMALL. */
	if (list && *count < NMECHS)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list)
		for (i = 0; i < NMECHS; i++)
			list[i] = mechs[i].type;
	*count = NMECHS;
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv;
	const jp_mech *mech;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!info)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = token_check(slot);
	if (rv != CKR_OK)
		goto leave;
	mech = jp_mech_find(type, 0);
	if (mech)
		*info = mech->info;
	else
		rv = CKR_MECHANISM_INVALID;
leave:
	jp_leave();
out:
	return rv;
}
