/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* version_check.c -- the header's version macros agree with each other and
 * with the linked library's runtime version (sqlite's assert-match recipe). */
#include "cpae.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
    char expect[32];
    int fail = 0;
    snprintf(expect, sizeof expect, "%d.%d.%d", CPAE_VERSION_MAJOR,
             CPAE_VERSION_MINOR, CPAE_VERSION_PATCH);
    if (strcmp(expect, CPAE_VERSION_STRING) != 0) {
        printf("FAIL: check_version: CPAE_VERSION_STRING \"%s\" but the "
               "MAJOR.MINOR.PATCH macros say \"%s\"\n", CPAE_VERSION_STRING, expect);
        fail = 1;
    }
    if (cpae_version_number() != (uint32_t)CPAE_VERSION_NUMBER) {
        printf("FAIL: check_version: header CPAE_VERSION_NUMBER %d, library "
               "cpae_version_number() %u\n", CPAE_VERSION_NUMBER,
               (unsigned)cpae_version_number());
        fail = 1;
    }
    const char *rt = cpae_version_string();
    if (!rt || strcmp(rt, CPAE_VERSION_STRING) != 0) {
        printf("FAIL: check_version: header CPAE_VERSION_STRING \"%s\", library "
               "cpae_version_string() \"%s\"\n", CPAE_VERSION_STRING, rt ? rt : "(null)");
        fail = 1;
    }
    const char *info = cpae_build_info();
    if (!info || !strstr(info, CPAE_VERSION_STRING)) {
        printf("FAIL: check_version: cpae_build_info() does not name version %s: "
               "\"%s\"\n", CPAE_VERSION_STRING, info ? info : "(null)");
        fail = 1;
    }
    if (!fail)
        printf("PASS: check_version: header and library are both %s (%d)\n",
               CPAE_VERSION_STRING, CPAE_VERSION_NUMBER);
    return fail;
}
