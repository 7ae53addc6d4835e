/* PIN policy (doc/card.md §5): what may reach the card and in what form. */
#include "config.h"

#include "jpki/card.h"
#include "tests/tap.h"

typedef struct pin_case {
	jp_key key;
	const char *pin;
	size_t len;          /* 0: strlen(pin) */
	jp_err want;
	const char *sent;    /* for JP_OK: the bytes the card must see */
	const char *what;
} pin_case;

#define A JP_KEY_AUTH
#define S JP_KEY_SIGN

static const pin_case cases[] = {
	/* auth PIN: exactly 4 digits */
	{ A, "1234", 0, JP_OK, "1234", "4 digits" },
	{ A, "0000", 0, JP_OK, "0000", "4 zeros" },
	{ A, "9999", 0, JP_OK, "9999", "4 nines" },
	{ A, "123", 0, JP_E_PIN_LEN_RANGE, NULL, "3 digits" },
	{ A, "12345", 0, JP_E_PIN_LEN_RANGE, NULL, "5 digits" },
	{ A, "", 0, JP_E_PIN_LEN_RANGE, NULL, "empty" },
	{ A, "123456", 0, JP_E_PIN_LEN_RANGE, NULL, "6 digits" },
	{ A, "12a4", 0, JP_E_PIN_INVALID, NULL, "a letter" },
	{ A, "ABCD", 0, JP_E_PIN_INVALID, NULL, "4 letters" },
	{ A, "12 4", 0, JP_E_PIN_INVALID, NULL, "a space" },
	{ A, " 123", 0, JP_E_PIN_INVALID, NULL, "leading space" },
	{ A, "12-4", 0, JP_E_PIN_INVALID, NULL, "a symbol" },
	{ A, "12\0004", 4, JP_E_PIN_INVALID, NULL, "a NUL byte" },
	{ A, "\xef\xbc\x91" "2", 4, JP_E_PIN_INVALID, NULL, "fullwidth digit (UTF-8)" },
	{ A, "\xd9\xa1" "23", 4, JP_E_PIN_INVALID, NULL, "Arabic-Indic digit (UTF-8)" },
	{ A, "123\n", 0, JP_E_PIN_INVALID, NULL, "trailing newline" },
	{ A, "1234\n", 0, JP_E_PIN_LEN_RANGE, NULL, "4 digits + newline" },
	/* signing password: 6-16 of A-Z 0-9, >= 1 letter and >= 1 digit */
	{ S, "ABC123", 0, JP_OK, "ABC123", "6 chars" },
	{ S, "abc123", 0, JP_OK, "ABC123", "lower case upper-cased" },
	{ S, "aBc1D2", 0, JP_OK, "ABC1D2", "mixed case upper-cased" },
	{ S, "1A2B3C4D5E6F7G8H", 0, JP_OK, "1A2B3C4D5E6F7G8H", "16 chars" },
	{ S, "z0z0z0z0z0z0z0z0", 0, JP_OK, "Z0Z0Z0Z0Z0Z0Z0Z0", "16 lower-case chars" },
	{ S, "Z00000", 0, JP_OK, "Z00000", "one letter" },
	{ S, "9ABCDE", 0, JP_OK, "9ABCDE", "one digit" },
	{ S, "AB123", 0, JP_E_PIN_LEN_RANGE, NULL, "5 chars" },
	{ S, "1A2B3C4D5E6F7G8H9", 0, JP_E_PIN_LEN_RANGE, NULL, "17 chars" },
	{ S, "", 0, JP_E_PIN_LEN_RANGE, NULL, "empty" },
	{ S, "1234", 0, JP_E_PIN_LEN_RANGE, NULL, "an auth-style PIN" },
	{ S, "ABCDEFGH", 0, JP_E_PIN_INVALID, NULL, "all letters" },
	{ S, "abcdefgh", 0, JP_E_PIN_INVALID, NULL, "all lower-case letters" },
	{ S, "12345678", 0, JP_E_PIN_INVALID, NULL, "all digits" },
	{ S, "ABC-123", 0, JP_E_PIN_INVALID, NULL, "a hyphen" },
	{ S, "ABC_123", 0, JP_E_PIN_INVALID, NULL, "an underscore" },
	{ S, "ABC!23", 0, JP_E_PIN_INVALID, NULL, "an exclamation mark" },
	{ S, "ABC 123", 0, JP_E_PIN_INVALID, NULL, "a space" },
	{ S, "ABC123 ", 0, JP_E_PIN_INVALID, NULL, "a trailing space" },
	{ S, "ABC\000123", 7, JP_E_PIN_INVALID, NULL, "a NUL byte" },
	{ S, "ABC123\0", 7, JP_E_PIN_INVALID, NULL, "a trailing NUL" },
	{ S, "\xef\xbc\xa1" "BC123", 0, JP_E_PIN_INVALID, NULL, "fullwidth A (UTF-8)" },
	{ S, "\xc3\xa9" "ABC12", 0, JP_E_PIN_INVALID, NULL, "e-acute (UTF-8)" },
	{ S, "ABC12\xff", 0, JP_E_PIN_INVALID, NULL, "a 0xFF byte" },
	{ S, "ABC12\x80", 0, JP_E_PIN_INVALID, NULL, "a 0x80 byte" },
	{ S, "ABC12@", 0, JP_E_PIN_INVALID, NULL, "@ (just below A)" },
	{ S, "ABC12[", 0, JP_E_PIN_INVALID, NULL, "[ (just above Z)" },
	{ S, "ABC12`", 0, JP_E_PIN_INVALID, NULL, "` (just below a)" },
	{ S, "ABC12{", 0, JP_E_PIN_INVALID, NULL, "{ (just above z)" },
	{ S, "ABC12/", 0, JP_E_PIN_INVALID, NULL, "/ (just below 0)" },
	{ S, "ABC12:", 0, JP_E_PIN_INVALID, NULL, ": (just above 9)" },
	{ S, "ABC1\xef\xbc\x92", 0, JP_E_PIN_INVALID, NULL, "fullwidth 2 (UTF-8, 7 bytes)" },
};

