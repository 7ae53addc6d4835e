/* Sizing DER objects from their headers; hostile headers refused. */
#include "config.h"

#include "jpki/card.h"
#include "tests/tap.h"

typedef struct der_case {
	const char *what;
	uint8_t hdr[8];
	size_t avail;
	size_t cap;
	jp_err want;
	size_t total;
} der_case;

static const der_case cases[] = {
	{ "short form 0", { 0x30, 0x00 }, 2, 8192, JP_OK, 2 },
	{ "short form 127", { 0x30, 0x7F }, 2, 8192, JP_OK, 129 },
	{ "long form 81 80", { 0x30, 0x81, 0x80 }, 3, 8192, JP_OK, 3 + 128 },
	{ "long form 82 06 3A (a 1.6 KB cert)", { 0x30, 0x82, 0x06, 0x3A }, 4, 8192, JP_OK,
	  4 + 0x63A },
	{ "long form 83", { 0x30, 0x83, 0x00, 0x10, 0x00 }, 5, 8192, JP_OK, 5 + 4096 },
	{ "long form 84", { 0x30, 0x84, 0x00, 0x00, 0x01, 0x00 }, 6, 8192, JP_OK, 6 + 256 },
	{ "non-minimal 82 00 05 accepted", { 0x30, 0x82, 0x00, 0x05 }, 4, 8192, JP_OK, 9 },
	{ "other tag (OCTET STRING)", { 0x04, 0x03 }, 2, 8192, JP_OK, 5 },
	{ "exactly the cap", { 0x30, 0x82, 0x1F, 0xFC }, 4, 8192, JP_OK, 8192 },
	{ "one over the cap", { 0x30, 0x82, 0x1F, 0xFD }, 4, 8192, JP_E_BAD_RESPONSE, 0 },
	{ "short form over a tiny cap", { 0x30, 0x7F }, 2, 100, JP_E_BAD_RESPONSE, 0 },
	{ "84 FF FF FF FF (4 GiB)", { 0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF }, 6, 8192,
	  JP_E_BAD_RESPONSE, 0 },
	{ "84 FF FF FF FF with SIZE_MAX cap", { 0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF }, 6,
	  (size_t)-1, JP_OK, (size_t)0xFFFFFFFFu + 6 },
	{ "0x80 indefinite", { 0x30, 0x80 }, 2, 8192, JP_E_BAD_RESPONSE, 0 },
	{ "0x85 five octets", { 0x30, 0x85, 0, 0, 0, 0, 1 }, 7, 8192, JP_E_BAD_RESPONSE, 0 },
	{ "0x88 eight octets", { 0x30, 0x88, 0, 0, 0, 0, 0, 1 }, 8, (size_t)-1,
	  JP_E_BAD_RESPONSE, 0 },
	{ "0xFF reserved", { 0x30, 0xFF }, 2, 8192, JP_E_BAD_RESPONSE, 0 },
	{ "high tag number", { 0x3F, 0x81, 0x01 }, 3, 8192, JP_E_BAD_RESPONSE, 0 },
	{ "truncated: tag only", { 0x30 }, 1, 8192, JP_E_ARGS, 0 },
	{ "truncated: nothing", { 0 }, 0, 8192, JP_E_ARGS, 0 },
	{ "truncated: 82 and one octet", { 0x30, 0x82, 0x06 }, 3, 8192, JP_E_ARGS, 0 },
	{ "truncated: 84 and three octets", { 0x30, 0x84, 0, 0, 1 }, 5, 8192, JP_E_ARGS, 0 },
	{ "truncated: 81 alone", { 0x30, 0x81 }, 2, 8192, JP_E_ARGS, 0 },
};

int main(void)
{
	size_t i, total;
	uint8_t *exact;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const der_case *c = &cases[i];
		jp_err rc;

		/* Copy into a heap block of exactly avail bytes so that any read
		 * beyond it shows under valgrind/ASan. */
		exact = malloc(c->avail ? c->avail : 1);
		if (!exact)
			return 99;
		memcpy(exact, c->hdr, c->avail);
		total = 12345;
		rc = jp_der_object_size(exact, c->avail, c->cap, &total);
		is_int(rc, c->want, "%s → %s", c->what, jp_err_str(c->want));
		if (c->want == JP_OK)
			is_int(total, c->total, "%s: total %zu", c->what, c->total);
		else
			is_int(total, 12345, "%s: total untouched", c->what);
		free(exact);
	}
	is_int(jp_der_object_size(NULL, 4, 8192, &total), JP_E_ARGS, "NULL p refused");
	is_int(jp_der_object_size((const uint8_t *)"\x30\x00", 2, 8192, NULL), JP_E_ARGS,
	       "NULL total refused");
	done_testing();
}
