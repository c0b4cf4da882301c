/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* regions_walk.c -- walk the regions of an autoencoder along a segment.
 *
 * Builds a ReLU autoencoder 32-64-32-4 (mirrored), takes two phase-shifted
 * sine series p and q, and lists the exact regions the autoencoder crosses
 * on the segment from p to q, with crossing parameters and how many units
 * flip at each crossing. In every region it checks the exactness identity
 * D(E(x)) = A^D A^E x + A^D B^E + B^D at the region's midpoint, then reports
 * boundary distances and the number of regions found in balls around p.
 *
 * Usage: regions_walk [-h] [SEED]   (SEED: the weights' seed, default 1)
 * Exit status 1 if an identity fails, 2 on a bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpae.h"

#define D 32
#define CHECK(call)                                                            \
    do {                                                                       \
        int32_t st_ = (call);                                                  \
        if (st_ != CPAE_OK) {                                                  \
            fprintf(stderr, "%s failed: %s (%s)\n", #call,                     \
                    cpae_status_string(st_), cpae_last_error());               \
            exit(2);                                                           \
        }                                                                      \
    } while (0)

static void sine(float *x, double phase)
{
    for (int i = 0; i < D; i++)
        x[i] = (float)sin(2.0 * 3.14159265358979 * (i / (double)D) * 2.0 + phase);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: regions_walk [-h] [SEED]\n"
               "Walks the exact regions of a 32-64-32-4 ReLU autoencoder along a segment\n"
               "and checks each region's affine map (exit 1 if one fails).\n"
               "  SEED         seed of the weights, a non-negative integer (default 1)\n"
               "  -h, --help   this text\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c;
    opterr = 0; /* our own messages, and exit status 2 */
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (optopt)
            fprintf(stderr, "regions_walk: unknown option -%c\n", optopt);
        else
            fprintf(stderr, "regions_walk: unknown option %s\n", argv[optind - 1]);
        usage(stderr);
        return 2;
    }
    uint64_t seed = 1;
    if (argc - optind > 1) {
        fprintf(stderr, "regions_walk: unexpected argument '%s'\n", argv[optind + 1]);
        usage(stderr);
        return 2;
    }
    if (optind < argc) {
        /* The whole string, digits only (strtoull would take "-1" and "12x"). */
        const char *v = argv[optind];
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno) {
            fprintf(stderr, "regions_walk: invalid seed '%s'\n", v);
            usage(stderr);
            return 2;
        }
        seed = (uint64_t)s;
    }
    const int64_t widths[] = {D, 64, 32, 4};
    cpae_model *m = NULL;
    CHECK(cpae_model_create_mirrored(widths, 4, CPAE_ACT_RELU, seed, &m));
    int64_t n_params;
    CHECK(cpae_model_n_params(m, &n_params));
    printf("libcpae %s: autoencoder %d-64-32-4 (mirrored, ReLU), %lld parameters, seed %llu\n",
           cpae_version_string(), D, (long long)n_params, (unsigned long long)seed);

    float p[D], q[D];
    sine(p, 0.0);
    sine(q, 1.5);
    cpae_path *path = NULL;
    CHECK(cpae_model_segment(m, CPAE_AUTOENCODER, p, q, D, 1000000, &path));
    int64_t n, nb;
    CHECK(cpae_path_n_regions(path, &n));
    CHECK(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &nb));
    double *t = malloc(sizeof(double) * (size_t)n);
    cpae_code *prev = NULL, *cur = NULL;
    CHECK(cpae_path_params(path, t, n));
    CHECK(cpae_code_create(m, CPAE_AUTOENCODER, &prev));
    CHECK(cpae_code_create(m, CPAE_AUTOENCODER, &cur));
    printf("\nsegment p -> q (two phases of a sine): %lld regions of the autoencoder\n",
           (long long)n);
    printf("%6s %12s %12s %8s %8s %12s\n", "region", "t_start", "t_end", "flips", "active",
           "|DE(x)-Ax-B|");

    cpae_affine *ae = NULL;
    CHECK(cpae_affine_create(m, CPAE_AUTOENCODER, &ae));
    double worst = 0.0;
    for (int64_t k = 0; k < n; k++) {
        double t1 = k + 1 < n ? t[k + 1] : 1.0, tm = 0.5 * (t[k] + t1);
        float x[D], y[D], ya[D];
        for (int i = 0; i < D; i++)
            x[i] = (float)(p[i] + tm * ((double)q[i] - p[i]));
        CHECK(cpae_path_code(path, k, cur));
        int64_t flips = 0, active;
        if (k > 0)
            CHECK(cpae_code_hamming(prev, cur, &flips));
        CHECK(cpae_code_popcount(cur, &active));
        /* Exactness at the region's midpoint. */
        CHECK(cpae_model_affine(m, CPAE_AUTOENCODER, x, D, ae));
        CHECK(cpae_affine_apply(ae, x, 1, D, ya, D));
        CHECK(cpae_model_reconstruct(m, x, 1, D, y, D));
        double err = 0, nrm = 0;
        for (int i = 0; i < D; i++) {
            err += (double)(y[i] - ya[i]) * (y[i] - ya[i]);
            nrm += (double)y[i] * y[i];
        }
        err = sqrt(err / (nrm + 1e-30));
        if (err > worst)
            worst = err;
        if (k < 12 || k == n - 1)
            printf("%6lld %12.8f %12.8f %8lld %8lld %12.2e\n", (long long)k, t[k], t1,
                   (long long)flips, (long long)active, err);
        else if (k == 12)
            printf("%6s\n", "...");
        cpae_code *sw = prev;
        prev = cur;
        cur = sw;
    }
    printf("worst relative error of the affine identity over all regions: %.2e\n", worst);

    double r[2];
    float both[2 * D];
    memcpy(both, p, sizeof p);
    memcpy(both + D, q, sizeof q);
    CHECK(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, both, 2, D, r, 2));
    printf("\ndistance to the region boundary: r(p) = %.4g, r(q) = %.4g (|q - p| = ", r[0],
           r[1]);
    double pq = 0;
    for (int i = 0; i < D; i++)
        pq += (double)(q[i] - p[i]) * (q[i] - p[i]);
    printf("%.4g)\n", sqrt(pq));
    printf("regions among 4000 uniform samples in B(p, rho):\n");
    for (double rho = 0.5 * r[0]; rho < 100.0 * r[0] + 2.0; rho *= 4.0) {
        int64_t count;
        CHECK(cpae_model_count_regions_in_ball(m, CPAE_AUTOENCODER, p, D, rho, 4000, 7, &count));
        printf("  rho = %9.4g: %5lld regions\n", rho, (long long)count);
    }
    cpae_affine_destroy(ae);
    cpae_code_destroy(prev);
    cpae_code_destroy(cur);
    cpae_path_destroy(path);
    free(t);
    cpae_model_destroy(m);
    if (worst > 1e-5) {
        printf("FAILED: the affine identity does not hold\n");
        return 1;
    }
    printf("\nall regions verified: D(E(x)) equals its region's affine map.\n");
    return 0;
}
