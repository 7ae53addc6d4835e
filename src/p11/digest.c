/* C_DigestInit / C_Digest / C_DigestUpdate / C_DigestFinal: the SHA family
 * on the host (PKCS#11 v2.40 §5.10). Also jp_op_clear, which ends any
 * operation (sign, verify, digest) and wipes what it held. */
#include "config.h"

#include <string.h>

#include "p11.h"

void jp_op_clear(jp_op *op)
{
	jp_digest_free(op->digest);
	/* The buffer may hold data to be signed (a DigestInfo); the flags
	 * include the context-specific login, which ends with the operation. */
	jp_wipe(op, sizeof(*op));
}

static void digest_end(jp_session *s)
{
	jp_op_clear(&s->digest);
	s->digest_active = 0;
}

/* The session with an active digest operation. Global lock held. */
static CK_RV active_inlock(CK_SESSION_HANDLE hs, jp_session **s)
{
	CK_RV rv = jp_session_lookup_inlock(hs, s);

	if (rv == CKR_OK && !(*s)->digest_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	return rv;
}

static size_t op_hash_len(const jp_op *op)
{
	const jp_mech *m = jp_mech_find(op->mech, CKF_DIGEST);

	return m ? jp_hash_len(m->hash) : 0;
}

/* Feeds the data and writes the digest, following the output conventions
 * of §5.2: NULL output → the length, CKR_OK, the operation stays; too
 * small → the length, CKR_BUFFER_TOO_SMALL, the operation stays; anything
 * else ends it. */
static CK_RV finish_inlock(jp_session *s, const uint8_t *data, CK_ULONG len,
                           CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv = CKR_OK;
	jp_err e = JP_OK;
	size_t hl = op_hash_len(&s->digest), n = JP_HASH_MAX;
	uint8_t md[JP_HASH_MAX];

	if (!out) {
		*out_len = hl;
		goto out;
	}
	if (*out_len < hl) {
		*out_len = hl;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	if (len)
		e = jp_digest_update(s->digest.digest, data, len);
	if (e == JP_OK)
		e = jp_digest_final(s->digest.digest, md, &n);
	if (e == JP_OK && n != hl)
		e = JP_E_INTERNAL;
	if (e == JP_OK) {
		memcpy(out, md, n);
		*out_len = n;
	}
	rv = jp_rv(e);
	digest_end(s);
out:
	jp_wipe(md, sizeof(md));
	return rv;
}

CK_RV jp_p11_digest_init(CK_SESSION_HANDLE hs, CK_MECHANISM_PTR mech)
{
	CK_RV rv;
	jp_session *s;
	const jp_mech *m = NULL;
	jp_digest_ctx *ctx = NULL;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!mech)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = jp_session_lookup_inlock(hs, &s);
	if (rv == CKR_OK && s->digest_active)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK)
		rv = jp_mech_check(mech, CKF_DIGEST, &m);
	if (rv == CKR_OK)
		rv = jp_rv(jp_digest_new(m->hash, &ctx));
	if (rv == CKR_OK) {
		jp_op_clear(&s->digest);
		s->digest.mech = m->type;
		s->digest.digest = ctx;
		s->digest_active = 1;
	}
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_digest(CK_SESSION_HANDLE hs, CK_BYTE_PTR data, CK_ULONG len,
                    CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = active_inlock(hs, &s);
	if (rv != CKR_OK)
		goto leave;
	if (s->digest.multipart) {
		/* §5.10: C_Digest "cannot be used to terminate a multi-part
		 * operation": refused; the operation stays for C_DigestFinal. */
		rv = CKR_OPERATION_ACTIVE;
	} else if (!out_len || (!data && len)) {
		rv = CKR_ARGUMENTS_BAD;
		digest_end(s);
	} else {
		rv = finish_inlock(s, data, len, out, out_len);
	}
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_digest_update(CK_SESSION_HANDLE hs, CK_BYTE_PTR part, CK_ULONG len)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = active_inlock(hs, &s);
	if (rv != CKR_OK)
		goto leave;
	if (!part && len)
		rv = CKR_ARGUMENTS_BAD;
	else if (len)
		rv = jp_rv(jp_digest_update(s->digest.digest, part, len));
	if (rv == CKR_OK)
		s->digest.multipart = 1;
	else
		digest_end(s);   /* §5.10: an error ends the operation */
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_digest_final(CK_SESSION_HANDLE hs, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = active_inlock(hs, &s);
	if (rv != CKR_OK)
		goto leave;
	if (!out_len) {
		rv = CKR_ARGUMENTS_BAD;
		digest_end(s);
	} else {
		rv = finish_inlock(s, NULL, 0, out, out_len);
	}
leave:
	jp_leave();
out:
	return rv;
}
