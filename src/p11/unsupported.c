/* What the card cannot do (key generation, wrapping, derivation, random
 * numbers, encryption, decryption, signatures with recovery, the
 * message-based functions of v3.0, ...). Such a call is still checked like
 * any other, in the order every function answers (PKCS#11 v2.40 §5.1,
 * §11.1): not initialised first, then the session handle or slot ID, then
 * its pointer arguments; only a well-formed call gets the answer that says
 * the function is not there (CKR_FUNCTION_NOT_SUPPORTED, CKR_RANDOM_NO_RNG,
 * ...). So a caller with a bad handle is told so, whatever it asked. */
#include "config.h"

#include "entry.h"

CK_RV jp_p11_refuse(CK_SESSION_HANDLE h, int args_bad, CK_RV answer)
{
	jp_session *s;
	CK_RV rv = jp_enter();

	if (rv != CKR_OK)
		goto out;
	rv = jp_session_lookup_inlock(h, &s);   /* the tables only: no reader needed */
	jp_leave();
	if (rv != CKR_OK)
		goto out;
	rv = args_bad ? CKR_ARGUMENTS_BAD : answer;
out:
	return rv;
}

CK_RV jp_p11_refuse_slot(CK_SLOT_ID id, int args_bad, CK_RV answer)
{
	jp_reader *r;
	jp_key key;
	CK_RV rv = jp_enter();

	if (rv != CKR_OK)
		goto out;
	rv = jp_slot_lookup_inlock(id, &r, &key);
	jp_leave();
	if (rv == CKR_OK)
		rv = args_bad ? CKR_ARGUMENTS_BAD : answer;
out:
	return rv;
}
