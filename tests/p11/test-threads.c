/* Concurrency: 8 threads opening and closing sessions, reading token and
 * slot info, finding objects and signing with the authentication key
 * (every signature checked with OpenSSL against the certificate) on two
 * cards at once, with the application's mutex callbacks and with OS
 * locking. The emulator's signature count must match exactly.
 *
 * Then: card I/O must not hold the global lock (doc/design.md §3). While
 * thread 1 signs on reader A (a slow card: 300 ms), thread 2's
 * C_GetSlotInfo / C_GetTokenInfo / C_GetSessionInfo on reader B and on A
 * itself (no card I/O needed), and a whole signature on reader B, must
 * complete. Proved by ordering, not by time: through the application's
 * mutex callbacks the test sees thread 1 take reader A's lock in C_Sign
 * (only then does thread 2 start) and holds thread 1 at the release of
 * that lock — the end of its card I/O — until thread 2 is done. A module
 * that kept the global lock across the I/O makes thread 2 wait for thread
 * 1 and thread 1 wait for thread 2: the hold times out and the check
 * fails. Built with configure --enable-tsan (tools/test-all.sh does, in
 * CI) it also looks for races. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tests/p11/p11-test.h"

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

/* ---- the slow-card check's instruments ---- */

#define HOLD_SECONDS 30    /* only a failing module ever waits this long */

static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cv = PTHREAD_COND_INITIALIZER;
static void *global_mutex;         /* the module's first mutex: its global lock */
static int ncreated;
static __thread int in_slow_sign;  /* this thread is inside the C_Sign on reader A */
static int t1_in_card;             /* thread 1 holds reader A's lock in C_Sign */
static int t2_done;                /* thread 2 finished all its calls */
static int t2_done_during_io;      /* ... while thread 1 was still in the card I/O */
static int seq, t2_seq, t1_seq;    /* completion order */

static int wait_flag(int *flag)
{
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += HOLD_SECONDS;
	pthread_mutex_lock(&ev_mu);
	while (!*flag && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&ev_cv, &ev_mu, &ts);
	r = *flag;
	pthread_mutex_unlock(&ev_mu);
	return r;
}

static void set_flag(int *flag)
{
	pthread_mutex_lock(&ev_mu);
	*flag = 1;
	pthread_cond_broadcast(&ev_cv);
	pthread_mutex_unlock(&ev_mu);
}

static CK_RV cb_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *p = malloc(sizeof(*p));
	pthread_mutex_init(p, NULL);
	*m = p;
	pthread_mutex_lock(&ev_mu);
	if (ncreated++ == 0)
		global_mutex = p;   /* C_Initialize makes its global lock first */
	pthread_mutex_unlock(&ev_mu);
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
	int r = pthread_mutex_lock(m);

	/* Thread 1 took a reader's lock (reader A's) in C_Sign: its card
	 * I/O is starting. */
	if (r == 0 && in_slow_sign && m != global_mutex && !t1_in_card)
		set_flag(&t1_in_card);
	return r == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}
static CK_RV cb_unlock(CK_VOID_PTR m)
{
	/* Thread 1 gives reader A's lock back: its card I/O is over. Hold it
	 * there until thread 2 is done (or the hold times out). */
	if (in_slow_sign && m != global_mutex && t1_in_card && !t2_done_during_io) {
		in_slow_sign = 0;
		t2_done_during_io = wait_flag(&t2_done);
	}
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

/* ---- the slow-card check ---- */

static int pull_a;                     /* variant: thread 2 pulls A's card instead */
static int idx_a;
static CK_RV t2_pull_slot_rv, t2_pull_sess_rv;
static CK_FLAGS t2_pull_flags;
static CK_SLOT_ID ss[4];               /* A auth, A sign, B auth, B sign */
static CK_SESSION_HANDLE sa1, sa2, sb; /* A: thread 1's and another; B: thread 2's */
static CK_OBJECT_HANDLE ka, kb;
static CK_RV t1_rv, t2_rv[8];
static CK_ULONG t2_state, t2_present;
static int t1_valid, t2_valid;

static CK_OBJECT_HANDLE find_priv(CK_SESSION_HANDLE h)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	F->C_FindObjectsInit(h, &t, 1);
	F->C_FindObjects(h, &k, 1, &n);
	F->C_FindObjectsFinal(h);
	return n == 1 ? k : CK_INVALID_HANDLE;
}

