/* testutil.h: shared includes and helpers for the cmocka unit tests. */
#ifndef MQLCAL_TESTUTIL_H
#define MQLCAL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* assert |got - want| <= abs_tol + rel_tol * |want|, printing both on failure. */
#define assert_close(got, want, rel_tol, abs_tol)                                              \
    do {                                                                                       \
        double g_ = (got), w_ = (want);                                                        \
        double t_ = (abs_tol) + (rel_tol) * fabs(w_);                                          \
        if (!(fabs(g_ - w_) <= t_))                                                            \
            fail_msg("%s = %.17g, expected %.17g (tolerance %.3g)", #got, g_, w_, t_);         \
    } while (0)

/* The next uniform on [0, 1) of the tests' fixed 64-bit linear congruential sequence (Knuth's
 * MMIX constants, the top 53 bits), advancing *seed: the same draws on every machine. */
static inline double lcg_uniform(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005u + 1442695040888963407u;
    return (double)(*seed >> 11) / 9007199254740992.0;
}

/* Writes text to a fresh temporary file and returns its path (static buffer per call site). */
static inline const char *write_temp(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/mqlcal-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

#endif
