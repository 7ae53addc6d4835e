/* The Cryptoki front's internal model. This is the only layer where CK_*
 * types appear. Files (one job each):
 *   module.c     the function lists (v2.40, v3.0) and interfaces; C_GetFunctionList,
 *                C_GetInterfaceList/GetInterface, C_GetInfo; the exported C_*
 *   fn-table.h   every function in list order (X-macros)
 *   entry.h/.c   the entries the lists hold (jp_e_*): trace, then the jp_p11_*
 *                below; entry30.c: the v3.0 ones (C_LoginUser, C_SessionCancel,
 *                message-based functions)
 *   init.c       C_Initialize / C_Finalize: init args, locking choice, fork
 *   exit.c       the process ends without C_Finalize: no card left verified
 *   lock.c       mutexes: the application's callbacks or pthreads
 *   rv.c         the ONE jp_err → CK_RV map
 *   slot.c       readers → two slots each; C_GetSlotList/Info, C_WaitForSlotEvent
 *   token.c      opening the card for a reader, token info and flags, serial,
 *                a token's objects, logout of a card
 *   io.c         the card I/O bracket (jp_card_enter_inlock / jp_card_leave):
 *                card I/O under the reader's lock, not the global one
 *   session.c    the session table; C_OpenSession/CloseSession/CloseAllSessions/GetSessionInfo
 *   login.c      C_Login/C_Logout/C_SetPIN (InitPIN/InitToken unsupported)
 *   object.c     building a token's objects from its certificates       (p11-ops)
 *   attr.c       C_GetAttributeValue rules, attribute matching for find  (p11-ops)
 *   find.c       C_FindObjectsInit/FindObjects/FindObjectsFinal          (p11-ops)
 *   mechanism.c  C_GetMechanismList/Info                                 (p11-ops)
 *   sign.c       C_SignInit/Sign/SignUpdate/SignFinal (card + host check)(p11-ops)
 *   verify.c     C_VerifyInit/Verify/VerifyUpdate/VerifyFinal (host)     (p11-ops)
 *   digest.c     C_DigestInit/Digest/DigestUpdate/DigestFinal (host)     (p11-ops)
 *   op.c         what those three share: the operation's life (Init checks,
 *                Update, single-part vs Final, §5.2 output lengths)     (p11-ops)
 *   unsupported.c what the card cannot do: the usual checks, then the refusal
 *   options.c    module options (config files, [program] sections, pReserved)
 *
 * Locking (doc/design.md §3): every C_* runs under the global lock (jp_enter ..
 * jp_leave) for the tables EXCEPT while it does card I/O: io.c's bracket
 * (jp_card_enter_inlock .. jp_card_leave) pins and takes the reader (busy
 * flag + the reader's lock, held across the I/O and its PC/SC transaction)
 * and drops the global lock until the I/O is over, so a slow card blocks
 * only the callers of that reader. C_WaitForSlotEvent also drops it while
 * it blocks. Order: global → reader; no thread waits for the global lock
 * while holding a reader's. Functions named *_inlock expect the global
 * lock held.
 *
 * Object lifetime: a vanished reader is only marked gone; its entry is
 * freed (and reused) only when a slot-set update (C_GetSlotList length
 * query, C_WaitForSlotEvent) needs room, and never while a thread has it
 * pinned for card I/O (r->pins), so jp_reader pointers stay valid inside a
 * call. Sessions of a removed card are marked dead by the card generation
 * and freed when next looked up (CKR_SESSION_HANDLE_INVALID). A session
 * pointer is valid while the global lock is held: after card I/O (which
 * drops it) look the session up again by handle. */
#ifndef JPKI_P11_H
#define JPKI_P11_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <p11-kit/pkcs11.h>

#include "jpki/card.h"
#include "jpki/crypto.h"
#include "jpki/error.h"
#include "jpki/transport.h"

#define JP_EXPORT __attribute__((visibility("default")))

/* Slot IDs start here, so callers that hard-code slot 0 are caught. Slot id
 * = JP_SLOT_BASE + reader->no * 2 + key; reader numbers are never reused
 * within a process, so a slot ID is stable for its reader's life. */
