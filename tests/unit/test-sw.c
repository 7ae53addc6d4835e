/* The status-word table (doc/card.md §4 "Status words"). */
#include "config.h"

#include "jpki/card.h"
#include "tests/tap.h"

static const struct {
	uint16_t sw;
	jp_err err;
	int tries;
} table[] = {
	{ 0x9000, JP_OK, -1 },
	{ 0x6282, JP_OK, -1 },
	{ 0x63C5, JP_E_PIN_INCORRECT, 5 },
	{ 0x63C4, JP_E_PIN_INCORRECT, 4 },
	{ 0x63C3, JP_E_PIN_INCORRECT, 3 },
	{ 0x63C2, JP_E_PIN_INCORRECT, 2 },
	{ 0x63C1, JP_E_PIN_INCORRECT, 1 },
	{ 0x63C0, JP_E_PIN_LOCKED, 0 },
	{ 0x63CF, JP_E_PIN_INCORRECT, 15 },
	{ 0x6300, JP_E_PIN_INCORRECT, -1 },
	{ 0x6984, JP_E_PIN_LOCKED, 0 },
	{ 0x6983, JP_E_PIN_LOCKED, 0 },
	{ 0x6982, JP_E_SECURITY_STATUS, -1 },
	{ 0x6A82, JP_E_FILE_NOT_FOUND, -1 },
	{ 0x6A86, JP_E_WRONG_P1P2, -1 },
	{ 0x6B00, JP_E_OFFSET, -1 },
	{ 0x6700, JP_E_WRONG_LENGTH, -1 },
	{ 0x6F00, JP_E_CARD_ERROR, -1 },
	{ 0x6D00, JP_E_CARD_ERROR, -1 },
	{ 0x6E00, JP_E_CARD_ERROR, -1 },
	{ 0x6A88, JP_E_CARD_ERROR, -1 },
	{ 0x6985, JP_E_CARD_ERROR, -1 },
	{ 0x6100, JP_E_CARD_ERROR, -1 },
	{ 0x6C10, JP_E_CARD_ERROR, -1 },
	{ 0x9001, JP_E_CARD_ERROR, -1 },
	{ 0x63D1, JP_E_CARD_ERROR, -1 },
	{ 0x0000, JP_E_BAD_RESPONSE, -1 },
};

int main(void)
{
	size_t i;
	unsigned sw;
	int others_ok = 1;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		is_int(jp_sw_to_err(table[i].sw), table[i].err, "SW %04X → %s", table[i].sw,
		       jp_err_str(table[i].err));
		is_int(jp_sw_tries(table[i].sw), table[i].tries, "SW %04X tries %d", table[i].sw,
		       table[i].tries);
	}
	/* Only 9000 and 6282 are success; nothing maps outside the enum. */
	for (sw = 0; sw <= 0xFFFF; sw++) {
		jp_err e = jp_sw_to_err((uint16_t)sw);
		if ((e == JP_OK) != (sw == 0x9000 || sw == 0x6282) || e < 0 || e >= JP_E__COUNT)
			others_ok = 0;
	}
	ok(others_ok, "all 65536 SWs: success only for 9000/6282, results in range");
	done_testing();
}
