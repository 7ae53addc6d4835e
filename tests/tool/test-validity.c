/* The status logic's calendar (src/tool/validity.c): JST days, the
 * renewal window 3 months before expiry (doc/card.md §8), the state at the
 * edges, days left. Instants below were computed independently (Python's
 * calendar.timegm). */
#include "config.h"

#include <string.h>

#include "src/tool/tool.h"
#include "tests/tap.h"

#define NB 1767225600LL        /* 2026-01-01T00:00:00Z */
#define NA 1941893999LL        /* 2031-07-15T14:59:59Z = 23:59:59 JST */
#define RF_START 1933945200LL  /* 2031-04-14T15:00:00Z = 2031-04-15 00:00 JST */

static int date_is(int64_t day, const char *want)
{
	char d[JP_DATE_LEN];

	jp_day_format(day, d);
	if (strcmp(d, want) != 0)
		printf("#   got %s, want %s\n", d, want);
	return strcmp(d, want) == 0;
}

static int minus3(int64_t day, const char *want)
{
	return date_is(jp_day_minus_months(day, 3), want);
}

int main(void)
{
	jp_validity v;
	int64_t d;

	/* JST calendar days */
	is_int(jp_jst_day(NA), 22475, "notAfter 14:59:59Z is 2031-07-15 in Japan (day 22475)");
	is_int(jp_jst_day(NA + 1), 22476, "one second later (15:00Z) it is the 16th in Japan");
	ok(date_is(22475, "2031-07-15"), "day 22475 formats as 2031-07-15");
	ok(date_is(0, "1970-01-01"), "day 0 is 1970-01-01");
	is_int(jp_jst_day(-1), 0, "1969-12-31T23:59:59Z is already 1970-01-01 in Japan");
	is_int(jp_jst_day(-9 * 3600 - 1), -1, "and 14:59:59Z the day before is 1969-12-31");
	ok(date_is(-1, "1969-12-31"), "day -1 formats as 1969-12-31");

	/* Three months before, clamped to the shorter month. */
	d = jp_jst_day(NA);
	ok(minus3(d, "2031-04-15"), "2031-07-15 minus 3 months: 2031-04-15");
	ok(minus3(d - 45, "2031-02-28"), "2031-05-31 minus 3 months: 2031-02-28");
	ok(minus3(d - 45 + 366, "2032-02-29"), "2032-05-31 minus 3 months: 2032-02-29 (leap)");
	ok(minus3(d - 181, "2030-10-15"), "2031-01-15 minus 3 months: 2030-10-15 (year back)");
	ok(minus3(d - 106, "2030-12-31"), "2031-03-31 minus 3 months: 2030-12-31");
	ok(date_is(d - 45 + 366, "2032-05-31"), "(the day used above is 2032-05-31)");

	/* States at the edges. */
	jp_validity_eval(NB, NA, NB - 1, &v);
	is_int(v.state, JP_STATE_NOT_YET_VALID, "a second before notBefore: not-yet-valid");
	jp_validity_eval(NB, NA, NB, &v);
	is_int(v.state, JP_STATE_VALID, "at notBefore: valid");
	ok(date_is(v.not_before_day, "2026-01-01") && date_is(v.not_after_day, "2031-07-15") &&
	   date_is(v.renewal_from_day, "2031-04-15"), "dates: 2026-01-01, 2031-07-15, renewal from 2031-04-15");
	jp_validity_eval(NB, NA, RF_START - 1, &v);
	is_int(v.state, JP_STATE_VALID, "23:59:59 JST the day before the window: valid");
	is_int(v.days_left, 92, "then 92 days left (2031-04-14 to 2031-07-15)");
	jp_validity_eval(NB, NA, RF_START, &v);
	is_int(v.state, JP_STATE_RENEWAL, "00:00 JST on 2031-04-15: renewal");
	is_int(v.days_left, 91, "91 days left");
	jp_validity_eval(NB, NA, NA, &v);
	is_int(v.state, JP_STATE_RENEWAL, "at notAfter (23:59:59 JST): still valid, renewal window");
	is_int(v.days_left, 0, "0 days left on the last day");
	jp_validity_eval(NB, NA, NA + 1, &v);
	is_int(v.state, JP_STATE_EXPIRED, "one second after notAfter: expired");
	is_int(v.days_left, -1, "days left -1 on the day after");
	jp_validity_eval(NB, NA, NA + 200LL * 86400, &v);
	is_int(v.days_left, -200, "200 days later: -200");

	/* 200, 60, -1 days before expiry, as the emulated cards are made. */
	jp_validity_eval(NB, NA, NA - 200LL * 86400, &v);
	ok(v.state == JP_STATE_VALID && v.days_left == 200, "200 days left: valid");
	jp_validity_eval(NB, NA, NA - 60LL * 86400, &v);
	ok(v.state == JP_STATE_RENEWAL && v.days_left == 60, "60 days left: renewal");

	ok(strcmp(jp_state_name(JP_STATE_VALID), "valid") == 0 &&
	   strcmp(jp_state_name(JP_STATE_RENEWAL), "renewal") == 0 &&
	   strcmp(jp_state_name(JP_STATE_EXPIRED), "expired") == 0 &&
	   strcmp(jp_state_name(JP_STATE_NOT_YET_VALID), "not-yet-valid") == 0 &&
	   strcmp(jp_state_name(JP_STATE_ABSENT), "absent") == 0 &&
	   strcmp(jp_state_name(JP_STATE_UNKNOWN), "unknown") == 0, "state names as jpki(1) documents");
	done_testing();
}
