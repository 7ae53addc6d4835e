/* Wiping secrets and owned byte buffers (include/jpki/mem.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jpki/mem.h"

void jp_wipe(void *p, size_t len)
{
	/* OPENSSL_cleanse is written so that the compiler cannot drop the
	 * stores as dead, which a plain memset before free() would allow. */
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

jp_err jp_buf_set(jp_buf *b, const uint8_t *data, size_t len)
{
	jp_err rv = JP_OK;
	uint8_t *copy = NULL;

	if (b == NULL || (data == NULL && len > 0)) {
		rv = JP_E_ARGS;
		goto out;
	}
	/* Copy before freeing the old content: data may point into it. */
	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	if (len > 0)
		memcpy(copy, data, len);
	jp_buf_free(b);
	b->data = copy;
	b->len = len;
out:
	return rv;
}

void jp_buf_free(jp_buf *b)
{
	if (b != NULL) {
		if (b->data != NULL) {
			jp_wipe(b->data, b->len);
			free(b->data);
		}
		b->data = NULL;
		b->len = 0;
	}
}
