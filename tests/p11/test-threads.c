/* Concurrency: 8 threads opening and closing sessions, reading token and
 * slot info, finding objects and signing with the authentication key
 * (every signature checked with OpenSSL against the certificate) on two
 * cards at once, with the application's mutex callbacks and with OS
 * locking. The emulator's signature count must match exactly. */
#include "config.h"

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tests/p11/core-test.h"

#define NTHREADS 8
#define ROUNDS 15

static CK_SLOT_ID slots[4];
static EVP_PKEY *pub[2];
static int good_sigs, bad, signs_tried;

static EVP_PKEY *load_pub(int card_no)
{
	char path[4200];
	unsigned char der[8192];
	const unsigned char *p = der;
	size_t n;
	X509 *x;
	EVP_PKEY *k = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/auth.der", jp_emu_fixture_dir(card_no));
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	n = fread(der, 1, sizeof(der), f);
	fclose(f);
	x = d2i_X509(NULL, &p, (long)n);
	if (x)
		k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

static int verify(EVP_PKEY *k, const CK_BYTE *msg, size_t len, const CK_BYTE *sig, size_t slen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int r = c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
	        EVP_DigestVerify(c, sig, slen, msg, len) == 1;

	EVP_MD_CTX_free(c);
	return r;
}

static void *worker(void *arg)
{
	long no = (long)arg;
	int card = (int)(no % 2), r;
	CK_SLOT_ID slot = slots[card * 2];   /* the card's auth slot */

	for (r = 0; r < ROUNDS; r++) {
		CK_SESSION_HANDLE h;
		CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
		CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
		CK_OBJECT_HANDLE k;
		CK_ULONG n = 0, slen = 256;
		CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
		CK_BYTE msg[32], sig[256];
		CK_TOKEN_INFO ti;
		CK_SLOT_INFO si;
		CK_SLOT_ID ev;

		if (F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK) {
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (F->C_GetTokenInfo(slot, &ti) != CKR_OK || F->C_GetSlotInfo(slots[1], &si) != CKR_OK)
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
		(void)F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL);
		if (F->C_FindObjectsInit(h, &t, 1) != CKR_OK ||
		    F->C_FindObjects(h, &k, 1, &n) != CKR_OK || F->C_FindObjectsFinal(h) != CKR_OK ||
		    n != 1) {
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
			F->C_CloseSession(h);
			continue;
		}
		snprintf((char *)msg, sizeof(msg), "thread %ld round %d", no, r);
		__atomic_add_fetch(&signs_tried, 1, __ATOMIC_SEQ_CST);
		if (F->C_SignInit(h, &m, k) == CKR_OK &&
		    F->C_Sign(h, msg, strlen((char *)msg), sig, &slen) == CKR_OK && slen == 256 &&
		    verify(pub[card], msg, strlen((char *)msg), sig, slen))
			__atomic_add_fetch(&good_sigs, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
		if (F->C_CloseSession(h) != CKR_OK)
			__atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static CK_RV cb_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *p = malloc(sizeof(*p));
	pthread_mutex_init(p, NULL);
	*m = p;
	return CKR_OK;
}
static CK_RV cb_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}
static CK_RV cb_lock(CK_VOID_PTR m)
{
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}
static CK_RV cb_unlock(CK_VOID_PTR m)
{
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static void run(const char *what, CK_C_INITIALIZE_ARGS *a)
{
	jp_emu *e1, *e2;
	pthread_t th[NTHREADS];
	CK_SESSION_HANDLE keep[2];
	unsigned long s0;
	long i;

	pt_reader_with_card("Thread Reader A", 1, NULL, &e1);
	pt_reader_with_card("Thread Reader B", 2, NULL, &e2);
	is_int(F->C_Initialize(a), CKR_OK, "%s: initialize", what);
	is_int(pt_slots(CK_FALSE, slots, 4), 4, "%s: four slots", what);
	/* One session per card stays open and logged in throughout. */
	F->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &keep[0]);
	F->C_OpenSession(slots[2], CKF_SERIAL_SESSION, NULL, NULL, &keep[1]);
	is_int(pt_login(keep[0], CKU_USER, pt_pin(1, 0)), CKR_OK, "%s: login card 1", what);
	is_int(pt_login(keep[1], CKU_USER, pt_pin(2, 0)), CKR_OK, "%s: login card 2", what);
	s0 = jp_emu_sign_count(e1) + jp_emu_sign_count(e2);
	good_sigs = bad = signs_tried = 0;
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	is_int(bad, 0, "%s: no call failed", what);
	is_int(good_sigs, NTHREADS * ROUNDS, "%s: every signature verified with OpenSSL", what);
	is_int(jp_emu_sign_count(e1) + jp_emu_sign_count(e2) - s0, NTHREADS * ROUNDS,
	       "%s: the cards made exactly that many", what);
	{
		CK_TOKEN_INFO ti;
		F->C_GetTokenInfo(slots[0], &ti);
		is_int(ti.ulSessionCount, 1, "%s: only the kept session remains", what);
	}
	is_int(F->C_Finalize(NULL), CKR_OK, "%s: finalize", what);
	ok(!jp_emu_verified(e1, 0) && !jp_emu_verified(e2, 0), "%s: both cards unverified", what);
	jp_emu_readers_clear();
	jp_emu_free(e1);
	jp_emu_free(e2);
}

int main(void)
{
	CK_C_INITIALIZE_ARGS a;

	pt_load();
	pub[0] = load_pub(1);
	pub[1] = load_pub(2);
	if (!pub[0] || !pub[1])
		skip_all("cannot read the fixture certificates");
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	run("OS locking", &a);
	a.flags = 0;
	a.CreateMutex = cb_create;
	a.DestroyMutex = cb_destroy;
	a.LockMutex = cb_lock;
	a.UnlockMutex = cb_unlock;
	run("callbacks", &a);
	EVP_PKEY_free(pub[0]);
	EVP_PKEY_free(pub[1]);
	done_testing();
}
