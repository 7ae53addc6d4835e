/* The card object's insides, shared by card.c, cert.c, pin.c and sign.c. */
#ifndef JPKI_CARD_INT_H
#define JPKI_CARD_INT_H

#include "jpki/card.h"

/* doc/card.md §2-3 */
#define JP_FID_SIGN_CERT    0x0001
#define JP_FID_SIGN_CA      0x0002
#define JP_FID_TOKEN_INFO   0x0006
#define JP_FID_CERT_AVAIL   0x0008
#define JP_FID_AUTH_CERT    0x000A
#define JP_FID_AUTH_CA      0x000B
#define JP_FID_AUTH_KEY     0x0017
#define JP_FID_AUTH_PIN     0x0018
#define JP_FID_SIGN_KEY     0x001A
#define JP_FID_SIGN_PIN     0x001B

#define JP_LABEL_LEN 32
/* Certificates are 1.3-1.6 KB (doc/card.md §4); anything claiming more
 * than this is hostile or broken. */
#define JP_CERT_MAX 8192

enum { JP_EXT_UNKNOWN = 0, JP_EXT_WORKS = 1, JP_EXT_REFUSED = -1 };
enum { JP_CERT_UNREAD = 0, JP_CERT_CACHED, JP_CERT_ABSENT };

struct jp_card {
	jp_link *link;
	jp_card_kind kind;
	char label[JP_LABEL_LEN + 1];

	/* PC/SC transaction nesting: only the outermost begin/end reach the
	 * transport, so every multi-APDU operation can hold one itself. */
	unsigned txn_depth;

	/* What we selected. ap_selected survives between transactions (a
	 * needless re-SELECT of the AP may clear the verified PINs on some
	 * cards, doc/card.md §6); ef is trusted only inside the transaction
	 * that selected it: outside one, another process may select another EF
	 * of the same AP, and a READ or a signature would then go to the wrong
	 * file. ap_confirmed: a SELECT succeeded in this transaction, so a 6A82
	 * is the file's absence, not someone else's selection. */
	int ap_selected;
	int ap_confirmed;
	uint16_t ef;

	int ext;                          /* JP_EXT_*: extended READ BINARY */
	int verified[2];                  /* by us, since the last reset */
	int tries[2];                     /* tries left as the card last told us;
	                                     -1 unknown (pin.c owns it) */
	int key_absent[2];                /* SELECT of its EFs gave 6A82 */
	jp_avail cert_avail[2];           /* per key: avail.c, kept across resets */
	int ef0008_absent;                /* no usable EF 0008: ask the cert EFs */
	jp_avail pss;                     /* 80 2A P1 04 worked / gave 6A86 */
	jp_avail sfi;                     /* 80 2A P2 80|SFI worked / was refused */

	int cert_state[JP_CERT__COUNT];   /* JP_CERT_* */
	jp_buf cert[JP_CERT__COUNT];

	jp_card_stats stats;
};

/* The card lost its state (reset, power cycle, removal): forget the
 * selection, the verified PINs and the signing certificate. */
void jp_card_lost_state(jp_card *card);

/* One exchange through jp_transport_transmit, counted in the stats. On
 * JP_OK *sw holds the status word and *rsp_len the data length (without
 * SW). A transport error is returned as is (after jp_card_lost_state for a
 * reset or removal). A response without SW → JP_E_BAD_RESPONSE. */
jp_err jp_card_xfer_inlock(jp_card *card, const uint8_t *cmd, size_t cmd_len,
                           uint8_t *rsp, size_t *rsp_len, uint16_t *sw);
/* A short APDU (jp_apdu_build's fields, lc <= 255) built and exchanged
 * through jp_card_xfer_inlock. The command is wiped after: its data may be
 * a PIN or what is to be signed. */
jp_err jp_card_apdu_inlock(jp_card *card, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                           const uint8_t *data, size_t lc, size_t le,
                           uint8_t *rsp, size_t *rsp_len, uint16_t *sw);

/* SELECT of the JPKI AP (force: even if we think it is selected). */
jp_err jp_card_select_ap_inlock(jp_card *card, int force);
/* SELECT of an EF under the AP; on 6A82 with an unconfirmed AP, checks
 * that the AP is still current (SELECT EF 0006), and only if not re-selects
 * it and retries once. JP_E_FILE_NOT_FOUND if the EF really is missing. */
jp_err jp_card_select_ef_inlock(jp_card *card, uint16_t fid);
/* SELECT of one of a key's EFs (its PIN or its private key): a missing EF
 * means the card lacks that key (JP_E_NO_KEY), remembered in key_absent. */
jp_err jp_card_select_key_ef_inlock(jp_card *card, jp_key key, uint16_t fid);

/* VERIFY with an already-normalized PIN (pin.c). */
jp_err jp_card_verify_inlock(jp_card *card, jp_key key, const uint8_t *pin, size_t len,
                             int *tries);

/* The certificate a key's availability is about (EF 0001 / 000A). */
jp_cert_id jp_key_cert(jp_key key);

uint16_t jp_key_pin_fid(jp_key key);
uint16_t jp_key_key_fid(jp_key key);

#endif
