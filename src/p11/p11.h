/* The Cryptoki front's internal model. This is the only layer where CK_*
 * types appear. The declarations below come by concept: the module and its
 * locks; readers and slots; tokens and card I/O; objects and attributes;
 * operations; sessions and login. Files (one job each):
 *   module.c     the function lists (v2.40, v3.0) and interfaces; C_GetFunctionList,
 *                C_GetInterfaceList/GetInterface, C_GetInfo; the exported C_*
 *   fn-table.h   every function in list order (X-macros)
 *   entry.h/.c   the entries the lists hold (jp_e_*): trace, then the jp_p11_*
 *                below; entry30.c: the v3.0 ones (C_LoginUser, C_SessionCancel,
 *                message-based functions)
 *   init.c       C_Initialize / C_Finalize: init args, locking choice, fork
 *   exit.c       the process ends without C_Finalize: no card left verified
 *   lock.c       mutexes (the application's callbacks or pthreads), entering
 *                and leaving the global lock (jp_enter, jp_leave)
 *   rv.c         the ONE jp_err → CK_RV map
 *   slot.c       readers → two slots each; C_GetSlotList/Info, C_WaitForSlotEvent
 *   token.c      opening the card for a reader, token info and flags, serial,
 *                a token's objects, logout of a card (and its power cycle)
 *   io.c         a reader held for a call (jp_reader_take/give) and card I/O
 *                inside it (jp_io_begin/end): the reader's lock, not the global one
 *   session.c    the session table; C_OpenSession/CloseSession/CloseAllSessions/GetSessionInfo
 *   login.c      C_Login/C_Logout/C_SetPIN (InitPIN/InitToken unsupported)
 *   object.c     building a token's objects from its certificates; C_CreateObject,
 *                C_CopyObject, C_DestroyObject, C_GetObjectSize
 *   attr.c       C_GetAttributeValue/SetAttributeValue, attribute matching for find
 *   find.c       C_FindObjectsInit/FindObjects/FindObjectsFinal
 *   mechanism.c  the mechanism table; C_GetMechanismList/Info
 *   sign.c       C_SignInit/Sign/SignUpdate/SignFinal (card + host check)
 *   verify.c     C_VerifyInit/Verify/VerifyUpdate/VerifyFinal (host)
 *   digest.c     C_DigestInit/Digest/DigestUpdate/DigestFinal (host)
 *   op.c         what those three share: the operation's life (Init checks,
 *                Update, single-part vs Final, §5.2 output lengths, the message)
 *   unsupported.c what the card cannot do: the usual checks, then the refusal
 *   options.c    module options (config files, [program] sections, pReserved)
 *
 * Locking (doc/design.md §3): a call on a reader holds that reader's lock
 * for its whole length (jp_enter_session, jp_reader_take .. jp_reader_give)
 * and the global lock for the tables except around card I/O (jp_io_begin ..
 * jp_io_end), so a slow card blocks only the callers of that reader. The
 * card object, token state and objects, and the sessions' operations of a
 * reader change only under its lock; the fields calls without the reader
 * read (listing, presence, login, retry count, session counts) change with
 * the global lock too. Order: reader → global; nobody waits for a reader's
 * lock while holding the global one. C_WaitForSlotEvent lets go of the
 * global lock while it blocks. *_inlock: the global lock held (never let
 * go of); *_held: the reader held (the global lock let go of for card I/O
 * only).
 *
 * Object lifetime: a vanished reader is only marked gone; its entry is
 * freed (and reused) only when a slot-set update (C_GetSlotList length
 * query, C_WaitForSlotEvent) needs room, and never while a thread has it
 * pinned (r->pins: held or waited for), so jp_reader pointers stay valid
 * inside a call. Sessions of a removed card are marked dead by the card
 * generation and freed when next looked up while nobody holds their reader
 * (CKR_SESSION_HANDLE_INVALID). A session pointer stays valid while its
 * reader is held. */
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