#define JP_SLOT_BASE 0x4a50UL  /* "JP" */
/* Readers in the table at once. A gone reader keeps its entry (its slot IDs
 * invalid, its sessions dead) until the table is full; then the entries of
 * gone readers are reused (slot.c), never their reader numbers. */
#define JP_MAX_READERS 64

/* ---- locks (lock.c) ---- */
typedef struct jp_mutex jp_mutex;
/* Chooses callbacks or pthreads from the init args (checked by init.c). */
void jp_lock_setup(const CK_C_INITIALIZE_ARGS *args);
jp_mutex *jp_mutex_new(void);
void jp_mutex_free(jp_mutex *m);
void jp_mutex_lock(jp_mutex *m);
void jp_mutex_unlock(jp_mutex *m);
/* After fork(): drops the mutex without touching it (it may be held by a
 * thread that does not exist in the child). */
void jp_mutex_forget(jp_mutex *m);

/* ---- errors (rv.c) ---- */
CK_RV jp_rv(jp_err e);

/* ---- options (options.c) ---- */
typedef struct jp_options {
	int always_authenticate;   /* CKA_ALWAYS_AUTHENTICATE on the signing key (default 1) */
	unsigned tokens;           /* bit (1 << jp_key) set: that token's slot is shown
	                              (default both; "tokens=auth" spares a browser the
	                              signing token's password question) */
} jp_options;
/* Whether the slot of this key is shown at all (options "tokens="). */
#define JP_TOKEN_SHOWN(key) ((jp_mod.opts.tokens >> (unsigned)(key)) & 1u)
/* Defaults, built-in per-program defaults, the system file, the user's
 * file, then the pReserved string (may be NULL); each overrides the ones
 * before it. Unknown keys and bad values are logged and ignored. */
void jp_options_load(jp_options *o, const char *reserved);
/* Parses "key=value key=value" (separated by spaces, commas, semicolons or
 * newlines, '#' comments to end of line) into o. Returns the number of
 * options understood. Exposed for tests. */
int jp_options_parse(jp_options *o, const char *text);
/* ---- the seams of jp_options_load, exposed for tests ---- */
#define JP_PROGRAM_NAMES 2
#define JP_PROGRAM_NAME_MAX 256
/* A config file's text: global lines, then "[program NAME...]" sections
 * applied when a NAME is one of names (entries may be NULL or empty).
 * origin names the file in log lines. Returns the options applied. */
int jp_options_parse_config(jp_options *o, const char *text,
                            const char *const names[JP_PROGRAM_NAMES], const char *origin);
/* The running program's names: the basename of /proc/self/exe, and the
 * basename it was started as (argv[0]) when different ("" otherwise). */
void jp_options_program_names(char names[JP_PROGRAM_NAMES][JP_PROGRAM_NAME_MAX]);
/* What decides the user's file. */
typedef struct jp_options_env {
	int secure;                    /* setuid/setgid (AT_SECURE): no user file */
	const char *xdg_config_home;   /* $XDG_CONFIG_HOME (used if absolute) */
	const char *home;              /* $HOME (if absolute), else the passwd entry */
} jp_options_env;
/* The user's file for env into out: 1, or 0 when there is none. */
int jp_options_user_file(char *out, size_t max, const jp_options_env *env);
/* The files and names jp_options_load_from reads (a NULL file: none). */
typedef struct jp_options_src {
	const char *system_file, *user_file;
	const char *names[JP_PROGRAM_NAMES];
} jp_options_src;
void jp_options_load_from(jp_options *o, const jp_options_src *src, const char *reserved);

/* ---- objects (object.c, attr.c) ---- */
typedef struct jp_attr {
	CK_ATTRIBUTE_TYPE type;
	void *value;           /* owned */
	CK_ULONG len;
} jp_attr;

typedef struct jp_object {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS cls;
	int is_private;        /* CKA_PRIVATE: visible only when logged in */
	int can_sign;          /* a private key on the card */
	jp_attr *attrs;
	size_t nattrs;
	jp_key key;            /* the card key it belongs to */
	/* The RSA public key it carries (a key's own, a certificate's
	 * subject's), parsed once when the object is built, so verification
	 * costs no parsing (verify.c). Owned, wiped with the object. */
	jp_buf rsa_n, rsa_e;
} jp_object;

