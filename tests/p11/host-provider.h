/* A host application's OpenSSL provider that records every call it gets,
 * for the tests that prove the module never uses the application's default
 * library context (test-host-openssl, test-host-config). It offers SHA-1
 * and SHA-2 digests (what the module hashes with, and what OpenSSL hashes
 * certificates with) under the property "provider=jprec", computed by a
 * backing context of its own; it counts every operation OpenSSL asks it
 * for, whatever the operation. Like pkcs11-provider it can call back into
 * a PKCS#11 module from its functions (hp.reenter), and it can refuse to
 * work (hp.block). Header-only, like tests/tap.h. */
#ifndef JPKI_HOST_PROVIDER_H
#define JPKI_HOST_PROVIDER_H

#include <stdlib.h>
#include <string.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#define HP_NAME "jprec"
#define HP_UNUSED __attribute__((unused))
#define HP_OPS 64

typedef struct hp_record {
	int inits;            /* provider initialisations */
	int query[HP_OPS];    /* query_operation calls by operation id */
	int calls;            /* digest function calls */
	int block;            /* 1: every digest function fails */
	void (*reenter)(void);/* called by every digest function first */
	OSSL_LIB_CTX *backing;/* where the real digests come from */
} hp_record;

static hp_record hp;

static HP_UNUSED int hp_queries(void)
{
	int i, n = 0;

	for (i = 0; i < HP_OPS; i++)
		n += hp.query[i];
	return n;
}

/* Everything the provider was asked since the last hp_reset. */
static HP_UNUSED int hp_seen(void)
{
	return hp_queries() + hp.calls;
}

static HP_UNUSED void hp_reset(void)
{
	memset(hp.query, 0, sizeof(hp.query));
	hp.calls = 0;
}

/* One call into the provider's digest code: count it, call back if asked;
 * 1 when the call may go on. */
static int hp_hit(void)
{
	hp.calls++;
	if (hp.reenter != NULL)
		hp.reenter();
	return !hp.block;
}

typedef struct hp_dctx {
	EVP_MD_CTX *m;
	EVP_MD *md;
} hp_dctx;

static void *hp_newctx_named(const char *name)
{
	hp_dctx *d = NULL;

	if (!hp_hit())
		goto out;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto out;
	d->m = EVP_MD_CTX_new();
	d->md = EVP_MD_fetch(hp.backing, name, NULL);
	if (d->m == NULL || d->md == NULL) {
		EVP_MD_CTX_free(d->m);
		EVP_MD_free(d->md);
		free(d);
		d = NULL;
	}
out:
	return d;
}

static void hp_freectx(void *v)
{
	hp_dctx *d = v;

	if (d != NULL) {
		EVP_MD_CTX_free(d->m);
		EVP_MD_free(d->md);
		free(d);
	}
}

static int hp_init(void *v, const OSSL_PARAM params[])
{
	hp_dctx *d = v;

	(void)params;
	return hp_hit() && EVP_DigestInit_ex2(d->m, d->md, NULL);
}

static int hp_update(void *v, const unsigned char *in, size_t inl)
{
	hp_dctx *d = v;

	return hp_hit() && EVP_DigestUpdate(d->m, in, inl);
}

static int hp_final(void *v, unsigned char *out, size_t *outl, size_t outsz)
{
	hp_dctx *d = v;
	unsigned int n = 0;
	int r;

	if (!hp_hit() || outsz < (size_t)EVP_MD_get_size(d->md))
		return 0;
	r = EVP_DigestFinal_ex(d->m, out, &n);
	*outl = n;
	return r;
}

/* Block and output sizes, asked when OpenSSL builds the method. */
static int hp_params(OSSL_PARAM params[], size_t block, size_t size)
{
	OSSL_PARAM *p;

	hp.calls++;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE);
	if (p != NULL && !OSSL_PARAM_set_size_t(p, block))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE);
	if (p != NULL && !OSSL_PARAM_set_size_t(p, size))
		return 0;
	return 1;
}

#define HP_DIGEST(id, name, block, size) \
	static void *hp_newctx_##id(void *provctx) \
	{ \
		(void)provctx; \
		return hp_newctx_named(name); \
	} \
	static int hp_params_##id(OSSL_PARAM params[]) \
	{ \
		return hp_params(params, block, size); \
	} \
	static const OSSL_DISPATCH hp_fns_##id[] = { \
		{ OSSL_FUNC_DIGEST_NEWCTX, (void (*)(void))hp_newctx_##id }, \
		{ OSSL_FUNC_DIGEST_INIT, (void (*)(void))hp_init }, \
		{ OSSL_FUNC_DIGEST_UPDATE, (void (*)(void))hp_update }, \
		{ OSSL_FUNC_DIGEST_FINAL, (void (*)(void))hp_final }, \
		{ OSSL_FUNC_DIGEST_FREECTX, (void (*)(void))hp_freectx }, \
		{ OSSL_FUNC_DIGEST_GET_PARAMS, (void (*)(void))hp_params_##id }, \
		{ 0, NULL } \
	};

HP_DIGEST(sha1, "SHA1", 64, 20)
HP_DIGEST(sha224, "SHA224", 64, 28)
HP_DIGEST(sha256, "SHA256", 64, 32)
HP_DIGEST(sha384, "SHA384", 128, 48)
HP_DIGEST(sha512, "SHA512", 128, 64)

static const OSSL_ALGORITHM hp_digests[] = {
	{ "SHA1:SHA-1:SSL3-SHA1:1.3.14.3.2.26", "provider=" HP_NAME, hp_fns_sha1, NULL },
	{ "SHA2-224:SHA-224:SHA224:2.16.840.1.101.3.4.2.4", "provider=" HP_NAME, hp_fns_sha224,
	  NULL },
	{ "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", "provider=" HP_NAME, hp_fns_sha256,
	  NULL },
	{ "SHA2-384:SHA-384:SHA384:2.16.840.1.101.3.4.2.2", "provider=" HP_NAME, hp_fns_sha384,
	  NULL },
	{ "SHA2-512:SHA-512:SHA512:2.16.840.1.101.3.4.2.3", "provider=" HP_NAME, hp_fns_sha512,
	  NULL },
	{ NULL, NULL, NULL, NULL }
};

/* Every operation OpenSSL looks up in the provider is counted, and never
 * cached, so that each later lookup comes back here too. */
static const OSSL_ALGORITHM *hp_query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	if (op >= 0 && op < HP_OPS)
		hp.query[op]++;
	*no_cache = 1;
	return op == OSSL_OP_DIGEST ? hp_digests : NULL;
}

static const OSSL_DISPATCH hp_provider_fns[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))hp_query },
	{ 0, NULL }
};

/* Set by a test to run code at provider initialisation (what
 * pkcs11-provider does with pkcs11-module-load-behavior = early). */
static void (*hp_on_init)(void);

static int hp_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                            const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	hp.inits++;
	*out = hp_provider_fns;
	*provctx = &hp;
	if (hp_on_init != NULL)
		hp_on_init();
	return 1;
}

/* Makes the provider known to the default context (loaded there by the
 * caller or by a configuration file) with its own backing context. */
static int hp_register(void)
{
	hp.backing = OSSL_LIB_CTX_new();
	return hp.backing != NULL && OSSL_PROVIDER_add_builtin(NULL, HP_NAME, hp_provider_init) == 1;
}

#endif
