/* Sequences of PKCS#11 calls against the test build of the module (the
 * emulated card in-process: no file is written, no real reader is seen).
 *
 * The input is a small header, then a stream of calls:
 *   byte 0   a card fault (the emulator's fault options) and byte 1 the
 *            APDU it hits;
 *   byte 2   how C_Initialize is called (arguments, locking, options
 *            string) and whether a second card sits in a second reader;
 *   byte 3   the card's variant options;
 *   then     one opcode byte per call, each followed by the bytes its
 *            arguments are drawn from: handles from the pools of what
 *            the module returned (slots, sessions, objects) or arbitrary
 *            ones, lengths, NULL pointers, templates, mechanisms, PINs.
 * Reading past the end yields zeros, so every prefix is a valid input.
 *
 * Per input the module starts uninitialized and is finalized at the end,
 * the readers are removed and the emulated cards freed: nothing carries
 * over to the next input. Besides the sanitizers, the invariants checked
 * are the Cryptoki output contracts (counts and lengths never exceed the
 * buffers given; a signature the module releases is 256 bytes, the module
 * having checked it on the host) and that C_Finalize leaves the module
 * uninitialized. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"
#include "fuzz.h"

#define POOL 8
#define MAX_LEN 2100        /* data, signatures, values: a certificate fits */
#define MAX_ATTRS 6

typedef struct input {
	const uint8_t *p;
	size_t n;
} input;

typedef struct pool {
	CK_ULONG v[POOL];
	unsigned n, next;
} pool;

typedef struct state {
	input in;
	CK_FUNCTION_LIST_PTR f;
	pool slots, sessions, objects;
	jp_emu *cards[2];
	int readers[2];
	int ncards;
	char pins[2][32];
	uint8_t last_sig[256];
	CK_ULONG last_sig_len;
} state;

static uint8_t u8(state *s)
{
	uint8_t b = 0;

	if (s->in.n > 0) {
		b = *s->in.p++;
		s->in.n--;
	}
	return b;
}

static CK_ULONG u32(state *s)
{
	CK_ULONG v = u8(s);

	v = (v << 8) | u8(s);
	v = (v << 8) | u8(s);
	return (v << 8) | u8(s);
}

/* A length: mostly the ones that matter (0, 1, around 256), sometimes any
 * up to MAX_LEN. */
static CK_ULONG len(state *s)
{
	static const CK_ULONG common[] = { 0, 1, 4, 20, 32, 51, 64, 255, 256, 257, 512 };
	uint8_t b = u8(s);

	if (b < 0xC0)
		return common[b % (sizeof(common) / sizeof(common[0]))];
	return (((CK_ULONG)(b & 0x3F) << 8) | u8(s)) % (MAX_LEN + 1);
}

static void remember(pool *p, CK_ULONG v)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->v[i] == v)
			return;
	if (p->n < POOL) {
		p->v[p->n++] = v;
	} else {
		p->v[p->next] = v;
		p->next = (p->next + 1) % POOL;
	}
}

/* A handle: one the module gave out, or 0, or any value. */
static CK_ULONG handle(state *s, const pool *p)
{
	uint8_t b = u8(s);

	if (b < 0xE0 && p->n > 0)
		return p->v[b % p->n];
	if (b < 0xF0)
		return 0;
	return u32(s);
}

/* An exactly-sized heap buffer (so ASan sees any write past n), or NULL
 * when n is 0 and the input says so. Filled from the input. */
static uint8_t *buf(state *s, CK_ULONG n, int may_null)
{
	uint8_t *b;
	CK_ULONG i;

	if (may_null && (u8(s) & 7) == 0)
		return NULL;
	b = malloc(n > 0 ? n : 1);
	FUZZ_ASSERT(b != NULL);
	for (i = 0; i < n; i++)
		b[i] = u8(s);
	return b;
}

/* An output buffer: exactly n bytes (not drawn from the input), or NULL
 * when the input says so. */
static uint8_t *out_buf(state *s, CK_ULONG n, int may_null)
{
	uint8_t *b;

	if (may_null && (u8(s) & 7) == 0)
		return NULL;
	b = malloc(n > 0 ? n : 1);
	FUZZ_ASSERT(b != NULL);
	memset(b, 0xA5, n);
	return b;
}