/* ---- tokens and readers (slot.c, token.c) ---- */
typedef struct jp_token {
	int present;               /* a token is in this slot */
	int logged_in;             /* this process presented the PIN (module state,
	                              never inferred from the card: doc/card.md §6) */
	int tries;                 /* from the last retry query / VERIFY; -1 unknown */
	int objects_built;         /* objects reflect the current login state */
	jp_object **objects;       /* owned (object.c) */
	size_t nobjects;
	unsigned long sessions;    /* open sessions on this token */
	unsigned long rw_sessions;
} jp_token;

typedef struct jp_reader {
	char name[JP_READER_NAME_MAX];
	unsigned long no;          /* stable number within the process */
	int gone;                  /* the reader disappeared: no slots any more */
	int present;               /* a card is in it (last listing) */
	unsigned long events;      /* transport's event counter at last listing */
	int event_pending[2];      /* for C_WaitForSlotEvent, per slot */
	jp_mutex *lock;            /* held across card I/O (order: global → reader) */
	int busy;                  /* a thread does card I/O on it (io.c) */
	unsigned pins;             /* threads holding it without the global lock
	                              (card I/O, waiting for it): not freed */
	int forget_sign_cert;      /* logged out while busy: the card layer's copy
	                              of the signing certificate goes when given back */
	jp_card *card;             /* open card, NULL until needed; while busy, used
	                              by the I/O thread only */
	int probed;                /* the card was looked at (tokens[] are valid) */
	jp_err card_err;           /* why there is no usable card (JP_E_NOT_JPKI, ...) */
	int unpower_pending;       /* a power cycle we owe the card could not be done
	                              (unreachable): the next successful contact does
	                              it before anything else (token.c) */
	unsigned long card_gen;    /* increases when the card goes away; sessions keep it */
	char serial[17];           /* token serial: hex of a hash of the auth certificate */
	jp_token tokens[2];        /* indexed by jp_key */
} jp_reader;

/* ---- sessions (session.c) ---- */
typedef enum jp_op_kind { JP_OP_NONE = 0, JP_OP_SIGN, JP_OP_VERIFY, JP_OP_DIGEST } jp_op_kind;

/* An operation's mode (PKCS#11 v2.40 §5.10-5.12): open after Init; an
 * Update or a Final length query makes it multi-part, a single-part length
 * query single-part. A call of the other mode then ends it. */
enum { JP_OP_MODE_OPEN = 0, JP_OP_MODE_SINGLE, JP_OP_MODE_MULTI };

typedef struct jp_op {
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;          /* for sign/verify */
	jp_digest_ctx *digest;         /* hash-and-sign / digest, NULL for CKM_RSA_PKCS;
	                                  session.c frees it when the session dies */
	uint8_t buf[JP_SIGN_INPUT_MAX];/* CKM_RSA_PKCS multi-part input */
	size_t buf_len;
	int mode;                      /* how the caller goes on with it: JP_OP_MODE_* */
	int always_auth;               /* the key needs CKU_CONTEXT_SPECIFIC (set by SignInit) */
	int context_login;             /* CKU_CONTEXT_SPECIFIC done for this operation
	                                  (set by login.c, cleared by sign.c when
	                                  the operation ends) */
} jp_op;

typedef struct jp_session {
	CK_SESSION_HANDLE handle;
	jp_reader *reader;
	jp_key key;
	unsigned long card_gen;        /* the card it was opened on */
	CK_FLAGS flags;                /* CKF_SERIAL_SESSION [| CKF_RW_SESSION] */
	/* find (session.c frees found) */
	int find_active;
	CK_OBJECT_HANDLE *found;
	size_t nfound, found_pos;
	/* one active operation of each kind at most */
	jp_op sign, verify, digest;
	int sign_active, verify_active, digest_active;
} jp_session;

