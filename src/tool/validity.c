/* Certificate validity as the holder meets it: calendar days in Japan
 * (JST, UTC+9, no daylight saving), the state, days left and the renewal
 * window that opens 3 months before the expiry day (doc/card.md §8). Pure
 * arithmetic, no clock: the caller passes "now". */
#include "config.h"

#include <stdio.h>

#include "tool.h"

#define JST_OFFSET (9 * 3600)
#define DAY 86400

/* Floor division: instants before 1970 still land on the right day. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t jp_jst_day(int64_t t)
{
	return floor_div(t + JST_OFFSET, DAY);
}

/* Days since 1970-01-01 ⟷ proleptic Gregorian y-m-d (m 1..12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

void jp_day_format(int64_t day, char out[JP_DATE_LEN])
{
	int64_t y;
	int m, d;

	civil_from_days(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		snprintf(out, JP_DATE_LEN, "----------");
	else
		snprintf(out, JP_DATE_LEN, "%04d-%02d-%02d", (int)y, m, d);
}

int64_t jp_day_minus_months(int64_t day, int months)
{
	int64_t y;
	int m, d, mi;

	civil_from_days(day, &y, &m, &d);
	mi = m - 1 - months;
	y += floor_div(mi, 12);
	mi -= (int)floor_div(mi, 12) * 12;
	m = mi + 1;
	if (d > month_days(y, m))
		d = month_days(y, m);
	return days_from_civil(y, m, d);
}

void jp_validity_eval(int64_t nb, int64_t na, int64_t now, jp_validity *out)
{
	int64_t today = jp_jst_day(now);

	out->not_before_day = jp_jst_day(nb);
	out->not_after_day = jp_jst_day(na);
	out->renewal_from_day = jp_day_minus_months(out->not_after_day, JP_RENEWAL_MONTHS);
	out->days_left = out->not_after_day - today;
	/* The instants decide validity (notAfter is 23:59:59 JST of the last
	 * day); the calendar decides the renewal window. */
	if (now < nb)
		out->state = JP_STATE_NOT_YET_VALID;
	else if (now > na)
		out->state = JP_STATE_EXPIRED;
	else if (today >= out->renewal_from_day)
		out->state = JP_STATE_RENEWAL;
	else
		out->state = JP_STATE_VALID;
}

const char *jp_state_name(jp_state s)
{
	switch (s) {
	case JP_STATE_VALID: return "valid";
	case JP_STATE_RENEWAL: return "renewal";
	case JP_STATE_EXPIRED: return "expired";
	case JP_STATE_NOT_YET_VALID: return "not-yet-valid";
	case JP_STATE_ABSENT: return "absent";
	case JP_STATE_UNKNOWN: break;
	}
	return "unknown";
}