static void *slow_signer(void *arg)
{
	static const CK_BYTE msg[] = "signed on the slow reader A";
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[256];
	CK_ULONG slen = sizeof(sig);

	(void)arg;
	t1_rv = F->C_SignInit(sa1, &m, ka);
	if (t1_rv == CKR_OK) {
		in_slow_sign = 1;
		t1_rv = F->C_Sign(sa1, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &slen);
		in_slow_sign = 0;
	}
	t1_valid = t1_rv == CKR_OK && slen == 256 && verify(pub[0], msg, sizeof(msg) - 1, sig, slen);
	pthread_mutex_lock(&ev_mu);
	t1_seq = ++seq;
	pthread_mutex_unlock(&ev_mu);
	return NULL;
}

static void *other_calls(void *arg)
{
	static const CK_BYTE msg[] = "signed on reader B meanwhile";
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[256];
	CK_ULONG slen = sizeof(sig);
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO sn;

	(void)arg;
	if (!wait_flag(&t1_in_card))
		return NULL;
	if (pull_a) {
		/* A's card is pulled while thread 1 is in its card I/O; a
		 * polling call sees it go (and takes A's card object from
		 * the reader while thread 1 still uses it). */
		(void)jp_emu_reader_eject(idx_a);
		t2_pull_slot_rv = F->C_GetSlotInfo(ss[0], &si);
		t2_pull_flags = si.flags;
		t2_pull_sess_rv = F->C_GetSessionInfo(sa2, &sn);
		pthread_mutex_lock(&ev_mu);
		t2_seq = ++seq;
		pthread_mutex_unlock(&ev_mu);
		set_flag(&t2_done);
		return NULL;
	}
	/* Reader B: slot, token (probed already: no card I/O), session. */
	t2_rv[0] = F->C_GetSlotInfo(ss[2], &si);
	t2_present = si.flags & CKF_TOKEN_PRESENT;
	t2_rv[1] = F->C_GetTokenInfo(ss[2], &ti);
	t2_rv[2] = F->C_GetSessionInfo(sb, &sn);
	t2_state = sn.state;
	/* Reader A itself, as a browser's UI thread polls it. */
	t2_rv[3] = F->C_GetSlotInfo(ss[0], &si);
	t2_rv[4] = F->C_GetTokenInfo(ss[0], &ti);
	t2_rv[5] = F->C_GetSessionInfo(sa2, &sn);
	/* A whole signature on reader B. */
	t2_rv[6] = F->C_SignInit(sb, &m, kb);
	t2_rv[7] = F->C_Sign(sb, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &slen);
	t2_valid = t2_rv[7] == CKR_OK && slen == 256 &&
	           verify(pub[1], msg, sizeof(msg) - 1, sig, slen);
	pthread_mutex_lock(&ev_mu);
	t2_seq = ++seq;
	pthread_mutex_unlock(&ev_mu);
	set_flag(&t2_done);
	return NULL;
}

/* While thread 1 signs on A, A's card is pulled and another thread sees
 * it: thread 1's signature is refused as CKR_DEVICE_REMOVED, its card
 * object freed by thread 1 once done with it (never under its feet). */
static void pulled_mid_io(jp_emu *ea)
{
	CK_SESSION_INFO sn;
	CK_SLOT_INFO si;

	t1_in_card = t2_done = t2_done_during_io = 0;
	seq = t1_seq = t2_seq = 0;
	pull_a = 1;
	{
		pthread_t t1, t2;
		pthread_create(&t1, NULL, slow_signer, NULL);
		pthread_create(&t2, NULL, other_calls, NULL);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
	}
	pull_a = 0;
	ok(t2_done_during_io, "pulled: thread 2 saw the removal during thread 1's card I/O");
	is_int(t2_pull_slot_rv, CKR_OK, "pulled: C_GetSlotInfo on A");
	is_int(t2_pull_flags & CKF_TOKEN_PRESENT, 0, "pulled: ... no token any more");
	is_int(t2_pull_sess_rv, CKR_SESSION_HANDLE_INVALID, "pulled: A's other session is gone");
	is_int(t1_rv, CKR_DEVICE_REMOVED, "pulled: thread 1's signature: CKR_DEVICE_REMOVED");
	is_int(F->C_GetSessionInfo(sa1, &sn), CKR_SESSION_HANDLE_INVALID,
	       "pulled: thread 1's session is gone");
	jp_emu_reader_insert(idx_a, ea);
	is_int(F->C_GetSlotInfo(ss[0], &si), CKR_OK, "pulled: the card back in");
	ok(si.flags & CKF_TOKEN_PRESENT, "pulled: ... a token again");
}