typedef struct jp_reader jp_reader;
typedef struct jp_token jp_token;
typedef struct jp_session jp_session;
typedef struct jp_object jp_object;
typedef struct jp_mech jp_mech;
typedef struct jp_token_certs jp_token_certs;

/* ======== the module and its locks ======== */

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
/* rv.c: what a read made ahead of need makes of the calling call:
 * CKR_DEVICE_REMOVED stays, anything else is CKR_OK (retried at the use). */
CK_RV jp_rv_read_ahead(CK_RV rv);

/* ---- options (options.c) ---- */
typedef struct jp_options {
	int always_authenticate;   /* CKA_ALWAYS_AUTHENTICATE on the signing key (default 1) */
	int pss;                   /* advertise and use RSA-PSS (P1 04, doc/card.md §11);
	                              default 0 until a real card has confirmed it */
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

/* Slot IDs start here, so callers that hard-code slot 0 are caught. Slot id
 * = JP_SLOT_BASE + reader->no * 2 + key; reader numbers are never reused
 * within a process, so a slot ID is stable for its reader's life. */
#define JP_SLOT_BASE 0x4a50UL  /* "JP" */
/* Readers in the table at once. A gone reader keeps its entry (its slot IDs
 * invalid, its sessions dead) until the table is full; then the entries of
 * gone readers are reused (slot.c), never their reader numbers. */
#define JP_MAX_READERS 64

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

/* module.c: s into a blank-padded, unterminated Cryptoki string field
 * (labels, descriptions, the serial number). */
void jp_pad(CK_UTF8CHAR *dst, size_t dst_len, const char *s);

/* lock.c: CKR_CRYPTOKI_NOT_INITIALIZED unless initialized in this process
 * (a forked child is not). */
CK_RV jp_check_init(void);
/* lock.c: a call missing an argument it cannot do without: the module not
 * being initialized is said first, CKR_ARGUMENTS_BAD otherwise. */
CK_RV jp_refuse_args(void);
/* lock.c: jp_check_init + takes the global lock. On CKR_OK the caller must
 * call jp_leave() exactly once. */
CK_RV jp_enter(void);
void jp_leave(void);

/* io.c: holding a reader for a call. jp_reader_take: global lock held on
 * entry and on return; it lets go of it while it waits for r's lock (order
 * reader → global), pins r meanwhile, and brings r's card state up to date
 * (jp_token_sync_held). jp_reader_give: both held on entry, the global one
 * on return (r's lock is let go after the global one). jp_leave_reader:
 * jp_reader_give + jp_leave, the end of a call that held a reader.
 * Functions named *_held expect r taken this way; they may let go of the
 * global lock for card I/O, never of r's. */
void jp_reader_take(jp_reader *r);
void jp_reader_give(jp_reader *r);
void jp_leave_reader(jp_reader *r);

/* init.c */
CK_RV jp_p11_initialize(CK_VOID_PTR args);
CK_RV jp_p11_finalize(CK_VOID_PTR reserved);
/* exit.c: registers (once) the exit-time power cycle of the cards this
 * process left verified; called by C_Initialize. */
void jp_exit_hook_install(void);

/* ======== readers and slots ======== */

struct jp_token {
	int present;               /* a token is in this slot (once probed) */
	int probed;                /* present was asked of the card: only when a
	                              caller first asks about this token (token.c) */
	int logged_in;             /* this process presented the PIN (module state,
	                              never inferred from the card: doc/card.md §6) */
	int tries;                 /* from the last VERIFY's answer (login.c);
	                              -1 unknown: never asked only for the flags */
	int objects_built;         /* objects reflect the current login state */
	int holder_private;        /* the holder's certificate and what derives from it
	                              exist only after login: the signing token; the
	                              authentication one on a smartphone (doc/card.md §11) */
	int smartphone;            /* a smartphone's token (label "Smartphone") */
	jp_object **objects;       /* owned (object.c) */
	size_t nobjects;
	unsigned long sessions;    /* open sessions on this token */
	unsigned long rw_sessions;
};


struct jp_reader {
	char name[JP_READER_NAME_MAX];
	unsigned long no;          /* stable number within the process */
	int gone;                  /* the reader disappeared: no slots any more */
	int present;               /* a card is in it (last listing) */
	unsigned long events;      /* transport's event counter at last listing */
	int event_pending[2];      /* for C_WaitForSlotEvent, per slot */
	jp_mutex *lock;            /* held by a call for its whole length (io.c;
	                              order: reader → global) */
	unsigned pins;             /* threads holding it or waiting for it: not freed */
	unsigned long state_gen;   /* the card_gen the card state below belongs to */
	jp_card *card;             /* open card, NULL until needed (reader lock) */
	int probed;                /* the card was looked at (tokens[] are valid) */
	jp_err card_err;           /* why there is no usable card (JP_E_NOT_JPKI, ...) */
	int unpower_pending;       /* a power cycle we owe the card could not be done
	                              (unreachable): the next successful contact does
	                              it before anything else (io.c) */
	unsigned long card_gen;    /* increases when the card goes away (global lock);
	                              sessions keep it */
	char serial[17];           /* token serial: hex of a hash of the auth certificate */
	int no_pss;                /* the card answered 6A86 to RSA-PSS (global lock) */
	jp_token tokens[2];        /* indexed by jp_key */
};

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
/* slot.c: the ONE walk over the shown slots, in list order: every place
 * that honours the "tokens" option goes through it. Start with *pos = 0;
 * each call gives the next (reader, key) whose token the option shows
 * (readers gone too with with_gone); 0 at the end. */
int jp_slot_next_inlock(size_t *pos, int with_gone, jp_reader **reader, jp_key *key);

/* slot.c */
CK_RV jp_p11_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count);
CK_RV jp_p11_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info);
CK_RV jp_p11_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved);