int main(void)
{
	size_t i, n, out_len;
	uint8_t out[JP_PIN_MAX];
	int wiped;

	is_int(jp_pin_max_tries(JP_KEY_AUTH), 3, "auth PIN: 3 tries");
	is_int(jp_pin_max_tries(JP_KEY_SIGN), 5, "signing password: 5 tries");
	is_int(jp_pin_min_len(JP_KEY_AUTH), 4, "auth PIN min 4");
	is_int(jp_pin_max_len(JP_KEY_AUTH), 4, "auth PIN max 4");
	is_int(jp_pin_min_len(JP_KEY_SIGN), 6, "signing password min 6");
	is_int(jp_pin_max_len(JP_KEY_SIGN), 16, "signing password max 16");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const pin_case *c = &cases[i];
		const char *kn = c->key == A ? "auth" : "sign";
		jp_err rc;

		n = c->len ? c->len : strlen(c->pin);
		memset(out, 0xEE, sizeof(out));
		out_len = 99;
		rc = jp_pin_normalize(c->key, (const uint8_t *)c->pin, n, out, &out_len);
		is_int(rc, c->want, "%s: %s → %s", kn, c->what, jp_err_str(c->want));
		if (c->want == JP_OK) {
			is_int(out_len, strlen(c->sent), "%s: %s: length", kn, c->what);
			is_mem(out, c->sent, strlen(c->sent), "%s: %s: bytes sent", kn, c->what);
		} else {
			size_t k;
			wiped = 1;
			for (k = 0; k < sizeof(out); k++)
				if (out[k] != 0)
					wiped = 0;
			ok(wiped && out_len == 0, "%s: %s: out wiped", kn, c->what);
		}
	}
	/* Arguments. */
	is_int(jp_pin_normalize(A, NULL, 4, out, &out_len), JP_E_ARGS, "NULL pin refused");
	is_int(jp_pin_normalize(A, (const uint8_t *)"1234", 4, out, NULL), JP_E_ARGS,
	       "NULL out_len refused");
	is_int(jp_pin_normalize((jp_key)7, (const uint8_t *)"1234", 4, out, &out_len), JP_E_ARGS,
	       "unknown key refused");
	/* A huge length is a length error, never a read. */
	is_int(jp_pin_normalize(S, (const uint8_t *)"ABC123", (size_t)-1, out, &out_len),
	       JP_E_PIN_LEN_RANGE, "SIZE_MAX length: LEN_RANGE without reading");
	done_testing();
}