static CK_MECHANISM_TYPE mech_type(state *s)
{
	static const CK_MECHANISM_TYPE m[] = {
		CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS,
		CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, CKM_SHA_1, CKM_SHA224, CKM_SHA256,
		CKM_SHA384, CKM_SHA512, CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_RSA_X_509,
		CKM_MD5, CKM_ECDSA,
	};
	uint8_t b = u8(s);

	if (b == 0xFF)
		return u32(s);
	return m[b % (sizeof(m) / sizeof(m[0]))];
}

static CK_ATTRIBUTE_TYPE attr_type(state *s)
{
	static const CK_ATTRIBUTE_TYPE t[] = {
		CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_VALUE, CKA_CERTIFICATE_TYPE,
		CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_SUBJECT, CKA_ID, CKA_KEY_TYPE, CKA_SIGN,
		CKA_VERIFY, CKA_DECRYPT, CKA_MODULUS, CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT,
		CKA_ALWAYS_AUTHENTICATE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_MODIFIABLE,
		CKA_TRUSTED, CKA_CERTIFICATE_CATEGORY, CKA_CHECK_VALUE, CKA_START_DATE,
		CKA_LOCAL, CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_KEY_GEN_MECHANISM,
		CKA_ALLOWED_MECHANISMS, CKA_PUBLIC_KEY_INFO, CKA_URL,
	};
	uint8_t b = u8(s);

	if (b == 0xFF)
		return u32(s);
	return t[b % (sizeof(t) / sizeof(t[0]))];
}

typedef struct tmpl {
	CK_ATTRIBUTE a[MAX_ATTRS];
	CK_ULONG alloc[MAX_ATTRS];
	CK_ULONG count;
	int null;
} tmpl;

/* A template: for searching and setting, values from the input (a CK_ULONG
 * or CK_BBOOL value sized as such, or bytes); for reading, empty buffers or
 * NULL to ask for lengths. */
static void tmpl_make(state *s, tmpl *t, int out)
{
	CK_ULONG i;
	uint8_t b = u8(s);

	memset(t, 0, sizeof(*t));
	t->count = b % (MAX_ATTRS + 1);
	t->null = t->count == 0 && (b & 0x80);
	for (i = 0; i < t->count; i++) {
		CK_ATTRIBUTE *a = &t->a[i];
		uint8_t kind = u8(s);

		a->type = attr_type(s);
		if (kind % 4 == 0) {
			a->ulValueLen = sizeof(CK_ULONG);
		} else if (kind % 4 == 1) {
			a->ulValueLen = sizeof(CK_BBOOL);
		} else {
			a->ulValueLen = len(s);
		}
		t->alloc[i] = a->ulValueLen;
		if (out)
			a->pValue = (kind & 0x80) ? NULL : out_buf(s, a->ulValueLen, 0);
		else
			a->pValue = buf(s, a->ulValueLen, 0);
		/* A length that lies about a NULL value: the module must not
		 * write through it. */
		if (!out && a->ulValueLen > 0 && (kind & 0x40)) {
			free(a->pValue);
			a->pValue = NULL;
		}
	}
}

static void tmpl_free(tmpl *t)
{
	CK_ULONG i;

	for (i = 0; i < t->count; i++)
		free(t->a[i].pValue);
}

/* After C_GetAttributeValue: no length beyond the buffer it was given. */
static void tmpl_check_read(const tmpl *t, CK_RV rv)
{
	CK_ULONG i;

	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
	    rv != CKR_BUFFER_TOO_SMALL)
		return;
	for (i = 0; i < t->count; i++) {
		const CK_ATTRIBUTE *a = &t->a[i];
		if (a->pValue != NULL && a->ulValueLen != CK_UNAVAILABLE_INFORMATION)
			FUZZ_ASSERT(a->ulValueLen <= t->alloc[i]);
	}
}

static CK_ATTRIBUTE_PTR tmpl_ptr(tmpl *t)
{
	return t->null ? NULL : t->a;
}

/* ---- the application's mutex callbacks (one C_Initialize variant) ---- */

static CK_RV mx_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *p;

	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(p, NULL);
	*m = p;
	return CKR_OK;
}

static CK_RV mx_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}