/* ======== tokens and card I/O ======== */

/* io.c: card I/O inside a call that holds r (see io.c's header). */
typedef struct jp_io {
	jp_reader *r;
	jp_card *card;         /* the card to talk to: only this, between the two */
	unsigned long gen;     /* r->card_gen when begun */
	int cleared;           /* no PIN is verified on the card any more (a reset
	                          found on beginning, or the power cycle done first):
	                          no private operation, no context login */
	int logout[2];         /* tokens jp_io_end logs out: the card forgot their PIN */
	/* for io.c */
	int logged_in, txn, reset, unpower, unverified, unverify_failed;
	jp_err open_err;       /* JP_IO_OPEN: why the card could not be opened */
} jp_io;
#define JP_IO_OPEN 1u      /* connect and identify the card if there is none */
#define JP_IO_UNPOWER 2u   /* power-cycle the card first thing */
/* r held. On CKR_OK the global lock is let go: do card I/O on io->card
 * only, then call jp_io_end. Otherwise the global lock is still held
 * (CKR_DEVICE_REMOVED when the card or reader is gone). A power cycle owed
 * (r->unpower_pending) is done first. */
CK_RV jp_io_begin(jp_reader *r, jp_io *io, unsigned flags);
/* Ends the transaction, takes the global lock again and deals with e:
 * removal (card gone), a reset (logout of both tokens), a card changed
 * meanwhile (CKR_DEVICE_REMOVED); else jp_rv(e). */
CK_RV jp_io_end(jp_io *io, jp_err e);
/* Between the two: a power cycle. The tokens named by logout are logged
 * out at jp_io_end: both for a logout or a reset; the authentication one
 * only for the power cycle that ends an always-authenticate signature
 * (sign.c: the signing token asks for its password before each signature
 * anyway). A failure other than removal logs out both and leaves one
 * owed. */
#define JP_IO_LOGOUT_AUTH (1u << JP_KEY_AUTH)
#define JP_IO_LOGOUT_SIGN (1u << JP_KEY_SIGN)
jp_err jp_io_unverify(jp_io *io, unsigned logout);
int jp_err_is_removal(jp_err e);
/* io.c: leaves the card in r provably unverified (a power cycle): through
 * the module's connection, else through a fresh one (a stale handle, a
 * refused transaction). If neither reaches a card that is still there,
 * one is owed (unpower_pending): the next successful contact power-cycles
 * it before anything else; polling calls (probe) retry. CKR_OK when the
 * card was power-cycled or is gone. */
