/* Module options that change what the module shows: "tokens=" hides one of
 * a card's two tokens (so a browser is never asked for the signing
 * password, or a document signer for the authentication PIN), and the
 * hidden token costs no APDU. */
#include "config.h"

#include "tests/p11/core-test.h"
#include "src/p11/p11.h"

static CK_RV init_with(const char *opts)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	a.pReserved = (void *)opts;
	return F->C_Initialize(&a);
}

static void check_parse(void)
{
	jp_options o;

	memset(&o, 0, sizeof(o));
	is_int(jp_options_parse(&o, "tokens=auth"), 1, "parse: tokens=auth");
	is_int(o.tokens, 1u << JP_KEY_AUTH, "... authentication only");
	is_int(jp_options_parse(&o, "tokens = Signature"), 1, "parse: tokens = Signature");
	is_int(o.tokens, 1u << JP_KEY_SIGN, "... signature only");
	is_int(jp_options_parse(&o, "tokens=both always-authenticate=no"), 2, "parse: two options");
	is_int(o.tokens, 3, "... both");
	is_int(jp_options_parse(&o, "tokens=none"), 0, "parse: an unknown value is refused");
	is_int(o.tokens, 3, "... and changes nothing");
}

/* Slot IDs shown and the APDUs a token listing costs, for one option. */
static void check_shown(jp_emu *e, const char *opts, int want_auth, int want_sign)
{
	CK_SLOT_ID ids[8];
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_ULONG n, i;
	unsigned long before;
	int auth = 0, sign = 0;

	is_int(init_with(opts), CKR_OK, "%s: C_Initialize", opts);
	n = pt_slots(CK_FALSE, ids, 8);
	is_int(n, want_auth + want_sign, "%s: %d slot(s)", opts, want_auth + want_sign);
	before = jp_emu_apdu_count(e);
	for (i = 0; i < n && i < 8; i++) {
		if (F->C_GetSlotInfo(ids[i], &si) != CKR_OK ||
		    F->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		auth += pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_AUTH);
		sign += pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_SIGN);
	}
	is_int(auth, want_auth, "%s: authentication token shown %d", opts, want_auth);
	is_int(sign, want_sign, "%s: signature token shown %d", opts, want_sign);
	/* Open (3) + the authentication certificate for the serial (2) + one
	 * retry query (2) per shown token. */
	is_int(jp_emu_apdu_count(e) - before, 5 + 2 * (want_auth + want_sign),
	       "%s: the listing cost %d APDUs", opts, 5 + 2 * (want_auth + want_sign));
	if (want_auth + want_sign == 1) {
		/* The other slot's ID is simply not there. */
		CK_SLOT_ID hidden = want_auth ? ids[0] + 1 : ids[0] - 1;
		is_int(F->C_GetSlotInfo(hidden, &si), CKR_SLOT_ID_INVALID,
		       "%s: the hidden slot's ID is invalid", opts);
	}
	F->C_Finalize(NULL);
}

int main(void)
{
	jp_emu *e;

	pt_load();
	check_parse();
	pt_reader_with_card("Emu Reader 0", 1, NULL, &e);
	check_shown(e, "tokens=both", 1, 1);
	check_shown(e, "tokens=auth", 1, 0);
	check_shown(e, "tokens=sign", 0, 1);
	jp_emu_readers_clear();
	jp_emu_free(e);
	done_testing();
}