static CK_RV mx_lock(CK_VOID_PTR m)
{
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV mx_unlock(CK_VOID_PTR m)
{
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

/* C_Initialize as mode says: NULL, OS locking, the callbacks, a partial
 * set of callbacks (bad), a non-NULL reserved pointer, an options string. */
static CK_RV initialize(state *s, uint8_t mode)
{
	static const char *const opts[] = {
		"tokens=auth", "tokens=sign", "always-authenticate=no", "tokens=both;bogus",
	};
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	switch (mode % 8) {
	case 0:
		return s->f->C_Initialize(NULL);
	case 1:
		a.flags = CKF_OS_LOCKING_OK;
		break;
	case 2:
		a.CreateMutex = mx_create;
		a.DestroyMutex = mx_destroy;
		a.LockMutex = mx_lock;
		a.UnlockMutex = mx_unlock;
		a.flags = (mode & 0x80) ? CKF_OS_LOCKING_OK : 0;
		break;
	case 3:
		a.CreateMutex = mx_create;
		a.LockMutex = mx_lock;
		break;
	case 4:
		a.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS | CKF_OS_LOCKING_OK;
		break;
	case 5:
		a.pReserved = (CK_VOID_PTR)opts[(mode >> 4) % 4];
		a.flags = CKF_OS_LOCKING_OK;
		break;
	case 6:
		a.pReserved = &a;   /* not a string */
		break;
	default:
		a.flags = ~(CK_FLAGS)0;
		break;
	}
	return s->f->C_Initialize(&a);
}

/* ---- the cards ---- */

static void cards_setup(state *s, uint8_t fault, uint8_t nth, uint8_t init, uint8_t variant)
{
	jp_emu_options o;
	int i;

	memset(&o, 0, sizeof(o));
	switch (fault % 8) {
	case 1: o.fail_nth = nth; break;
	case 2: o.garble_nth = nth; break;
	case 3: o.drop_nth = nth; break;
	case 4: o.remove_nth = nth; break;
	case 5: o.short_nth = nth; break;
	case 6: o.garble_signatures = 1; break;
	default: break;
	}
	o.no_extended = variant & 1;
	o.clear_on_reselect = (variant >> 1) & 1;
	o.clear_on_reset = (variant >> 2) & 1;
	o.blocked_query_sw = (variant & 8) ? 0x6984 : 0;
	o.no_sign = (jp_emu_no_sign)((variant >> 4) & 3);
	o.kind = (variant & 0xC0) == 0xC0 ? JP_EMU_JUKI : JP_EMU_MYNUMBER;

	s->ncards = (init & 0x80) ? 2 : 1;
	for (i = 0; i < s->ncards; i++) {
		char name[32];

		memcpy(name, "Fuzz Reader 0 00", 17);
		name[12] = (char)('0' + i);
		s->readers[i] = jp_emu_reader_add(name);
		FUZZ_ASSERT(s->readers[i] >= 0);
		/* The fault on the first card only: the second one is the
		 * control that keeps working. */
		s->cards[i] = jp_emu_new(jp_emu_fixture_dir(i + 1), i == 0 ? &o : NULL, NULL);
		FUZZ_ASSERT(s->cards[i] != NULL);
		jp_emu_reader_insert(s->readers[i], s->cards[i]);
	}
	/* The first card's PIN and signing password, for logins that work. */
	FUZZ_ASSERT(jp_emu_fixture_pin(1, 0, s->pins[0], sizeof(s->pins[0])) == 0);
	FUZZ_ASSERT(jp_emu_fixture_pin(1, 1, s->pins[1], sizeof(s->pins[1])) == 0);
}

/* The card in reader 0 is pulled, put back, reset by another program, or
 * its reader becomes unreachable and reachable again. */
static void card_event(state *s)
{
	uint8_t b = u8(s);
	int r = s->readers[0];

	switch (b % 6) {
	case 0: (void)jp_emu_reader_eject(r); break;
	case 1: jp_emu_reader_insert(r, s->cards[0]); break;
	case 2: jp_emu_reader_reset_by_other(r, (b >> 4) & 1); break;
	case 3: jp_emu_reader_unreachable(r, JP_EMU_LINKS_BROKEN); break;
	case 4: jp_emu_reader_unreachable(r, JP_EMU_UNREACHABLE); break;
	default: jp_emu_reader_unreachable(r, JP_EMU_REACHABLE); break;
	}
}

static void cards_teardown(state *s)
{
	int i;

	jp_emu_readers_clear();
	for (i = 0; i < s->ncards; i++)
		jp_emu_free(s->cards[i]);
}

/* ---- the calls ---- */

static void do_slot_list(state *s)
{
	CK_BBOOL present = u8(s) & 1;
	CK_ULONG n = u8(s) % 6, given, i;
	CK_SLOT_ID *list = NULL;
	CK_RV rv;

	if (u8(s) & 1)
		list = (CK_SLOT_ID *)out_buf(s, n * sizeof(CK_SLOT_ID), 0);
	given = n;
	rv = s->f->C_GetSlotList(present, list, (u8(s) & 0x0F) ? &n : NULL);
	if (rv == CKR_OK && list != NULL) {
		FUZZ_ASSERT(n <= given);
		for (i = 0; i < n; i++)
			remember(&s->slots, list[i]);
	}
	free(list);
}

static void do_info(state *s, uint8_t op)
{
	CK_SLOT_ID slot = handle(s, &s->slots);
	int null = (u8(s) & 0x0F) == 0;
	union {
		CK_INFO i;
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;
		CK_SESSION_INFO ss;
		CK_MECHANISM_INFO mi;
	} *u = malloc(sizeof(*u));

	FUZZ_ASSERT(u != NULL);
	switch (op) {
	case 0: (void)s->f->C_GetInfo(null ? NULL : &u->i); break;
	case 1: (void)s->f->C_GetSlotInfo(slot, null ? NULL : &u->si); break;
	case 2: (void)s->f->C_GetTokenInfo(slot, null ? NULL : &u->ti); break;
	case 3: (void)s->f->C_GetMechanismInfo(slot, mech_type(s), null ? NULL : &u->mi); break;
	default:
		(void)s->f->C_GetSessionInfo(handle(s, &s->sessions), null ? NULL : &u->ss);
		break;
	}
	free(u);
}

static void do_mech_list(state *s)
{
	CK_SLOT_ID slot = handle(s, &s->slots);
	CK_ULONG n = u8(s) % 12, given = n;
	CK_MECHANISM_TYPE *list = NULL;
	CK_RV rv;

	if (u8(s) & 1)
		list = (CK_MECHANISM_TYPE *)out_buf(s, n * sizeof(*list), 0);
	rv = s->f->C_GetMechanismList(slot, list, (u8(s) & 0x0F) ? &n : NULL);
	if (rv == CKR_OK && list != NULL)
		FUZZ_ASSERT(n <= given);
	free(list);
}

static void do_open(state *s)
{
	static const CK_FLAGS fl[] = {
		CKF_SERIAL_SESSION, CKF_SERIAL_SESSION | CKF_RW_SESSION, 0, CKF_RW_SESSION,
	};
	CK_SLOT_ID slot = handle(s, &s->slots);
	uint8_t b = u8(s);
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	if (s->f->C_OpenSession(slot, fl[b % 4], NULL, NULL, (b & 0x80) ? NULL : &h) == CKR_OK &&
	    !(b & 0x80))
		remember(&s->sessions, h);
}

/* A PIN: the card's right one for either key, a wrong one, or bytes from
 * the input (any length, NULL). */
static void do_pin(state *s, uint8_t op)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	uint8_t b = u8(s);
	CK_USER_TYPE user = (b & 0x30) == 0x30 ? u32(s) : (CK_USER_TYPE)((b >> 4) & 3);
	uint8_t *pin = NULL, *pin2 = NULL;
	CK_ULONG n, n2 = 0;

	switch (b % 4) {
	case 0:
	case 1:
		n = strlen(s->pins[b % 2]);
		pin = malloc(n + 1);
		FUZZ_ASSERT(pin != NULL);
		memcpy(pin, s->pins[b % 2], n);
		break;
	case 2:
		n = len(s) % 20;
		pin = buf(s, n, 1);
		break;
	default:
		n = len(s) % 20;
		pin = NULL;
		break;
	}
	if (op == 0) {
		(void)s->f->C_Login(h, user, pin, n);
	} else {
		n2 = len(s) % 20;
		pin2 = buf(s, n2, 1);
		(void)s->f->C_SetPIN(h, pin, n, pin2, n2);
	}
	if (pin != NULL)
		memset(pin, 0, n);
	free(pin);
	free(pin2);
}

static void do_find(state *s)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	tmpl t;
	CK_ULONG max = u8(s) % 8, got = 0, i;
	CK_OBJECT_HANDLE *found;
	CK_RV rv;

	tmpl_make(s, &t, 0);
	(void)s->f->C_FindObjectsInit(h, tmpl_ptr(&t), t.count);
	tmpl_free(&t);
	found = (CK_OBJECT_HANDLE *)out_buf(s, max * sizeof(*found), 1);
	rv = s->f->C_FindObjects(h, found, max, (u8(s) & 0x0F) ? &got : NULL);
	if (rv == CKR_OK && found != NULL) {
		FUZZ_ASSERT(got <= max);
		for (i = 0; i < got; i++)
			remember(&s->objects, found[i]);
	}
	free(found);
	if (u8(s) & 3)
		(void)s->f->C_FindObjectsFinal(h);
}