CK_RV jp_token_unpower_held(jp_reader *r);

/* token.c: makes sure the card in r was looked at for the token of key:
 * the card opened, identified and its serial known (once per insertion),
 * then that token's presence and retry counter (once, and again while the
 * counter is unknown). The other token costs nothing until a caller asks
 * about it. CKR_OK even when there is no token (check tokens[key].present).
 * jp_token_probe: global lock held; takes r for it only when there is
 * something to do. */
CK_RV jp_token_probe_held(jp_reader *r, jp_key key);
CK_RV jp_token_probe(jp_reader *r, jp_key key);
/* token.c: whether tokens[key] is there, as far as the global lock can
 * tell (the card state of an older card generation is no token). */
int jp_token_present_inlock(const jp_reader *r, jp_key key);
/* token.c: makes sure tokens[key]'s objects match its login state (the
 * certificates read by card I/O, the objects built after). */
CK_RV jp_token_objects_ensure_held(jp_reader *r, jp_key key);
/* token.c: the card went away (JP_E_NO_CARD / JP_E_NO_READER, or the
 * listing says so): its sessions become dead, its state void. Global lock
 * held; the card state is dropped at once when nobody holds r, else by
 * its holder (jp_token_sync_held). */
void jp_reader_card_gone_inlock(jp_reader *r);
/* token.c: r's card state follows the card generation: after a removal,
 * the card closed, tokens, objects and login state forgotten. */
void jp_token_sync_held(jp_reader *r);
/* token.c: module logout of BOTH tokens of the card in r (the card forgot
 * both PINs: a reset, or our own power cycle). Drops login-only objects
 * and the card layer's copy of the signing certificate. */
void jp_token_logout_all_held(jp_reader *r);
/* token.c: module logout of one token of r (drops its login-only objects). */
void jp_token_logout_held(jp_reader *r, jp_key key);
/* token.c: logs out (module state, both tokens) and power-cycles the card
 * so it is provably unverified (doc/card.md §6): C_Logout, the last
 * session closed, C_Finalize, the exit without it. */
CK_RV jp_logout_card_held(jp_reader *r);

/* object.c: the certificates a token's objects are built from, copied
 * during card I/O (the holder's may be personal data: wiped when freed). */
struct jp_token_certs {
	jp_buf holder;              /* empty when the card has none */
	int holder_read;            /* asked for */
};
/* Card I/O (the reader held, jp_io_begin .. jp_io_end): reads the holder's
 * certificate (cached by the card layer). The CA's is read only when a
 * caller needs its content (jp_object_content_held). */
jp_err jp_objects_read_certs(jp_card *card, jp_key key, jp_token_certs *c);
void jp_token_certs_free(jp_token_certs *c);
/* token.c */
CK_RV jp_p11_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info);

/* ======== objects and attributes ======== */

typedef struct jp_attr {
	CK_ATTRIBUTE_TYPE type;
	void *value;           /* owned */
	CK_ULONG len;
} jp_attr;


/* What an object is to its token; at most one of each per token. */
typedef enum jp_role {
	JP_ROLE_CERT = 0,   /* the holder's certificate */
	JP_ROLE_CA,         /* the issuing CA's certificate */
	JP_ROLE_PUB,        /* the holder's public key */
	JP_ROLE_PRIV,       /* the private key on the card */
	JP_ROLE_PROFILE,    /* CKO_PROFILE: public certificates (authentication token) */
	JP_ROLE__COUNT
} jp_role;

struct jp_object {
	CK_OBJECT_HANDLE handle;
	jp_role role;
	CK_OBJECT_CLASS cls;
	int is_private;        /* CKA_PRIVATE: visible only when logged in */
	int can_sign;          /* a private key on the card */
	jp_attr *attrs;
	size_t nattrs;
	jp_key key;            /* the card key it belongs to */
	int content_due;       /* a CA certificate whose content (value, subject, ...)
	                          is not read yet: jp_object_content_held */
	/* The RSA public key it carries (a key's own, a certificate's
	 * subject's), parsed once when the object is built, so verification
	 * costs no parsing (verify.c). Owned, wiped with the object. */
	jp_buf rsa_n, rsa_e;
};