static void slow_card(void)
{
	jp_emu_options o;
	jp_emu *ea, *eb;
	CK_C_INITIALIZE_ARGS a;
	pthread_t t1, t2;
	int i, all_ok = 1;

	memset(&o, 0, sizeof(o));
	o.latency_sign_us = 300000;   /* reader A signs slowly, like NFC */
	idx_a = pt_reader_with_card("Slow Reader A", 1, &o, &ea);
	pt_reader_with_card("Quick Reader B", 2, NULL, &eb);
	memset(&a, 0, sizeof(a));
	a.CreateMutex = cb_create;
	a.DestroyMutex = cb_destroy;
	a.LockMutex = cb_lock;
	a.UnlockMutex = cb_unlock;
	ncreated = 0;
	is_int(F->C_Initialize(&a), CKR_OK, "slow card: initialize (application's mutexes)");
	is_int(pt_slots(CK_FALSE, ss, 4), 4, "slow card: four slots");
	F->C_OpenSession(ss[0], CKF_SERIAL_SESSION, NULL, NULL, &sa1);
	F->C_OpenSession(ss[0], CKF_SERIAL_SESSION, NULL, NULL, &sa2);
	F->C_OpenSession(ss[2], CKF_SERIAL_SESSION, NULL, NULL, &sb);
	is_int(pt_login(sa1, CKU_USER, fixture_pin(1, 0)), CKR_OK, "slow card: login on A");
	is_int(pt_login(sb, CKU_USER, fixture_pin(2, 0)), CKR_OK, "slow card: login on B");
	ka = find_priv(sa1);
	kb = find_priv(sb);
	ok(ka != CK_INVALID_HANDLE && kb != CK_INVALID_HANDLE, "slow card: both keys found");

	pthread_create(&t1, NULL, slow_signer, NULL);
	pthread_create(&t2, NULL, other_calls, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);

	ok(t1_in_card, "thread 1 entered the card I/O on reader A (its reader lock seen)");
	ok(t2_done_during_io,
	   "thread 2 finished while thread 1 was still in its card I/O on reader A");
	ok(t2_seq > 0 && t1_seq > t2_seq, "thread 2 finished before thread 1's C_Sign returned");
	for (i = 0; i < 8; i++)
		if (t2_rv[i] != CKR_OK) {
			diag("thread 2 call %d: 0x%lx", i, (unsigned long)t2_rv[i]);
			all_ok = 0;
		}
	ok(all_ok, "thread 2: slot, token and session info on B and A, SignInit and Sign on B: "
	           "CKR_OK");
	ok(t2_present, "thread 2: B's token present");
	is_int(t2_state, CKS_RO_USER_FUNCTIONS, "thread 2: B's session logged in");
	ok(t2_valid, "thread 2: B's signature verified with OpenSSL");
	is_int(t1_rv, CKR_OK, "thread 1: the slow signature on A");
	ok(t1_valid, "thread 1: A's signature verified with OpenSSL");
	is_int(jp_emu_sign_count(ea), 1, "reader A's card made one signature");
	is_int(jp_emu_sign_count(eb), 1, "reader B's card made one signature");
	/* Again, A's card pulled meanwhile. */
	pulled_mid_io(ea);
	is_int(F->C_Finalize(NULL), CKR_OK, "slow card: finalize");
	jp_emu_readers_clear();
	jp_emu_free(ea);
	jp_emu_free(eb);
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
	is_int(pt_login(keep[0], CKU_USER, fixture_pin(1, 0)), CKR_OK, "%s: login card 1", what);
	is_int(pt_login(keep[1], CKU_USER, fixture_pin(2, 0)), CKR_OK, "%s: login card 2", what);
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
	slow_card();
	EVP_PKEY_free(pub[0]);
	EVP_PKEY_free(pub[1]);
	done_testing();
}