/* ---- the module (init.c) ---- */
typedef struct jp_module {
	int initialized;
	pid_t pid;                 /* the process that called C_Initialize (fork check) */
	jp_mutex *lock;            /* the global lock */
	jp_transport *transport;
	jp_reader *readers[JP_MAX_READERS];
	size_t nreaders;
	unsigned long next_reader_no;
	jp_session **sessions;
	size_t nsessions, sessions_cap;
	CK_SESSION_HANDLE next_session;
	CK_OBJECT_HANDLE next_object;  /* for object.c, if it wants a counter */
	int finalizing;            /* C_Finalize in progress: waits return */
	unsigned waiters;          /* threads blocked in C_WaitForSlotEvent */
	jp_options opts;
} jp_module;

extern jp_module jp_mod;

/* ---- entry helpers every C_* implementation uses ---- */
/* init.c: CKR_CRYPTOKI_NOT_INITIALIZED unless initialized in this process
 * (a forked child is not). */
CK_RV jp_check_init(void);
/* init.c: jp_check_init + takes the global lock. On CKR_OK the caller must
 * call jp_leave() exactly once. */
CK_RV jp_enter(void);
void jp_leave(void);

/* slot.c: refreshes readers and card presence from the transport (no
 * APDU). update_set: new readers may be added (PKCS#11 v2.40 §5.5: the slot
 * set changes only at a C_GetSlotList length query); vanished readers are
 * always marked gone. Card changes mark the slots' events pending. */
CK_RV jp_slots_refresh_inlock(int update_set);
void jp_slots_clear_events_inlock(void);
/* slot.c: reader and key for a slot ID; CKR_SLOT_ID_INVALID. */
CK_RV jp_slot_lookup_inlock(CK_SLOT_ID id, jp_reader **reader, jp_key *key);
/* slot.c: the start of C_GetSlotInfo and C_GetTokenInfo: jp_enter, a
 * refresh (no APDU), the slot, CKR_ARGUMENTS_BAD for a NULL info (checked
 * after the slot ID), then the card probed. On CKR_OK the global lock is
 * held (the caller calls jp_leave() once); on failure it is not. */
CK_RV jp_enter_slot_info(CK_SLOT_ID id, const void *info, jp_reader **reader, jp_key *key);
CK_SLOT_ID jp_slot_id(const jp_reader *r, jp_key key);

/* token.c: makes sure the card in r was looked at: opened, identified,
 * serial and retry counters known, tokens[].present set. APDUs only the
 * first time after an insertion. CKR_OK even when there is no token
 * (check r->tokens[key].present). */
CK_RV jp_token_probe_inlock(jp_reader *r);
/* token.c: makes sure tokens[key]'s objects match its login state (the
 * certificates are read in a card I/O bracket, the objects built after). */
CK_RV jp_token_objects_ensure_inlock(jp_reader *r, jp_key key);
/* token.c: the card went away (JP_E_NO_CARD / JP_E_NO_READER): close it,
 * forget tokens, objects, login state; its sessions become dead. */
void jp_token_card_gone_inlock(jp_reader *r);
/* token.c: module logout of BOTH tokens of the card in r (the card forgot
 * both PINs: a reset, or our own power cycle). Drops login-only objects. */
void jp_token_logout_all_inlock(jp_reader *r);
/* token.c: module logout of one token of r (drops its login-only objects). */
void jp_token_logout_inlock(jp_reader *r, jp_key key);

/* io.c: the card I/O bracket (see io.c's header for the rules). */
typedef struct jp_io {
	jp_reader *r;
	jp_card *card;         /* the card to talk to: only this, between the two */
	unsigned long gen;     /* r->card_gen when entered */
	int logged_in[2];      /* the tokens' login state when entered */
	int cleared;           /* no PIN is verified on the card any more (a reset
	                          found on entering, or the power cycle done first):
	                          no private operation, no context login */
	int seal;              /* the power cycle (jp_io_unverify) ends an
	                          always-authenticate signature: the signing
	                          token stays logged in, the other is logged out */
	/* for io.c */
	int txn, opened, reset, unpower, unverified, unverify_failed;
	jp_err open_err;       /* JP_IO_OPEN: why the card could not be opened */
} jp_io;
#define JP_IO_OPEN 1u      /* connect and identify the card if there is none */
#define JP_IO_UNPOWER 2u   /* power-cycle the card first thing */
/* Global lock held. On CKR_OK: the reader is this thread's, its lock and a
 * PC/SC transaction are held, the global lock is NOT; do card I/O on
 * io->card only, then call jp_card_leave. Otherwise the global lock is
 * held and nothing else (CKR_DEVICE_REMOVED when the card or reader is
 * gone). A power cycle owed (r->unpower_pending) is done first. */