/* object.c: (re)builds tokens[key]'s objects for its current login state
 * (t->logged_in decides whether the signing certificate and what derives
 * from it are included) from c; no I/O, global lock held.
 * JP_E_SECURITY_STATUS when it needs the holder certificate and c lacks it
 * (the login came after the read: built next time). */
jp_err jp_objects_build_inlock(jp_reader *r, jp_key key, const jp_token_certs *c);
/* The builder is idempotent and follows t->logged_in by itself: objects
 * that stay (the certificates, the auth public key, the CA) KEEP their
 * handles, login-only ones are added or dropped, and a rebuild after logout
 * sends no APDU. So jp_objects_free is for a card that is gone only, never
 * for login or logout: applications holding a certificate handle across
 * C_Login would get CKR_OBJECT_HANDLE_INVALID. */
/* object.c: at logout, frees (wiping) at once the objects that exist only
 * while logged in (the signing certificate, its public key, the private
 * key's modulus); the others keep their handles. No I/O: it works whatever
 * the card's state and the session count. */
void jp_objects_logout(jp_token *t);
/* object.c: the one place a CA object's content is read (r held, card
 * I/O, once): every call that needs an attribute it lacks comes here
 * first. CKR_OK at once when there is nothing to read. */
CK_RV jp_object_content_held(jp_reader *r, jp_object *o);
/* object.c: frees t->objects; idempotent. */
void jp_objects_free(jp_token *t);
/* object.c: an object session s may see (private ones only when logged
 * in), NULL if none. */
jp_object *jp_object_lookup_inlock(jp_session *s, CK_OBJECT_HANDLE h);
/* object.c: the start of a call on an object visible to session hs, once
 * the caller's pointers are known usable (args_ok: else CKR_ARGUMENTS_BAD).
 * On CKR_OK the session's reader and the global lock are held
 * (jp_enter_session): the caller ends with jp_leave_reader. */
CK_RV jp_object_enter(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, int args_ok, jp_session **s,
                      jp_object **o);
/* object.c: a call every object refuses (read-only: CKA_MODIFIABLE,
 * CKA_COPYABLE and CKA_DESTROYABLE false): jp_object_enter's checks, then
 * CKR_ACTION_PROHIBITED. */
CK_RV jp_object_prohibited(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, int args_ok);
/* attr.c */
const jp_attr *jp_attr_find(const jp_object *o, CK_ATTRIBUTE_TYPE type);
CK_RV jp_attr_get(const jp_object *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
/* 1 match, 0 no match, -1 unknown until o's content is read (o lacks an
 * attribute tmpl names and its content is due: jp_object_content_held). */
int jp_attr_match(const jp_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count);
/* attr.c: the attribute is a CK_BBOOL set to CK_TRUE. */
int jp_attr_true(const jp_object *o, CK_ATTRIBUTE_TYPE type);
/* object.c: an object of t by handle, whatever its visibility (sign.c tells
 * "not logged in" from "no such key"). */
jp_object *jp_object_find_inlock(jp_token *t, CK_OBJECT_HANDLE h);
/* attr.c */
CK_RV jp_p11_get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
/* attr.c, object.c: objects are read-only (CKR_ACTION_PROHIBITED), the
 * token write-protected (CKR_TOKEN_WRITE_PROTECTED for C_CreateObject). */
CK_RV jp_p11_set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
CK_RV jp_p11_get_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size);
CK_RV jp_p11_create_object(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                           CK_OBJECT_HANDLE_PTR out);
CK_RV jp_p11_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                         CK_ULONG count, CK_OBJECT_HANDLE_PTR out);
CK_RV jp_p11_destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o);

/* find.c */
CK_RV jp_p11_find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
CK_RV jp_p11_find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                          CK_ULONG_PTR count);
CK_RV jp_p11_find_objects_final(CK_SESSION_HANDLE h);

