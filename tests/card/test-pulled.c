/* The card layer with the card pulled in the middle of a command, at every
 * APDU position of a whole run: opening the card (what slot discovery
 * does), reading the certificates (what opening a session does), the PIN
 * retry queries, VERIFY of both PINs and the signing certificate after it
 * (the logins), a signature with each key, and the power cycle of a
 * logout. The call whose command met the removal answers exactly
 * JP_E_NO_CARD (the module's CKR_DEVICE_REMOVED), every later call too,
 * never JP_OK; no PIN try is lost, no signature byte comes out, and a card
 * put back in is opened afresh and does everything again.
 *
 * Positions are measured: a sound run counts the APDUs of each call. */
#include "config.h"

#include "card-test.h"
#include "tests/tap.h"

enum op {
	OP_OPEN, OP_CERT_AUTH, OP_CERT_AUTH_CA, OP_CERT_SIGN_CA, OP_TRIES_AUTH, OP_TRIES_SIGN,
	OP_VERIFY_AUTH, OP_VERIFY_SIGN, OP_CERT_SIGN, OP_SIGN_AUTH, OP_SIGN_SIGN, OP_UNVERIFY,
	OP__COUNT
};
static const char *op_name[OP__COUNT] = {
	"open", "read auth cert", "read auth CA cert", "read sign CA cert", "auth PIN tries",
	"sign PIN tries", "VERIFY auth", "VERIFY sign", "read sign cert", "sign (auth)",
	"sign (sign)", "unverify (power cycle)",
};

typedef struct run {
	jp_err rc[OP__COUNT];
	unsigned long after[OP__COUNT];   /* the APDU count after each call */
	uint8_t sig[2][JP_SIGNATURE_LEN];
} run;

/* Connects to the reader and opens the card (the fixture's reader). */
static jp_err reopen(ct *c)
{
	jp_link *link = NULL;
	jp_err rc;

	jp_card_close(c->card);
	c->card = NULL;
	rc = c->t->ops->connect(c->t, CT_READER, &link);
	if (rc == JP_OK)
		rc = jp_card_open(link, &c->card);
	return rc;
}

static void do_run(ct *c, run *r)
{
	const uint8_t *der;
	uint8_t in[51];
	size_t len, sig_len;
	int tries, op;

	memset(in, 0x42, sizeof(in));
	memset(r->sig, 0xA5, sizeof(r->sig));
	r->rc[OP_OPEN] = c->open_rc;
	r->after[OP_OPEN] = jp_emu_apdu_count(c->e);
	for (op = OP_CERT_AUTH; op < OP__COUNT; op++) {
		jp_err e = JP_E_NO_CARD;

		if (c->card == NULL)
			goto next;
		switch (op) {
		case OP_CERT_AUTH: e = jp_card_read_cert(c->card, JP_CERT_AUTH, &der, &len); break;
		case OP_CERT_AUTH_CA:
			e = jp_card_read_cert(c->card, JP_CERT_AUTH_CA, &der, &len);
			break;
		case OP_CERT_SIGN_CA:
			e = jp_card_read_cert(c->card, JP_CERT_SIGN_CA, &der, &len);
			break;
		case OP_TRIES_AUTH: e = jp_card_pin_tries(c->card, JP_KEY_AUTH, &tries); break;
		case OP_TRIES_SIGN: e = jp_card_pin_tries(c->card, JP_KEY_SIGN, &tries); break;
		case OP_VERIFY_AUTH: e = ct_verify(c, JP_KEY_AUTH, fixture_pin(1, 0), &tries); break;
		case OP_VERIFY_SIGN: e = ct_verify(c, JP_KEY_SIGN, fixture_pin(1, 1), &tries); break;
		case OP_CERT_SIGN: e = jp_card_read_cert(c->card, JP_CERT_SIGN, &der, &len); break;
		case OP_SIGN_AUTH:
			e = jp_card_sign(c->card, JP_KEY_AUTH, in, sizeof(in), r->sig[0], &sig_len);
			break;
		case OP_SIGN_SIGN:
			e = jp_card_sign(c->card, JP_KEY_SIGN, in, sizeof(in), r->sig[1], &sig_len);
			break;
		case OP_UNVERIFY: e = jp_card_unverify(c->card); break;
		}
next:
		r->rc[op] = e;
		r->after[op] = jp_emu_apdu_count(c->e);
	}
}

