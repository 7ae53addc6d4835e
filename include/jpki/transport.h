/* The transport: a small ops table between the card layer and PC/SC.
 * src/transport/pcsc.c is the one real backend; tests/emu/emu-transport.c
 * plugs the card emulator in for in-process tests. Which backend a build
 * uses is a link-time choice: jp_transport_default_ops() is defined by
 * exactly one of them. */
#ifndef JPKI_TRANSPORT_H
#define JPKI_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "jpki/error.h"

#define JP_ATR_MAX 33
#define JP_READER_NAME_MAX 128
/* Largest command we build: extended case 4 with a 245-byte body, or a
 * short VERIFY; largest response: an extended READ BINARY of 64 KiB + SW. */
#define JP_CMD_MAX 512
#define JP_RSP_MAX (65536 + 2)

typedef struct jp_transport_ops jp_transport_ops;

/* A backend context. Backends embed this as their first member. */
typedef struct jp_transport {
	const jp_transport_ops *ops;
} jp_transport;

/* A connection to the card in one reader. Backends embed it first. */
typedef struct jp_link {
	const jp_transport_ops *ops;
	jp_transport *transport;
} jp_link;

/* One reader as seen by list_readers / wait_change. */
typedef struct jp_reader_status {
	char name[JP_READER_NAME_MAX];
	int present;             /* a card is in the reader (and powered or powerable) */
	unsigned long events;    /* changes each time a card is inserted or removed
	                            (PC/SC's event counter); compare, never interpret */
	uint8_t atr[JP_ATR_MAX];
	size_t atr_len;
} jp_reader_status;

struct jp_transport_ops {
	const char *name;

	/* Opens a context. No daemon or no readers is NOT an error: the
	 * backend returns JP_OK and a context that lists zero readers and
	 * tries again on later calls. */
	jp_err (*establish)(jp_transport **out);
	/* Closes the context and frees it. Links must be disconnected first. */
	void (*release)(jp_transport *t);
	/* After fork(), in the child: frees the context's memory WITHOUT any
	 * PC/SC call on the parent's handles. */
	void (*forget)(jp_transport *t);

	/* All readers now (excluding PnP pseudo-readers). *out is malloc'd,
	 * free() it; *count may be 0 with *out NULL. */
	jp_err (*list_readers)(jp_transport *t, jp_reader_status **out, size_t *count);
	/* Blocks until the reader set or a card's presence differs from
	 * `known` (as returned by list_readers), or timeout_ms passes
	 * (JP_E_TIMEOUT; 0 = poll once; (unsigned)-1 = forever), or cancel()
	 * is called (JP_E_CANCELLED). JP_OK means "something changed; list
	 * again". Sees readers plugged in later (PnP notification). */
	jp_err (*wait_change)(jp_transport *t, const jp_reader_status *known, size_t count,
	                      unsigned timeout_ms);
	/* Makes a wait_change in another thread return JP_E_CANCELLED. A
	 * cancel with no wait in progress may stay pending for the next
	 * wait_change (the PC/SC backend does this, so a cancel racing with the
	 * start of a wait is never lost): callers cancel only to stop waiting
	 * for good (C_Finalize). */
	jp_err (*cancel)(jp_transport *t);

	/* Connects shared, T=0 or T=1. JP_E_NO_CARD if the reader is empty. */
	jp_err (*connect)(jp_transport *t, const char *reader, jp_link **out);
	/* Disconnects leaving the card as it is, and frees the link. */
	void (*disconnect)(jp_link *l);
	/* After fork(), in the child: frees the link without PC/SC calls. */
	void (*forget_link)(jp_link *l);

	/* One raw exchange. rsp receives data + SW1 SW2; *rsp_len is the
	 * buffer size in, the length out. No 61xx/6Cxx handling here (see
	 * jp_transport_transmit). If the card was reset by someone else the
	 * backend reconnects (leaving the card) and returns JP_E_CARD_RESET
	 * without sending the command; a removed card gives JP_E_NO_CARD. */
	jp_err (*transmit)(jp_link *l, const uint8_t *cmd, size_t cmd_len,
	                   uint8_t *rsp, size_t *rsp_len);
	/* PC/SC transaction: exclusive access for a sequence of commands.
	 * begin may also return JP_E_CARD_RESET (reconnected) or JP_E_NO_CARD;
	 * then no transaction is held: call begin again. */
	jp_err (*begin)(jp_link *l);
	jp_err (*end)(jp_link *l);
	/* Powers the card off and on again (SCardReconnect with
	 * SCARD_UNPOWER_CARD): clears every verified PIN on the card. */
	jp_err (*unpower)(jp_link *l);
	/* Whether the card is still there and unchanged since connect:
	 * JP_OK, JP_E_NO_CARD, or JP_E_CARD_RESET. */
	jp_err (*status)(jp_link *l);
	/* The card's ATR: out holds JP_ATR_MAX bytes, *len receives the length. */
	jp_err (*atr)(jp_link *l, uint8_t *out, size_t *len);
};

/* The backend this build was linked with. */
const jp_transport_ops *jp_transport_default_ops(void);

/* ops->transmit plus the ISO 7816 response plumbing every caller wants:
 * 61xx → GET RESPONSE (concatenated), 6Cxx → resend with Le = xx. Logs the
 * exchange with jp_log_apdu (PIN bodies redacted). src/transport/transmit.c */
jp_err jp_transport_transmit(jp_link *l, const uint8_t *cmd, size_t cmd_len,
                             uint8_t *rsp, size_t *rsp_len);

#endif