/* ======== operations ======== */

/* mechanism.c: the one mechanism table. */
struct jp_mech {
	CK_MECHANISM_TYPE type;
	CK_MECHANISM_INFO info;
	int hashed;                /* the host hashes first (hash-and-sign, digests) */
	jp_hash hash;
	int pss;                   /* RSA-PSS (SHA-256, MGF1-SHA-256, salt 32): the
	                              card's P1 04; only with the option pss=yes */
};
/* Whether the PSS mechanisms are offered for r's card: the option, and
 * the card not found without them (r->no_pss). Global lock held. */
int jp_mech_pss_offered(const jp_reader *r);
/* The mechanism if it exists and has every flag of need (0: any). */
const jp_mech *jp_mech_find(CK_MECHANISM_TYPE type, CK_FLAGS need);
/* A caller's mechanism (not NULL) for an operation that needs the flags:
 * CKR_MECHANISM_INVALID / CKR_MECHANISM_PARAM_INVALID. */
CK_RV jp_mech_check(const CK_MECHANISM *m, CK_FLAGS need, const jp_mech **out);
/* The kinds of operation, indexing a session's ops[]. */
typedef enum jp_op_kind { JP_OP_SIGN = 0, JP_OP_VERIFY, JP_OP_DIGEST, JP_OP__KINDS } jp_op_kind;

/* An operation's mode (PKCS#11 v2.40 §5.10-5.12): open after Init; an
 * Update or a Final length query makes it multi-part, a single-part length
 * query single-part. A call of the other mode then ends it. */
enum { JP_OP_MODE_OPEN = 0, JP_OP_MODE_SINGLE, JP_OP_MODE_MULTI };

