/* Garbage from the card: each fault option (fail/garble/short/drop/remove)
 * on every APDU of a full session, with extended and short reads. Nothing
 * may crash, every error must be a clean card/transport error, no try may
 * be wasted, and whatever is returned as good must be good. */
#include "config.h"

#include "card-test.h"
#include "tests/tap.h"

enum { F_FAIL, F_GARBLE, F_SHORT, F_DROP, F_REMOVE, F__COUNT };
static const char *fname[] = { "fail", "garble", "short", "drop", "remove" };

static int clean_err(jp_err e)
{
	switch (e) {
	case JP_OK: case JP_E_TRANSPORT: case JP_E_NO_CARD: case JP_E_BAD_RESPONSE:
	case JP_E_CARD_ERROR: case JP_E_NOT_JPKI: case JP_E_SECURITY_STATUS:
	case JP_E_PIN_INCORRECT: case JP_E_PIN_LOCKED: case JP_E_NO_KEY:
	case JP_E_WRONG_LENGTH: case JP_E_OFFSET: case JP_E_WRONG_P1P2:
	case JP_E_FILE_NOT_FOUND:
		return 1;
	default:
		return 0;
	}
}

static uint8_t *fixture[JP_CERT__COUNT];
static size_t fixture_len[JP_CERT__COUNT];

typedef struct run {
	int bad_err;          /* an error outside clean_err */
	int bad_cert;         /* a certificate returned OK but wrong */
	jp_err sign_rc;       /* the auth signature */
	unsigned long sign_idx; /* its APDU index if all went well before */
	unsigned long check_idx; /* APDUs before the check */
	jp_err last_rc;       /* the check after the session */
	int last_tries;
} run;

static void note(run *r, jp_err e)
{
	if (!clean_err(e))
		r->bad_err++;
}

static void read_check(run *r, ct *c, jp_cert_id id, int may_differ)
{
	const uint8_t *der;
	size_t len;
	jp_err e = jp_card_read_cert(c->card, id, &der, &len);

	note(r, e);
	if (e == JP_OK && !may_differ &&
	    (len != fixture_len[id] || memcmp(der, fixture[id], len) != 0))
		r->bad_cert++;
}

static void session(ct *c, int fault, run *r)
{
	uint8_t in[51], sig[JP_SIGNATURE_LEN];
	size_t sig_len;
	int tries;

	memset(in, 0x42, sizeof(in));
	read_check(r, c, JP_CERT_AUTH, fault == F_GARBLE);
	read_check(r, c, JP_CERT_AUTH_CA, fault == F_GARBLE);
	read_check(r, c, JP_CERT_SIGN_CA, fault == F_GARBLE);
	note(r, jp_card_pin_tries(c->card, JP_KEY_AUTH, &tries));
	note(r, ct_verify(c, JP_KEY_AUTH, fixture_pin(1, 0), &tries));
	/* The sign APDU: by short EF identifier (1), or on a card without it
	 * after the refused attempt and the SELECT of the key (3). */
	r->sign_idx = jp_emu_apdu_count(c->e) + (jp_emu_opts(c->e)->no_sfi_sw ? 3 : 1);
	r->sign_rc = jp_card_sign(c->card, JP_KEY_AUTH, in, sizeof(in), sig, &sig_len);
	note(r, r->sign_rc);
	if (r->sign_rc == JP_OK && sig_len != JP_SIGNATURE_LEN)
		r->bad_err++;
	note(r, ct_verify(c, JP_KEY_SIGN, fixture_pin(1, 1), &tries));
	read_check(r, c, JP_CERT_SIGN, fault == F_GARBLE);
	note(r, jp_card_sign(c->card, JP_KEY_SIGN, in, sizeof(in), sig, &sig_len));
	r->last_tries = -1;
	r->check_idx = jp_emu_apdu_count(c->e);
	r->last_rc = jp_card_pin_tries(c->card, JP_KEY_AUTH, &r->last_tries);
}

