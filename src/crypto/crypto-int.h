/* Shared by the files of src/crypto only. */
#ifndef JPKI_CRYPTO_INT_H
#define JPKI_CRYPTO_INT_H

#include <openssl/evp.h>

#include "jpki/crypto.h"

/* The OpenSSL digest for h, NULL when h is out of range. */
const EVP_MD *jp_crypto_md(jp_hash h);

#endif
