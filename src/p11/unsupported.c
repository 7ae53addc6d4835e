/* What the card cannot do: CKR_FUNCTION_NOT_SUPPORTED after the init check
 * (PKCS#11 v2.40 §5: NOT_INITIALIZED comes first). */
#include "config.h"

#include "p11.h"

CK_RV jp_p11_unsupported(void)
{
	CK_RV rv = jp_check_init();

	return rv == CKR_OK ? CKR_FUNCTION_NOT_SUPPORTED : rv;
}