CK_RV jp_card_enter_inlock(jp_reader *r, jp_io *io, unsigned flags);
/* Ends the transaction, gives the reader back, returns with the global
 * lock held, having dealt with e: removal (card gone), a reset (logout of
 * both tokens), a card changed meanwhile (CKR_DEVICE_REMOVED); else
 * jp_rv(e). Sessions may have gone meanwhile: look them up again. */
CK_RV jp_card_leave(jp_io *io, jp_err e);
/* io.c, between the two: a power cycle (the tokens are logged out at
 * leave; a failure other than removal leaves one owed). The retry counter
 * is jp_card_pin_tries(io->card, ...) itself (0 when blocked). */
jp_err jp_io_unverify(jp_io *io);
int jp_err_is_removal(jp_err e);

/* session.c: CKR_SESSION_HANDLE_INVALID (also for sessions of a removed
 * card, which are freed here), CKR_OK with *out. */
CK_RV jp_session_lookup_inlock(CK_SESSION_HANDLE h, jp_session **out);
/* session.c: jp_enter + jp_session_lookup_inlock, the start of every C_*
 * that takes a session handle. On CKR_OK the global lock is held (the
 * caller calls jp_leave() once); on failure it is not. */
CK_RV jp_enter_session(CK_SESSION_HANDLE h, jp_session **out);
jp_token *jp_session_token(const jp_session *s);
/* session.c: frees every session of r (a gone reader: they are dead). */
void jp_sessions_drop_reader_inlock(const jp_reader *r);
/* session.c: ends every active operation of s (frees digests, find list). */
void jp_session_ops_clear(jp_session *s);

/* login.c: logs out (module state, both tokens) and power-cycles the card
 * so it is provably unverified (doc/card.md §6). */
CK_RV jp_logout_card_inlock(jp_reader *r);
/* token.c: leaves the card in r provably unverified (a power cycle): through
 * the module's connection, else through a fresh one (a stale handle, a
 * refused transaction). If neither reaches a card that is still there, the
 * reader is marked (unpower_pending) so that the next successful contact
 * power-cycles it before anything else; polling calls (probe) retry. CKR_OK
 * when the card was power-cycled or is gone. */
CK_RV jp_token_unpower_inlock(jp_reader *r);
/* token.c: builds tokens[key]'s objects from certificates read in a card
 * I/O bracket (sets objects_built). */
typedef struct jp_token_certs jp_token_certs;
void jp_token_objects_build_inlock(jp_reader *r, jp_key key, const jp_token_certs *c);

/* ---- p11-ops' side ---- */
/* object.c: the certificates a token's objects are built from, copied
 * during card I/O (the holder's may be personal data: wiped when freed). */
struct jp_token_certs {
	jp_buf ca, holder;          /* empty when the card has none */
	int ca_read, holder_read;   /* asked for */
};
/* Card I/O (reader owned, no global lock): reads the CA certificate and,
 * with holder, the holder's (both cached by the card layer). */
jp_err jp_objects_read_certs(jp_card *card, jp_key key, int holder, jp_token_certs *c);
void jp_token_certs_free(jp_token_certs *c);
/* object.c: (re)builds tokens[key]'s objects for its current login state
 * (t->logged_in decides whether the signing certificate and what derives
 * from it are included) from c; no I/O, global lock held.
 * JP_E_SECURITY_STATUS when it needs the holder certificate and c lacks it
 * (the login came after the read: built next time). */
jp_err jp_objects_build_inlock(jp_reader *r, jp_key key, const jp_token_certs *c);
/* (p11-ops) The builder is idempotent and follows t->logged_in by itself:
 * objects that stay (the certificates, the auth public key, the CA) KEEP
 * their handles, login-only ones are added or dropped, and a rebuild after
 * logout sends no APDU. p11-core: please do NOT call jp_objects_free before
 * it at login/logout (only when the card is gone), or applications holding
 * a certificate handle across C_Login get CKR_OBJECT_HANDLE_INVALID. */
