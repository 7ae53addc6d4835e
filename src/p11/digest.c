/* C_DigestInit / C_Digest / C_DigestUpdate / C_DigestFinal: the SHA family
 * on the host (PKCS#11 v2.40 §5.10). The operation's life is op.c's; here
 * is what a digest adds: no key, and the hash as the output. */
#include "config.h"

#include <string.h>

#include "p11.h"

static size_t op_hash_len(const jp_op *op)
{
	return jp_hash_len(op->mech->hash);
}

/* Feeds the single-part data and writes the digest (jp_op_finish_fn). */
static CK_RV finish_inlock(jp_session *s, const uint8_t *data, CK_ULONG len, int single,
                           CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	CK_RV rv = CKR_OK;
	jp_err e = JP_OK;
	jp_op *op = &s->ops[JP_OP_DIGEST];
	size_t hl = op_hash_len(op), n = JP_HASH_MAX;
	uint8_t md[JP_HASH_MAX];

	if (jp_op_length_only(out, out_len, hl, &rv))
		goto out;
	if (single)
		rv = jp_op_update(op, data, len);
	if (rv == CKR_OK) {
		e = jp_digest_final(op->digest, md, &n);
		if (e == JP_OK && n != hl)
			e = JP_E_INTERNAL;
		if (e == JP_OK) {
			memcpy(out, md, n);
			*out_len = n;
		}
		rv = jp_rv(e);
	}
	jp_op_end(s, JP_OP_DIGEST);
out:
	jp_wipe(md, sizeof(md));
	return rv;
}

CK_RV jp_p11_digest_init(CK_SESSION_HANDLE hs, CK_MECHANISM_PTR mech)
{
	CK_RV rv;
	jp_session *s;
	const jp_mech *m = NULL;

	rv = jp_op_init_enter(hs, JP_OP_DIGEST, mech, &s, &m);
	if (rv != CKR_OK)
		goto out;
	rv = jp_op_start(s, JP_OP_DIGEST, m, CK_INVALID_HANDLE);
	jp_leave_reader(s->reader);
out:
	return rv;
}

CK_RV jp_p11_digest(CK_SESSION_HANDLE hs, CK_BYTE_PTR data, CK_ULONG len,
                    CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return jp_op_single_call(hs, JP_OP_DIGEST, data, len, out, out_len, finish_inlock);
}

CK_RV jp_p11_digest_update(CK_SESSION_HANDLE hs, CK_BYTE_PTR part, CK_ULONG len)
{
	return jp_op_update_call(hs, JP_OP_DIGEST, part, len);
}

CK_RV jp_p11_digest_final(CK_SESSION_HANDLE hs, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return jp_op_final_call(hs, JP_OP_DIGEST, out, out_len, finish_inlock);
}
