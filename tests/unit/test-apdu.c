/* APDU encoding: short and extended, cases 1-4, field boundaries. */
#include "config.h"

#include "jpki/card.h"
#include "tests/tap.h"

static uint8_t buf[70000];

/* Builds and compares with the expected bytes. */
static void check(const char *what, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                  const uint8_t *data, size_t lc, size_t le, int ext,
                  const uint8_t *want, size_t want_len)
{
	size_t len = sizeof(buf);
	jp_err rc = jp_apdu_build(buf, &len, cla, ins, p1, p2, data, lc, le, ext);

	is_int(rc, JP_OK, "%s: builds", what);
	is_int(len, want_len, "%s: length", what);
	if (len == want_len)
		is_mem(buf, want, want_len, "%s: bytes", what);
	else
		ok(0, "%s: bytes (length differs)", what);
}

static void refuse(const char *what, const uint8_t *data, size_t lc, size_t le, int ext,
                   size_t cap)
{
	size_t len = cap;
	jp_err rc = jp_apdu_build(buf, &len, 0x00, 0xB0, 0, 0, data, lc, le, ext);

	is_int(rc, JP_E_ARGS, "%s: refused", what);
	is_int(len, cap, "%s: length untouched", what);
}

int main(void)
{
	static uint8_t data[70000], want[70000];
	static const uint8_t aid[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
	size_t i, len;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);

	/* Case 1: the retry query. */
	check("case 1 short", 0x00, 0x20, 0x00, 0x80, NULL, 0, JP_APDU_NO_LE, 0,
	      (const uint8_t[]){ 0x00, 0x20, 0x00, 0x80 }, 4);
	check("case 1 extended is the same", 0x00, 0x20, 0x00, 0x80, NULL, 0, JP_APDU_NO_LE, 1,
	      (const uint8_t[]){ 0x00, 0x20, 0x00, 0x80 }, 4);

	/* Case 3: SELECT JPKI AP (doc/card.md §2). */
	check("case 3 SELECT AP", 0x00, 0xA4, 0x04, 0x0C, aid, sizeof(aid), JP_APDU_NO_LE, 0,
	      (const uint8_t[]){ 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26,
	                         0x01, 0x00, 0x00, 0x00, 0x01 }, 15);
	check("case 3 extended", 0x00, 0xA4, 0x02, 0x0C, (const uint8_t[]){ 0x00, 0x0A }, 2,
	      JP_APDU_NO_LE, 1,
	      (const uint8_t[]){ 0x00, 0xA4, 0x02, 0x0C, 0x00, 0x00, 0x02, 0x00, 0x0A }, 9);

	/* Case 2 short: Le 1, 255, 256 → 00. */
	check("case 2 short Le 1", 0x00, 0xB0, 0x01, 0x02, NULL, 0, 1, 0,
	      (const uint8_t[]){ 0x00, 0xB0, 0x01, 0x02, 0x01 }, 5);
	check("case 2 short Le 255", 0x00, 0xB0, 0x00, 0x00, NULL, 0, 255, 0,
	      (const uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, 0xFF }, 5);
	check("case 2 short Le 256 → 00", 0x00, 0xB0, 0x00, 0x00, NULL, 0, 256, 0,
	      (const uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, 0x00 }, 5);

	/* Case 2 extended: 00 Le1 Le2; 65536 → 00 00. */
	check("case 2 extended Le 65536 → 000000", 0x00, 0xB0, 0x00, 0x00, NULL, 0, 65536, 1,
	      (const uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00 }, 7);
	check("case 2 extended Le 256", 0x00, 0xB0, 0x00, 0x00, NULL, 0, 256, 1,
	      (const uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00 }, 7);
	check("case 2 extended Le 65535", 0x00, 0xB0, 0x12, 0x34, NULL, 0, 65535, 1,
	      (const uint8_t[]){ 0x00, 0xB0, 0x12, 0x34, 0x00, 0xFF, 0xFF }, 7);

	/* Case 4 short: the sign command, Le 256 → 00. */
	check("case 4 short sign", 0x80, 0x2A, 0x00, 0x80, (const uint8_t[]){ 0xAA, 0xBB }, 2,
	      256, 0, (const uint8_t[]){ 0x80, 0x2A, 0x00, 0x80, 0x02, 0xAA, 0xBB, 0x00 }, 8);
	check("case 4 extended", 0x80, 0x2A, 0x00, 0x80, (const uint8_t[]){ 0xAA, 0xBB }, 2,
	      65536, 1,
	      (const uint8_t[]){ 0x80, 0x2A, 0x00, 0x80, 0x00, 0x00, 0x02, 0xAA, 0xBB, 0x00, 0x00 },
	      11);

	/* Lc 255: the short maximum. */
	want[0] = 0x00; want[1] = 0xD6; want[2] = 0; want[3] = 0; want[4] = 0xFF;
	memcpy(want + 5, data, 255);
	check("case 3 short Lc 255", 0x00, 0xD6, 0, 0, data, 255, JP_APDU_NO_LE, 0, want, 260);
	/* Lc 256: extended only. */
	want[4] = 0x00; want[5] = 0x01; want[6] = 0x00;
	memcpy(want + 7, data, 256);
	check("case 3 extended Lc 256", 0x00, 0xD6, 0, 0, data, 256, JP_APDU_NO_LE, 1, want, 263);
	/* Case 4 extended with Lc 65535 and Le 65536. */
	want[4] = 0x00; want[5] = 0xFF; want[6] = 0xFF;
	memcpy(want + 7, data, 65535);
	want[7 + 65535] = 0x00; want[8 + 65535] = 0x00;
	check("case 4 extended Lc 65535 Le 65536", 0x00, 0xD6, 0, 0, data, 65535, 65536, 1,
	      want, 9 + 65535);

	/* Refusals. */
	refuse("short Lc 256", data, 256, JP_APDU_NO_LE, 0, sizeof(buf));
	refuse("short Le 257", NULL, 0, 257, 0, sizeof(buf));
	refuse("extended Lc 65536", data, 65536, JP_APDU_NO_LE, 1, sizeof(buf));
	refuse("extended Le 65537", NULL, 0, 65537, 1, sizeof(buf));
	refuse("Le 0 (use JP_APDU_NO_LE)", NULL, 0, 0, 0, sizeof(buf));
	refuse("data NULL with Lc", NULL, 3, JP_APDU_NO_LE, 0, sizeof(buf));
	refuse("case 2 in 4 bytes", NULL, 0, 256, 0, 4);
	refuse("case 3 one byte short", data, 10, JP_APDU_NO_LE, 0, 4 + 1 + 9);
	refuse("case 4 extended one byte short", data, 10, 65536, 1, 4 + 3 + 10 + 1);
	len = 4 + 1 + 10;
	is_int(jp_apdu_build(buf, &len, 0, 0xA4, 4, 0x0C, aid, 10, JP_APDU_NO_LE, 0), JP_OK,
	       "exact fit builds");
	is_int(len, 15, "exact fit length");
	len = sizeof(buf);
	is_int(jp_apdu_build(buf, NULL, 0, 0, 0, 0, NULL, 0, JP_APDU_NO_LE, 0), JP_E_ARGS,
	       "NULL out_len refused");
	is_int(jp_apdu_build(NULL, &len, 0, 0, 0, 0, NULL, 0, JP_APDU_NO_LE, 0), JP_E_ARGS,
	       "NULL out refused");

	/* Status words. */
	is_int(jp_apdu_sw((const uint8_t[]){ 0x90, 0x00 }, 2), 0x9000, "SW of bare 9000");
	is_int(jp_apdu_sw((const uint8_t[]){ 0x01, 0x02, 0x63, 0xC2 }, 4), 0x63C2,
	       "SW after data");
	is_int(jp_apdu_sw((const uint8_t[]){ 0x90 }, 1), 0, "1-byte response: 0");
	is_int(jp_apdu_sw(NULL, 0), 0, "empty response: 0");
	done_testing();
}