static void do_attrs(state *s, uint8_t op)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_OBJECT_HANDLE o = handle(s, &s->objects);
	CK_OBJECT_HANDLE made = CK_INVALID_HANDLE;
	CK_ULONG size = 0;
	tmpl t;
	CK_RV rv;

	tmpl_make(s, &t, op == 0);
	switch (op) {
	case 0:
		rv = s->f->C_GetAttributeValue(h, o, tmpl_ptr(&t), t.count);
		tmpl_check_read(&t, rv);
		break;
	case 1: (void)s->f->C_SetAttributeValue(h, o, tmpl_ptr(&t), t.count); break;
	case 2: (void)s->f->C_CreateObject(h, tmpl_ptr(&t), t.count, &made); break;
	case 3: (void)s->f->C_CopyObject(h, o, tmpl_ptr(&t), t.count, &made); break;
	case 4: (void)s->f->C_DestroyObject(h, o); break;
	default: (void)s->f->C_GetObjectSize(h, o, (u8(s) & 1) ? &size : NULL); break;
	}
	tmpl_free(&t);
}

static CK_RV op_init(state *s, uint8_t which)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_MECHANISM m;
	uint8_t b = u8(s);
	CK_RV rv;

	m.mechanism = mech_type(s);
	m.ulParameterLen = (b & 1) ? len(s) % 64 : 0;
	m.pParameter = (b & 2) ? buf(s, m.ulParameterLen, 0) : NULL;
	switch (which) {
	case 0: rv = s->f->C_SignInit(h, (b & 4) ? NULL : &m, handle(s, &s->objects)); break;
	case 1: rv = s->f->C_VerifyInit(h, (b & 4) ? NULL : &m, handle(s, &s->objects)); break;
	default: rv = s->f->C_DigestInit(h, (b & 4) ? NULL : &m); break;
	}
	free(m.pParameter);
	return rv;
}

