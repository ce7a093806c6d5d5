// Unix seconds as a UTC calendar date and time, for `ls -l` and `stat`.
#include "console.h"
#include "fs/fs_cmd.h"

// The days-to-civil algorithm of Howard Hinnant: eras of 400 years, each
// year starting in March so that the leap day falls at its end. Unsigned
// arithmetic, since EclipseFS times are never before 1970.
void fs_utc_time(uint64_t t, char *out, size_t cap, bool seconds)
{
	uint64_t days = t / 86400, rem = t % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	uint64_t day = doy - (153 * mp + 2) / 5 + 1;
	uint64_t month = mp < 10 ? mp + 3 : mp - 9;
	uint64_t year = yoe + era * 400 + (month <= 2);
	int n;

	n = ksnprintf(out, cap, "%04lu-%02lu-%02lu %02lu:%02lu", (unsigned long)year,
	              (unsigned long)month, (unsigned long)day, (unsigned long)(rem / 3600),
	              (unsigned long)(rem / 60 % 60));
	if (seconds && n > 0 && (size_t)n < cap)
		ksnprintf(out + n, cap - (size_t)n, ":%02lu", (unsigned long)(rem % 60));
}