/* object.c: at logout, frees (wiping) at once the objects that exist only
 * while logged in (the signing certificate, its public key, the private
 * key's modulus); the others keep their handles. No I/O: it works whatever
 * the card's state and the session count. */
void jp_objects_logout(jp_token *t, jp_key key);
/* object.c: frees t->objects; idempotent. */
void jp_objects_free(jp_token *t);
jp_object *jp_object_lookup_inlock(jp_session *s, CK_OBJECT_HANDLE h);
/* attr.c */
const jp_attr *jp_attr_find(const jp_object *o, CK_ATTRIBUTE_TYPE type);
CK_RV jp_attr_get(const jp_object *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
int jp_attr_match(const jp_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count);
/* ---- added by p11-ops (additive; p11-core: move them if you like) ---- */
/* attr.c: the attribute is a CK_BBOOL set to CK_TRUE. */
int jp_attr_true(const jp_object *o, CK_ATTRIBUTE_TYPE type);
/* object.c: an object of t by handle, whatever its visibility (sign.c tells
 * "not logged in" from "no such key"). */
jp_object *jp_object_find_inlock(jp_token *t, CK_OBJECT_HANDLE h);
/* mechanism.c: the one mechanism table. */
typedef struct jp_mech {
	CK_MECHANISM_TYPE type;
	CK_MECHANISM_INFO info;
	int hashed;                /* the host hashes first (hash-and-sign, digests) */
	jp_hash hash;
} jp_mech;
/* The mechanism if it exists and has every flag of need (0: any). */
const jp_mech *jp_mech_find(CK_MECHANISM_TYPE type, CK_FLAGS need);
/* A caller's mechanism (not NULL) for an operation that needs the flags:
 * CKR_MECHANISM_INVALID / CKR_MECHANISM_PARAM_INVALID. */
CK_RV jp_mech_check(const CK_MECHANISM *m, CK_FLAGS need, const jp_mech **out);
/* op.c: ends an operation: frees its digest, wipes it all (buffer,
 * always_auth, context_login). find.c: ends a find, frees the snapshot.
 * session.c may use both in jp_session_ops_clear. */
void jp_op_clear(jp_op *op);
void jp_find_clear(jp_session *s);
/* op.c: feeds input to an operation (hashed mechanisms hash it; CKM_RSA_PKCS
 * collects at most 245 bytes: CKR_DATA_LEN_RANGE). sign.c, used by
 * verify.c: produces the bytes the card signs (the input, or the
 * DigestInfo of the hash; the digest is consumed). */
CK_RV jp_op_update(jp_op *op, const uint8_t *part, size_t len);
CK_RV jp_op_message(jp_op *op, uint8_t out[JP_SIGN_INPUT_MAX], size_t *out_len);
/* op.c: the life of an operation of kind k (JP_OP_SIGN, _VERIFY, _DIGEST),
 * what sign.c, verify.c and digest.c share (PKCS#11 v2.40 §5.10-5.12).
 * Ends operation k of s: jp_op_clear and no longer active. */
void jp_op_end(jp_session *s, jp_op_kind k);
/* Init's common checks: a mechanism given (CKR_ARGUMENTS_BAD), the session,
 * no operation of kind k active (CKR_OPERATION_ACTIVE), a mechanism that
 * can do k (jp_mech_check). Then the kind checks its key and calls
 * jp_op_start: a fresh operation (a hash context for hashed mechanisms)
 * with key (0 for digests), active. */
CK_RV jp_op_init_check_inlock(CK_SESSION_HANDLE hs, jp_op_kind k, const CK_MECHANISM *mech,
                              jp_session **s, const jp_mech **m);
CK_RV jp_op_start(jp_session *s, jp_op_kind k, const jp_mech *m, CK_OBJECT_HANDLE key);
/* §5.2's output rules for an output of need bytes: NULL out → *out_len =
 * need, CKR_OK; *out_len < need → need, CKR_BUFFER_TOO_SMALL. Returns 1
 * when the call is answered so (*rv set; the operation stays), 0 when out
 * has room. */
int jp_op_length_only(const CK_BYTE *out, CK_ULONG_PTR out_len, CK_ULONG need, CK_RV *rv);
/* A kind's end of the operation, called with the global lock held, an
 * active operation, out_len not NULL and data usable: single (C_Sign,
 * C_Verify, C_Digest) with the call's data, or Final (data NULL, len 0).
 * It ends the operation itself (jp_op_end), unless jp_op_length_only
 * answered. Verification passes the signature as out and its length by
 * address. */
typedef CK_RV (*jp_op_finish_fn)(jp_session *s, const uint8_t *data, CK_ULONG len, int single,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len);
/* The whole C_xxxUpdate, C_xxx (single-part) and C_xxxFinal calls, around
 * the kind's finish: jp_enter/jp_leave, the active operation, the
 * argument checks, and a call of the wrong mode (a single-part call after
 * an Update, a Final or Update after a single-part length query) refused
 * with CKR_OPERATION_ACTIVE, which ends the operation. */
CK_RV jp_op_update_call(CK_SESSION_HANDLE hs, jp_op_kind k, const uint8_t *part, CK_ULONG len);
CK_RV jp_op_single_call(CK_SESSION_HANDLE hs, jp_op_kind k, const uint8_t *data, CK_ULONG len,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len, jp_op_finish_fn finish);
CK_RV jp_op_final_call(CK_SESSION_HANDLE hs, jp_op_kind k, CK_BYTE_PTR out, CK_ULONG_PTR out_len,
                       jp_op_finish_fn finish);

/* ---- implementations behind the entries (entry.c) ----
 * Each does its own jp_enter/jp_leave. */
/* init.c */
CK_RV jp_p11_initialize(CK_VOID_PTR args);
CK_RV jp_p11_finalize(CK_VOID_PTR reserved);
/* exit.c: registers (once) the exit-time power cycle of the cards this
 * process left verified; called by C_Initialize. */
void jp_exit_hook_install(void);
/* slot.c */
CK_RV jp_p11_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count);
CK_RV jp_p11_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info);
CK_RV jp_p11_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved);
/* token.c */
CK_RV jp_p11_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info);
/* session.c */
CK_RV jp_p11_open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE_PTR out);
CK_RV jp_p11_close_session(CK_SESSION_HANDLE h);
CK_RV jp_p11_close_all_sessions(CK_SLOT_ID id);
CK_RV jp_p11_get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info);
/* login.c */
CK_RV jp_p11_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len);
CK_RV jp_p11_logout(CK_SESSION_HANDLE h);
CK_RV jp_p11_set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                     CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len);
/* mechanism.c (p11-ops) */
CK_RV jp_p11_get_mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count);
CK_RV jp_p11_get_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info);
/* attr.c (p11-ops) */
CK_RV jp_p11_get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
/* find.c (p11-ops) */
CK_RV jp_p11_find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
CK_RV jp_p11_find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                          CK_ULONG_PTR count);
CK_RV jp_p11_find_objects_final(CK_SESSION_HANDLE h);
/* digest.c (p11-ops) */
CK_RV jp_p11_digest_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech);
CK_RV jp_p11_digest(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                    CK_BYTE_PTR out, CK_ULONG_PTR out_len);
CK_RV jp_p11_digest_update(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len);
CK_RV jp_p11_digest_final(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len);
/* sign.c (p11-ops) */
CK_RV jp_p11_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key);
CK_RV jp_p11_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                  CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);
CK_RV jp_p11_sign_update(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len);
CK_RV jp_p11_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);
/* verify.c (p11-ops) */
CK_RV jp_p11_verify_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key);
CK_RV jp_p11_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                    CK_BYTE_PTR sig, CK_ULONG sig_len);
CK_RV jp_p11_verify_update(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len);
CK_RV jp_p11_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len);
/* attr.c (p11-ops): objects are read-only (CKR_ACTION_PROHIBITED), the token
 * write-protected (CKR_TOKEN_WRITE_PROTECTED for C_CreateObject). */
CK_RV jp_p11_set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
CK_RV jp_p11_get_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size);
CK_RV jp_p11_create_object(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                           CK_OBJECT_HANDLE_PTR out);
CK_RV jp_p11_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                         CK_ULONG count, CK_OBJECT_HANDLE_PTR out);
CK_RV jp_p11_destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o);

#endif
