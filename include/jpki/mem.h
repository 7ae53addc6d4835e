/* Memory helpers: wiping secrets and owned byte buffers. */
#ifndef JPKI_MEM_H
#define JPKI_MEM_H

#include <stddef.h>
#include <stdint.h>
#include "jpki/error.h"

/* Overwrites len bytes in a way the compiler cannot elide (OPENSSL_cleanse). */
void jp_wipe(void *p, size_t len);

/* An owned, heap-allocated byte string. A zeroed jp_buf is empty. */
typedef struct jp_buf {
	uint8_t *data;
	size_t len;
} jp_buf;

jp_err jp_buf_set(jp_buf *b, const uint8_t *data, size_t len);  /* copies */
void jp_buf_free(jp_buf *b);       /* wipes, frees, zeroes */

#endif
