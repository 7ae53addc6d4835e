/* Certificates valid from/until a day relative to today (jp_emu_options
 * validity): the fixture's authentication and signing certificates are
 * re-signed at load by the test CAs, so tests see cards that expire in
 * 200, 60 or -1 days (doc/card.md §8) without committing certificates that
 * age. Dates follow the real cards: notAfter is 23:59:59 JST (14:59:59Z) of
 * the expiry day (doc/card.md §7). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "emu-int.h"

#define JST_OFFSET (9 * 3600)

static EVP_PKEY *read_ca_key(OSSL_LIB_CTX *libctx, const char *card_dir, const char *name)
{
	char path[4096];
	EVP_PKEY *k = NULL;
	FILE *f = NULL;

	if (snprintf(path, sizeof(path), "%s/../ca/%s", card_dir, name) >= (int)sizeof(path))
		goto out;
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "jpki-emu: validity: cannot open %s\n", path);
		goto out;
	}
	k = PEM_read_PrivateKey_ex(f, NULL, NULL, NULL, libctx, NULL);
out:
	if (f != NULL)
		fclose(f);
	return k;
}

/* Re-signs the certificate in *buf with the new dates. */
static int resign(emu_buf *buf, EVP_PKEY *ca, time_t nb, time_t na)
{
	const unsigned char *p = buf->data;
	unsigned char *der = NULL;
	X509 *x = NULL;
	ASN1_TIME *t1 = NULL, *t2 = NULL;
	int len, rc = -1;

	x = d2i_X509(NULL, &p, (long)buf->len);
	t1 = ASN1_TIME_set(NULL, nb);
	t2 = ASN1_TIME_set(NULL, na);
	if (x == NULL || t1 == NULL || t2 == NULL || !X509_set1_notBefore(x, t1) ||
	    !X509_set1_notAfter(x, t2) ||
	    !X509_sign(x, ca, EVP_sha256()))
		goto out;
	len = i2d_X509(x, &der);
	if (len <= 0)
		goto out;
	free(buf->data);
	buf->data = malloc((size_t)len);
	if (buf->data == NULL) {
		buf->len = 0;
		goto out;
	}
	memcpy(buf->data, der, (size_t)len);
	buf->len = (size_t)len;
	rc = 0;
out:
	OPENSSL_free(der);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	X509_free(x);
	return rc;
}

int emu_validity_apply(jp_emu *e, const char *card_dir)
{
	EVP_PKEY *auth_ca = NULL, *sign_ca = NULL;
	time_t now = time(NULL), day, nb, na;
	int rc = -1;

	if (!e->opts.validity)
		return 0;
	/* Midnight JST of today, as seconds since the epoch. */
	day = ((now + JST_OFFSET) / 86400) * 86400 - JST_OFFSET;
	nb = day + (time_t)e->opts.valid_from_days * 86400;
	na = day + (time_t)e->opts.expire_days * 86400 + 86399;
	auth_ca = read_ca_key(e->libctx, card_dir, "auth-ca.key.pem");
	sign_ca = read_ca_key(e->libctx, card_dir, "sign-ca.key.pem");
	if (auth_ca == NULL || sign_ca == NULL)
		goto out;
	if (resign(&e->auth_cert, auth_ca, nb, na) != 0 ||
	    resign(&e->sign_cert, sign_ca, nb, na) != 0) {
		fprintf(stderr, "jpki-emu: validity: re-signing failed\n");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(auth_ca);
	EVP_PKEY_free(sign_ca);
	return rc;
}