int main(void)
{
	static const char *files[JP_CERT__COUNT] = { "auth.der", "auth-ca.der", "sign.der",
	                                             "sign-ca.der" };
	int f, ext, i;
	unsigned long nth, total;
	ct c;
	jp_emu_options o;
	run r;

	for (i = 0; i < JP_CERT__COUNT; i++)
		fixture[i] = fixture_file(1, files[i], &fixture_len[i]);

	for (ext = 0; ext < 2; ext++) {
		/* How many APDUs a clean session takes. */
		memset(&o, 0, sizeof(o));
		o.no_extended = !ext;
		CT_START(&c, 1, &o);
		memset(&r, 0, sizeof(r));
		session(&c, -1, &r);
		total = jp_emu_apdu_count(c.e);
		ok(r.bad_err == 0 && r.bad_cert == 0 && r.sign_rc == JP_OK && r.last_rc == JP_OK,
		   "[%s] clean session: %lu APDUs", ext ? "extended" : "short", total);
		ct_stop(&c);

		for (f = 0; f < F__COUNT; f++) {
			int all_clean = 1, certs_good = 1, tries_kept = 1, recovers = 1;
			int sign_ok = 1, removed_stays = 1;

			for (nth = 1; nth <= total + 1; nth++) {
				memset(&o, 0, sizeof(o));
				o.no_extended = !ext;
				o.fail_nth = f == F_FAIL ? nth : 0;
				o.garble_nth = f == F_GARBLE ? nth : 0;
				o.short_nth = f == F_SHORT ? nth : 0;
				o.drop_nth = f == F_DROP ? nth : 0;
				o.remove_nth = f == F_REMOVE ? nth : 0;
				CT_START(&c, 1, &o);
				memset(&r, 0, sizeof(r));
				if (!clean_err(c.open_rc))
					r.bad_err++;
				if (c.card)
					session(&c, f, &r);
				else
					r.last_rc = c.open_rc;
				if (r.bad_err) {
					all_clean = 0;
					diag("%s #%lu: unclean error", fname[f], nth);
				}
				if (r.bad_cert) {
					certs_good = 0;
					diag("%s #%lu: wrong certificate returned", fname[f], nth);
				}
				/* Only right PINs are sent: no fault may cost a try. */
				if (jp_emu_tries(c.e, 0) != 3 || jp_emu_tries(c.e, 1) != 5) {
					tries_kept = 0;
					diag("%s #%lu: tries %d/%d", fname[f], nth,
					     jp_emu_tries(c.e, 0), jp_emu_tries(c.e, 1));
				}
				if (c.card && r.sign_idx == nth) {
					jp_err want[F__COUNT] = { JP_E_CARD_ERROR, JP_OK,
					                          JP_E_BAD_RESPONSE, JP_E_TRANSPORT,
					                          JP_E_NO_CARD };
					if (r.sign_rc != want[f]) {
						sign_ok = 0;
						diag("%s on the sign APDU: %s", fname[f],
						     jp_err_str(r.sign_rc));
					}
				}
				if (f == F_REMOVE && nth <= total) {
					if (r.last_rc != JP_E_NO_CARD)
						removed_stays = 0;
				} else if (c.card && nth <= r.check_idx &&
				           (r.last_rc != JP_OK || r.last_tries != 3)) {
					recovers = 0;
					diag("%s #%lu: no recovery: %s", fname[f], nth,
					     jp_err_str(r.last_rc));
				}
				ct_stop(&c);
			}
			ok(all_clean, "[%s] %s on each of %lu APDUs: only clean errors",
			   ext ? "extended" : "short", fname[f], total + 1);
			ok(certs_good, "[%s] %s: certificates returned are exact",
			   ext ? "extended" : "short", fname[f]);
			ok(tries_kept, "[%s] %s: no try wasted", ext ? "extended" : "short", fname[f]);
			ok(sign_ok, "[%s] %s on the sign APDU: the expected error",
			   ext ? "extended" : "short", fname[f]);
			if (f == F_REMOVE)
				ok(removed_stays, "[%s] removed card: JP_E_NO_CARD from then on",
				   ext ? "extended" : "short");
			else
				ok(recovers, "[%s] %s: the next command works",
				   ext ? "extended" : "short", fname[f]);
		}
	}
	for (i = 0; i < JP_CERT__COUNT; i++)
		free(fixture[i]);
	done_testing();
}