static int untouched(const uint8_t *p, size_t n)
{
	return p[0] == 0xA5 && memcmp(p, p + 1, n - 1) == 0;
}

int main(void)
{
	jp_emu_options o;
	unsigned long total, pos, prev;
	int op, later = 1, tries_kept = 1, no_sig = 1, back = 1;
	ct c;
	run r;

	/* The sound run. */
	CT_START(&c, 1, NULL);
	do_run(&c, &r);
	total = r.after[OP__COUNT - 1];
	for (op = 0, prev = 0; op < OP__COUNT; op++) {
		if (r.rc[op] != JP_OK)
			break;
		diag("%s: %lu APDUs", op_name[op], r.after[op] - prev);
		prev = r.after[op];
	}
	ok(op == OP__COUNT, "a sound run: every call answers JP_OK (%lu APDUs)", total);
	ct_stop(&c);

	for (pos = 1; pos <= total; pos++) {
		int met = -1;

		memset(&o, 0, sizeof(o));
		o.remove_nth = pos;
		CT_START(&c, 1, &o);
		do_run(&c, &r);
		/* The call during which APDU pos was sent met the removal. */
		for (op = 0; op < OP__COUNT && met < 0; op++)
			if (r.after[op] >= pos)
				met = op;
		ok(met >= 0 && r.rc[met] == JP_E_NO_CARD, "card pulled at APDU %lu (%s): JP_E_NO_CARD (%s)",
		   pos, met < 0 ? "no call met it" : op_name[met],
		   met < 0 ? "-" : jp_err_str(r.rc[met]));
		for (op = met + 1; met >= 0 && op < OP__COUNT; op++)
			if (r.rc[op] != JP_E_NO_CARD) {
				later = 0;
				diag("APDU %lu: afterwards %s: %s", pos, op_name[op],
				     jp_err_str(r.rc[op]));
			}
		if (jp_emu_tries(c.e, 0) != 3 || jp_emu_tries(c.e, 1) != 5) {
			tries_kept = 0;
			diag("APDU %lu: tries %d/%d", pos, jp_emu_tries(c.e, 0), jp_emu_tries(c.e, 1));
		}
		/* A signature pulled away from is never output; one made
		 * before the removal is (the card finished it). */
		if ((met <= OP_SIGN_AUTH && !untouched(r.sig[0], JP_SIGNATURE_LEN)) ||
		    (met <= OP_SIGN_SIGN && !untouched(r.sig[1], JP_SIGNATURE_LEN))) {
			no_sig = 0;
			diag("APDU %lu: signature bytes output", pos);
		}
		/* Back in: opened afresh, everything works again. */
		jp_emu_opts(c.e)->remove_nth = 0;
		jp_emu_reinsert(c.e);
		c.open_rc = reopen(&c);
		do_run(&c, &r);
		for (op = 0; op < OP__COUNT; op++)
			if (r.rc[op] != JP_OK) {
				back = 0;
				diag("APDU %lu: after reinsertion %s: %s", pos, op_name[op],
				     jp_err_str(r.rc[op]));
				break;
			}
		ct_stop(&c);
	}
	ok(later, "card pulled at each of %lu APDUs: every later call answers JP_E_NO_CARD too "
	   "(never JP_OK)", total);
	ok(tries_kept, "no PIN try lost");
	ok(no_sig, "no signature output by a call that met the removal");
	ok(back, "the card put back in: opened afresh, every call works");
	done_testing();
}