typedef struct jp_op {
	int active;                    /* between Init and the end of the operation */
	const jp_mech *mech;           /* its entry in the mechanism table (mechanism.c) */
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

/* op.c: ends an operation: frees its digest, wipes it all (buffer,
 * always_auth, context_login). find.c: ends a find, frees the snapshot.
 * session.c may use both in jp_session_ops_clear. */
void jp_op_clear(jp_op *op);
void jp_find_clear(jp_session *s);
/* op.c: feeds input to an operation (hashed mechanisms hash it; CKM_RSA_PKCS
 * collects at most 245 bytes: CKR_DATA_LEN_RANGE). jp_op_message: the
 * bytes the card signs, or verification compares (the input, or the
 * DigestInfo of the hash; the digest is consumed). */
CK_RV jp_op_update(jp_op *op, const uint8_t *part, size_t len);
CK_RV jp_op_message(jp_op *op, uint8_t out[JP_SIGN_INPUT_MAX], size_t *out_len);
/* op.c: the life of an operation of kind k (JP_OP_SIGN, _VERIFY, _DIGEST),
 * what sign.c, verify.c and digest.c share (PKCS#11 v2.40 §5.10-5.12).
 * Ends operation k of s: jp_op_clear and no longer active. */
void jp_op_end(jp_session *s, jp_op_kind k);
/* Init's start: a mechanism given (CKR_ARGUMENTS_BAD), the session entered
 * (jp_enter_session), no operation of kind k active (CKR_OPERATION_ACTIVE),
 * a mechanism that can do k (jp_mech_check); on CKR_OK the reader is held
 * (jp_leave_reader ends the call). Then the kind checks its key and calls
 * jp_op_start: a fresh operation (a hash context for hashed mechanisms)
 * with key (0 for digests), active. */
CK_RV jp_op_init_enter(CK_SESSION_HANDLE hs, jp_op_kind k, const CK_MECHANISM *mech,
                       jp_session **s, const jp_mech **m);
CK_RV jp_op_start(jp_session *s, jp_op_kind k, const jp_mech *m, CK_OBJECT_HANDLE key);
/* §5.2's output rules for an output of need bytes: NULL out → *out_len =
 * need, CKR_OK; *out_len < need → need, CKR_BUFFER_TOO_SMALL. Returns 1
 * when the call is answered so (*rv set; the operation stays), 0 when out
 * has room. */
int jp_op_length_only(const CK_BYTE *out, CK_ULONG_PTR out_len, CK_ULONG need, CK_RV *rv);
/* A kind's end of the operation, called with the reader and the global
 * lock held (sign.c lets go of the global one for card I/O), an active
 * operation, out_len not NULL and data usable: single (C_Sign,
 * C_Verify, C_Digest) with the call's data, or Final (data NULL, len 0).
 * It ends the operation itself (jp_op_end), unless jp_op_length_only
 * answered. Verification passes the signature as out and its length by
 * address. */
typedef CK_RV (*jp_op_finish_fn)(jp_session *s, const uint8_t *data, CK_ULONG len, int single,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len);
/* The whole C_xxxUpdate, C_xxx (single-part) and C_xxxFinal calls, around
 * the kind's finish: jp_enter_session/jp_leave_reader, the active operation, the
 * argument checks, and a call of the wrong mode (a single-part call after
 * an Update, a Final or Update after a single-part length query) refused
 * with CKR_OPERATION_ACTIVE, which ends the operation. */
CK_RV jp_op_update_call(CK_SESSION_HANDLE hs, jp_op_kind k, const uint8_t *part, CK_ULONG len);
CK_RV jp_op_single_call(CK_SESSION_HANDLE hs, jp_op_kind k, const uint8_t *data, CK_ULONG len,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len, jp_op_finish_fn finish);
CK_RV jp_op_final_call(CK_SESSION_HANDLE hs, jp_op_kind k, CK_BYTE_PTR out, CK_ULONG_PTR out_len,
                       jp_op_finish_fn finish);

/* mechanism.c */
CK_RV jp_p11_get_mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count);
CK_RV jp_p11_get_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info);
/* digest.c */
CK_RV jp_p11_digest_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech);
CK_RV jp_p11_digest(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                    CK_BYTE_PTR out, CK_ULONG_PTR out_len);
CK_RV jp_p11_digest_update(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len);
CK_RV jp_p11_digest_final(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len);
/* sign.c */
CK_RV jp_p11_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key);
CK_RV jp_p11_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                  CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);
CK_RV jp_p11_sign_update(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len);
CK_RV jp_p11_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);
/* verify.c */
CK_RV jp_p11_verify_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key);
CK_RV jp_p11_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                    CK_BYTE_PTR sig, CK_ULONG sig_len);
CK_RV jp_p11_verify_update(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len);
CK_RV jp_p11_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len);

/* ======== sessions and login ======== */

struct jp_session {
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
	jp_op ops[JP_OP__KINDS];
};


/* session.c: CKR_SESSION_HANDLE_INVALID (also for sessions of a removed
 * card, which are freed here), CKR_OK with *out. */
CK_RV jp_session_lookup_inlock(CK_SESSION_HANDLE h, jp_session **out);
/* session.c: the start of every C_* that works on a session: jp_enter,
 * the session looked up, its reader taken (jp_reader_take), the session
 * checked once more (its holder may have closed it meanwhile). On CKR_OK
 * the reader and the global lock are held: the caller ends with
 * jp_leave_reader(s->reader) (saved first if the call may free s); on
 * failure nothing is held. Calls that only read what is published under
 * the global lock (C_GetSessionInfo) use jp_enter +
 * jp_session_lookup_inlock instead, so a slow card never holds them up. */
CK_RV jp_enter_session(CK_SESSION_HANDLE h, jp_session **out);
/* jp_enter_session when args_ok, else jp_refuse_args (nothing held). */
CK_RV jp_enter_session_args(CK_SESSION_HANDLE h, int args_ok, jp_session **out);
/* The token a session is open on. */
static inline jp_token *jp_session_token(const jp_session *s)
{
	return &s->reader->tokens[s->key];
}
/* session.c: frees every session of r (a gone reader: they are dead). */
void jp_sessions_drop_reader_inlock(const jp_reader *r);
/* session.c: ends every active operation of s (frees digests, find list). */
void jp_session_ops_clear(jp_session *s);

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

#endif
