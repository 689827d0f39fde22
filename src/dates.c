/* dates.c: the dates the table reader reads (ISO, day-first and month-first with a four-digit
 * year, with or without a time of day) as days since 1970-01-01, and back to text. */
#include "dates.h"

#include <math.h>
#include <stdio.h>

#include "mqlcal/table.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int two(const char *s)
{
    return is_digit(s[0]) && is_digit(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static int leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Length of a time-zone designator at s (n bytes left): "Z", " UTC", " GMT" (the blank optional)
 * or an offset +HH, +HHMM, +HH:MM (or -), with an optional blank before it; 0 when there is none
 * or it is malformed. */
static size_t zone_len(const char *s, size_t n)
{
    if (n == 1 && s[0] == 'Z')
        return 1;
    size_t i = n > 0 && s[0] == ' ' ? 1 : 0;
    if (n - i == 3 && ((s[i] == 'U' && s[i + 1] == 'T' && s[i + 2] == 'C') ||
                       (s[i] == 'G' && s[i + 1] == 'M' && s[i + 2] == 'T')))
        return n;
    if (n - i < 3 || (s[i] != '+' && s[i] != '-'))
        return 0;
    int hh = two(s + i + 1);
    if (hh < 0 || hh > 14)
        return 0;
    i += 3;
    if (i == n)
        return n;
    if (s[i] == ':')
        i++;
    int mm = i + 2 <= n ? two(s + i) : -1;
    return mm >= 0 && mm <= 59 && i + 2 == n ? n : 0;
}

int mql_date_parse(const char *s, size_t len, double *days, int *has_time)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len < 10 || (s[4] != '-' && s[4] != '/') || s[7] != s[4])
        return -1;
    int hi = two(s), lo = two(s + 2), mo = two(s + 5), d = two(s + 8);
    if (hi < 0 || lo < 0 || mo < 1 || mo > 12 || d < 1)
        return -1;
    long y = hi * 100 + lo;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return -1;
    double v = (double)days_from_civil(y, (unsigned)mo, (unsigned)d);
    int t = 0;
    if (len > 10) {
        if ((s[10] != ' ' && s[10] != 'T') || len < 16 || s[13] != ':')
            return -1;
        int hh = two(s + 11), mm = two(s + 14), ss = 0;
        size_t i = 16;
        if (len >= 19 && s[16] == ':') {
            ss = two(s + 17);
            i = 19;
            if (i < len && s[i] == '.') {       /* fractional seconds, ignored */
                i++;
                while (i < len && is_digit(s[i]))
                    i++;
            }
        }
        if (i < len)                         /* a zone: the time is read as written */
            i += zone_len(s + i, len - i);
        if (i != len || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
            return -1;
        v += (hh * 3600 + mm * 60 + ss) / 86400.0;
        t = 1;
    }
    *days = v;
    if (has_time)
        *has_time = t;
    return 0;
}

int mql_date_iso_shaped(const char *s, size_t n)
{
    return n >= 10 && two(s) >= 0 && two(s + 2) >= 0 && (s[4] == '-' || s[4] == '/') &&
           two(s + 5) >= 0 && s[7] == s[4] && two(s + 8) >= 0 &&
           (n == 10 || s[10] == ' ' || s[10] == 'T');
}

int mql_date_dmy_shape(const char *s, size_t n, int *a, int *b, long *year, double *time,
                       int *has_time, char *sep)
{
    size_t i = 0;
    int f[2];
    for (int k = 0; k < 2; k++) {
        if (i >= n || !is_digit(s[i]))
            return -1;
        f[k] = s[i++] - '0';
        if (i < n && is_digit(s[i]))
            f[k] = f[k] * 10 + (s[i++] - '0');
        if (i >= n || (s[i] != '/' && s[i] != '.' && s[i] != '-') || (k == 1 && s[i] != *sep))
            return -1;
        *sep = s[i++];
    }
    if (i + 4 > n || !is_digit(s[i]) || two(s + i) < 0 || two(s + i + 2) < 0 ||
        (i + 4 < n && is_digit(s[i + 4])))
        return -1;
    *year = two(s + i) * 100 + two(s + i + 2);
    i += 4;
    *time = 0;
    *has_time = 0;
    if (i < n) {
        if ((s[i] != ' ' && s[i] != 'T') || i + 5 > n)
            return -1;
        i++;
        int hh = 0, mm, ss = 0;
        if (!is_digit(s[i]))
            return -1;
        hh = s[i++] - '0';
        if (i < n && is_digit(s[i]))
            hh = hh * 10 + (s[i++] - '0');
        if (i + 3 > n || s[i] != ':' || (mm = two(s + i + 1)) < 0)
            return -1;
        i += 3;
        if (i + 3 <= n && s[i] == ':' && (ss = two(s + i + 1)) >= 0)
            i += 3;
        if (i + 3 == n && s[i] == ' ' && (s[i + 2] | 0x20) == 'm' &&
            ((s[i + 1] | 0x20) == 'a' || (s[i + 1] | 0x20) == 'p')) {
            if (hh < 1 || hh > 12)
                return -1;
            hh = hh % 12 + ((s[i + 1] | 0x20) == 'p' ? 12 : 0);
            i += 3;
        }
        if (i != n || hh > 23 || mm > 59 || ss > 60)
            return -1;
        *time = (hh * 3600 + mm * 60 + ss) / 86400.0;
        *has_time = 1;
    }
    *a = f[0];
    *b = f[1];
    return 0;
}

int mql_date_civil_days(long y, int m, int d, double *days)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
        return -1;
    *days = (double)days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

void mql_date_format(double days, int with_time, char *buf, size_t cap)
{
    if (isnan(days)) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    double fl = floor(days);
    long z = (long)fl + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (!with_time) {
        snprintf(buf, cap, "%04ld-%02u-%02u", y, m, d);
        return;
    }
    long secs = lround((days - fl) * 86400.0);
    if (secs >= 86400)
        secs = 86399;
    snprintf(buf, cap, "%04ld-%02u-%02u %02ld:%02ld:%02ld", y, m, d, secs / 3600,
             secs / 60 % 60, secs % 60);
}