/* C_Sign / C_SignFinal / C_Digest / C_DigestFinal: output NULL (length
 * query) or a buffer of some length; the length out never exceeds it. */
static void do_output(state *s, uint8_t op)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_ULONG in_len = len(s), out_len = len(s), given;
	uint8_t *in = buf(s, in_len, 1);
	uint8_t *out = out_buf(s, out_len, 1);
	int no_len = (u8(s) & 0x1F) == 0;
	CK_RV rv;

	given = out_len;
	switch (op) {
	case 0: rv = s->f->C_Sign(h, in, in_len, out, no_len ? NULL : &out_len); break;
	case 1: rv = s->f->C_SignFinal(h, out, no_len ? NULL : &out_len); break;
	case 2: rv = s->f->C_Digest(h, in, in_len, out, no_len ? NULL : &out_len); break;
	default: rv = s->f->C_DigestFinal(h, out, no_len ? NULL : &out_len); break;
	}
	if (rv == CKR_OK && out != NULL) {
		FUZZ_ASSERT(out_len <= given);
		if (op < 2) {
			/* A released signature is one the card made: RSA-2048. */
			FUZZ_ASSERT(out_len == 256);
			memcpy(s->last_sig, out, 256);
			s->last_sig_len = 256;
		}
	}
	free(in);
	free(out);
}

static void do_update(state *s, uint8_t op)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_ULONG n = len(s);
	uint8_t *in = buf(s, n, 1);

	switch (op) {
	case 0: (void)s->f->C_SignUpdate(h, in, n); break;
	case 1: (void)s->f->C_VerifyUpdate(h, in, n); break;
	default: (void)s->f->C_DigestUpdate(h, in, n); break;
	}
	free(in);
}

/* C_Verify / C_VerifyFinal with the last signature released, or bytes. */
static void do_verify(state *s, uint8_t op)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_ULONG in_len = len(s), sig_len;
	uint8_t *in = buf(s, in_len, 1), *sig;
	uint8_t b = u8(s);

	if ((b & 1) && s->last_sig_len > 0) {
		sig_len = s->last_sig_len;
		sig = malloc(sig_len);
		FUZZ_ASSERT(sig != NULL);
		memcpy(sig, s->last_sig, sig_len);
	} else {
		sig_len = len(s);
		sig = buf(s, sig_len, 1);
	}
	if (op == 0)
		(void)s->f->C_Verify(h, in, in_len, sig, sig_len);
	else
		(void)s->f->C_VerifyFinal(h, sig, sig_len);
	free(in);
	free(sig);
}

