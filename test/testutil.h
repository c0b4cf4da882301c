/* testutil.h -- shared helpers for the Check test programs. */
#ifndef CPAE_TESTUTIL_H
#define CPAE_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpae.h"

/* Assert a libcpae call succeeded, showing the detail message if not. */
#define CK_OK(call)                                                           \
    do {                                                                      \
        int32_t st_ = (call);                                                 \
        ck_assert_msg(st_ == CPAE_OK, "%s -> %d (%s): %s", #call, (int)st_,   \
                      cpae_status_string(st_), cpae_last_error());            \
    } while (0)

/* Assert a call failed with a given status and left a detail message. */
#define CK_ERR(call, expect)                                                  \
    do {                                                                      \
        int32_t st_ = (call);                                                 \
        ck_assert_msg(st_ == (expect), "%s -> %d (%s), expected %d: %s",      \
                      #call, (int)st_, cpae_status_string(st_), (int)(expect), \
                      cpae_last_error());                                     \
        ck_assert_msg(cpae_last_error()[0] != '\0',                           \
                      "%s failed without a detail message", #call);           \
    } while (0)

/* Small deterministic generator for test data (independent of libcpae's). */
static inline uint64_t tu_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static inline double tu_uniform(uint64_t *s) /* [-1, 1) */
{
    return (double)(tu_next(s) >> 11) * 0x1.0p-52 - 1.0;
}
static inline void tu_fill(float *x, int64_t n, double scale, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(scale * tu_uniform(s));
}

/* Run one suite; exit status 0 iff all tests pass. */
static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