static void do_random(state *s, uint8_t op)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_ULONG n = len(s);
	uint8_t *b = op == 0 ? out_buf(s, n, 1) : buf(s, n, 1);

	switch (op) {
	case 0: (void)s->f->C_GenerateRandom(h, b, n); break;
	case 1: (void)s->f->C_SeedRandom(h, b, n); break;
	case 2: (void)s->f->C_GetFunctionStatus(h); break;
	default: (void)s->f->C_CancelFunction(h); break;
	}
	free(b);
}

static void do_event(state *s)
{
	CK_SLOT_ID slot = 0;
	uint8_t b = u8(s);

	/* Never a blocking wait: nothing would wake it. */
	(void)s->f->C_WaitForSlotEvent(CKF_DONT_BLOCK | ((b & 0x80) ? u32(s) : 0),
	                               (b & 1) ? NULL : &slot, (b & 2) ? &slot : NULL);
}

static void do_state(state *s)
{
	CK_SESSION_HANDLE h = handle(s, &s->sessions);
	CK_ULONG n = len(s);
	uint8_t *b = out_buf(s, n, 1);

	(void)s->f->C_GetOperationState(h, b, &n);
	free(b);
}

static void step(state *s, uint8_t op)
{
	switch (op % 32) {
	case 0: (void)initialize(s, u8(s)); break;
	case 1: (void)s->f->C_Finalize((u8(s) & 0x0F) ? NULL : s); break;
	case 2: do_slot_list(s); break;
	case 3: case 4: case 5: case 6: case 7: do_info(s, (uint8_t)(op % 32 - 3)); break;
	case 8: do_mech_list(s); break;
	case 9: do_open(s); break;
	case 10: (void)s->f->C_CloseSession(handle(s, &s->sessions)); break;
	case 11: (void)s->f->C_CloseAllSessions(handle(s, &s->slots)); break;
	case 12: do_pin(s, 0); break;
	case 13: (void)s->f->C_Logout(handle(s, &s->sessions)); break;
	case 14: do_pin(s, 1); break;
	case 15: do_find(s); break;
	case 16: case 17: do_attrs(s, 0); break;
	case 18: do_attrs(s, (uint8_t)(1 + u8(s) % 5)); break;
	case 19: (void)op_init(s, 0); break;
	case 20: do_output(s, 0); break;
	case 21: do_update(s, 0); break;
	case 22: do_output(s, 1); break;
	case 23: (void)op_init(s, 1); break;
	case 24: do_verify(s, u8(s) & 1); break;
	case 25: do_update(s, 1); break;
	case 26: (void)op_init(s, 2); break;
	case 27: do_output(s, (uint8_t)(2 + (u8(s) & 1))); break;
	case 28: do_update(s, 2); break;
	case 29: do_random(s, u8(s) % 4); break;
	case 30: if (u8(s) & 1) do_event(s); else do_state(s); break;
	default: card_event(s); break;
	}
}

/* Calls per input: enough for login, find, sign, verify in one input,
 * bounded so that one input stays fast. */
#define MAX_CALLS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	state s;
	CK_INFO info;
	CK_RV rv;
	unsigned calls = 0;
	uint8_t fault, nth, init, variant;

	memset(&s, 0, sizeof(s));
	s.in.p = data;
	s.in.n = size;
	FUZZ_ASSERT(C_GetFunctionList(&s.f) == CKR_OK && s.f != NULL);
	fault = u8(&s);
	nth = u8(&s);
	init = u8(&s);
	variant = u8(&s);
	cards_setup(&s, fault, nth, init, variant);

	/* The previous input finalized the module: it starts afresh. */
	FUZZ_ASSERT(s.f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED);
	rv = initialize(&s, init & 0x7F);
	FUZZ_ASSERT(rv == CKR_OK || rv == CKR_ARGUMENTS_BAD || rv == CKR_CANT_LOCK ||
	            rv == CKR_NEED_TO_CREATE_THREADS);
	while (s.in.n > 0 && calls++ < MAX_CALLS)
		step(&s, u8(&s));

	(void)s.f->C_Finalize(NULL);
	FUZZ_ASSERT(s.f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED);
	cards_teardown(&s);
	return 0;
}
