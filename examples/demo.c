/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* demo.c -- `make demo`: compare a plain autoencoder with the
 * Lie-regularized one on real UCR data shipped in examples/data.
 *
 * For each data set: PCA with the same 16-dim bottleneck and the
 * training-mean predictor as references, and AE and Lie (local form) chosen
 * by the library's selection protocol (validation split of TRAIN, fixed
 * grid, step budget, early stopping, refit; docs/training.md) with the same
 * architecture, budget and seeds; prints the test reconstruction errors
 * (docs/math.md section 6), the learned generator's summary and the
 * generalization quantities of docs/math.md section 5 (decoder regions the
 * encodings occupy, distances to the region boundaries, the Lie residual);
 * writes the test reconstructions of seed 1 (with PCA's) as JSON for
 * examples/plots.py, which `make demo` runs to draw demo.png.
 *
 * Usage: demo [-h] [DATA_DIR [JSON_PATH [STEPS [SEEDS]]]]
 *        (defaults examples/data/ucr, demo.json, 1000, 2; a bad command
 *        line exits with status 2)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpae.h"

#define CHECK(call)                                                            \
    do {                                                                       \
        int32_t st_ = (call);                                                  \
        if (st_ != CPAE_OK) {                                                  \
            fprintf(stderr, "%s failed: %s (%s)\n", #call,                     \
                    cpae_status_string(st_), cpae_last_error());               \
            exit(2);                                                           \
        }                                                                      \
    } while (0)

#define N_SETS 2
#define N_SHOW 3 /* test series per data set in the figure */
static const char *const sets[N_SETS] = {"CBF", "SyntheticControl"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------- figure */

/* One series as a JSON array. */
static json_t *series_json(const float *v, int64_t d)
{
    json_t *a = json_array();
    for (int64_t j = 0; j < d; j++)
        json_array_append_new(a, json_real(v[j]));
    return a;
}

typedef struct run {
    double rel, mse, secs;
    double lr, weight;   /* selected learning rate and regularizer weight */
    int64_t best_step;   /* steps of the refit */
    cpae_model *model; /* kept for the figure and the quantities (seed 1) */
    cpae_lie *lie;
    cpae_trainer *trainer;
} run;

/* One method through the library's selection protocol (docs/training.md):
 * validation split of TRAIN, the method's fixed grid, early stopping, refit
 * on all of TRAIN; the test split is read once, afterwards. A trainer on the
 * selected model is kept for the section-5 quantities. */
static void train(int lie_method, uint64_t seed, int64_t steps, const float *x, int64_t n,
                  int64_t d, const float *xt, int64_t nt, run *r)
{
    const int64_t widths[] = {d, 128, 64, 16};
    int32_t method = lie_method ? CPAE_METHOD_LIE_LOCAL : CPAE_METHOD_AE;
    memset(r, 0, sizeof *r);
    double t0 = now();
    cpae_selection *sel;
    CHECK(cpae_selection_create(method, widths, 4, &sel));
    CHECK(cpae_selection_set_option(sel, CPAE_SEL_SEED, (double)seed));
    CHECK(cpae_selection_set_param(sel, CPAE_P_STEPS, (double)steps));
    CHECK(cpae_selection_fit(sel, x, n, d, &r->model, &r->lie));
    int64_t best, nk;
    int32_t keys[4];
    double vals[4];
    CHECK(cpae_selection_best(sel, &best));
    CHECK(cpae_selection_grid_keys(sel, keys, 4, &nk));
    CHECK(cpae_selection_candidate(sel, best, vals, 4, NULL, &r->best_step));
    r->lr = vals[0];
    r->weight = vals[1];
    cpae_selection_destroy(sel);
    r->secs = now() - t0;
    CHECK(cpae_trainer_create(r->model, r->lie, method, &r->trainer));
    if (lie_method)
        CHECK(cpae_trainer_set_param(r->trainer, CPAE_P_W_LIE_LOCAL, r->weight));
    CHECK(cpae_trainer_set_data(r->trainer, x, n, d));
    CHECK(cpae_model_evaluate(r->model, xt, nt, d, &r->mse, &r->rel));
}

/* PCA with the bottleneck's 16 components (k = 16) or the training mean
 * (k = 0), fitted on TRAIN and evaluated like any model. */
static void linear(int64_t k, const float *x, int64_t n, int64_t d, const float *xt, int64_t nt,
                   double *rel, double *mse)
{
    cpae_pca *p;
    cpae_model *m;
    CHECK(cpae_pca_fit(x, n, d, k, &p));
    CHECK(cpae_model_from_pca(p, &m));
    CHECK(cpae_model_evaluate(m, xt, nt, d, mse, rel));
    cpae_model_destroy(m);
    cpae_pca_destroy(p);
}

static void release(run *r)
{
    cpae_trainer_destroy(r->trainer);
    cpae_lie_destroy(r->lie);
    cpae_model_destroy(r->model);
}

/* docs/math.md section 5 on the training data, from the library's
 * generalization report (cpae_report_*): decoder regions of the encodings,
 * their latent boundary distances, and over nearest-neighbour pairs in
 * different regions the Lie residual fraction and tangent alignment. */
static void quantities(const char *label, const run *r, const float *x, int64_t n, int64_t d)
{
    cpae_report *rep;
    CHECK(cpae_report_create(r->model, r->lie, x, n, d, &rep));
    double v[CPAE_REPORT_N_KEYS];
    for (int32_t k = 0; k < CPAE_REPORT_N_KEYS; k++)
        CHECK(cpae_report_get(rep, k, &v[k]));
    printf("  %-12s decoder regions occupied by %lld encodings: %.0f; latent boundary "
           "distance sum %.3g, median %.3g; %.0f neighbour pairs in different regions, "
           "tangent alignment without G %.3f", label, (long long)n,
           v[CPAE_REPORT_DECODER_REGIONS], v[CPAE_REPORT_DISTANCE_SUM],
           v[CPAE_REPORT_DISTANCE_MEDIAN], v[CPAE_REPORT_N_PAIRS],
           v[CPAE_REPORT_ALIGNMENT_WITHOUT_G]);
    if (r->lie)
        printf(", with G %.3f; Lie residual %.4g (%.1f%% of the slope change)",
               v[CPAE_REPORT_ALIGNMENT], v[CPAE_REPORT_LIE_RESIDUAL],
               100.0 * v[CPAE_REPORT_LIE_RESIDUAL_FRACTION]);
    printf("\n");
    cpae_report_destroy(rep);
}

static void generator_summary(const run *r, const float *x, int64_t n, int64_t d)
{
    float *g = malloc(sizeof(float) * (size_t)(d * d)), *gs = malloc(sizeof(float) * (size_t)(d * d));
    CHECK(cpae_lie_get(r->lie, g, d * d));
    CHECK(cpae_shift_generator(d, gs, d * d));
    double asym = 0, nrm = 0, full, restricted;
    for (int64_t a = 0; a < d; a++)
        for (int64_t b = 0; b < d; b++) {
            double v = g[a * d + b];
            nrm += v * v;
            asym += (v + g[b * d + a]) * (v + g[b * d + a]);
        }
    CHECK(cpae_lie_cosine(r->lie, 0, gs, d * d, x, n, &full, &restricted));
    printf("  learned generator: %lld x %lld skew-symmetric (||G + G^T|| = %.1e), ||G|| = %.3f;"
           " cosine with the cyclic-shift generator: %.3f (restricted to the data span "
           "%.3f)\n", (long long)d, (long long)d, sqrt(asym), sqrt(nrm), full, restricted);
    free(g);
    free(gs);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: demo [-h] [DATA_DIR [JSON_PATH [STEPS [SEEDS]]]]\n"
               "PCA and the training mean vs AE and the Lie-regularized AE on CBF and\n"
               "SyntheticControl; prints the table and writes the figure data as JSON.\n"
               "  DATA_DIR     UCR folder holding CBF/ and SyntheticControl/\n"
               "               (default examples/data/ucr)\n"
               "  JSON_PATH    figure data for examples/plots.py (default demo.json)\n"
               "  STEPS        step budget per candidate, 1..1000000000 (default 1000)\n"
               "  SEEDS        seeds 1..SEEDS, SEEDS in 1..16 (default 2)\n"
               "  -h, --help   this text\n");
}

/* Strict number parsing: the whole string, within [lo, hi]. */
static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int bad_arg(const char *what, const char *v)
{
    fprintf(stderr, "demo: invalid %s '%s'\n", what, v);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int opt;
    opterr = 0; /* our own messages, and exit status 2 */
    while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        if (optopt)
            fprintf(stderr, "demo: unknown option -%c\n", optopt);
        else
            fprintf(stderr, "demo: unknown option %s\n", argv[optind - 1]);
        usage(stderr);
        return 2;
    }
    char **arg = argv + optind;
    int n_arg = argc - optind;
    const char *dir = n_arg > 0 ? arg[0] : "examples/data/ucr";
    const char *json_path = n_arg > 1 ? arg[1] : "demo.json";
    int64_t steps = 1000, seeds = 2;
    if (n_arg > 4) {
        fprintf(stderr, "demo: unexpected argument '%s'\n", arg[4]);
        usage(stderr);
        return 2;
    }
    if (n_arg > 2 && parse_i64(arg[2], 1, 1000000000, &steps))
        return bad_arg("STEPS", arg[2]);
    if (n_arg > 3 && parse_i64(arg[3], 1, 16, &seeds))
        return bad_arg("SEEDS", arg[3]);
    printf("libcpae %s demo: PCA-16 and the training mean vs AE and Lie-regularized AE (local "
           "form), architecture d-128-64-16 mirrored, ReLU, PCA-informed start, selection on "
           "a 20%% validation split of TRAIN over the fixed grid (docs/training.md), budget "
           "%lld steps per candidate, refit on TRAIN, seeds 1..%lld\n\n",
           cpae_version_string(), (long long)steps, (long long)seeds);
    json_t *fig_sets = json_array();
    printf("| data set | method | test rel. error x10^-2 | test MSE x10^-2 | seconds/run | "
           "selected (seed 1) |\n|---|---|---:|---:|---:|---|\n");
    run keep[N_SETS][2];
    for (int s = 0; s < N_SETS; s++) {
        char tr_path[512], te_path[512];
        snprintf(tr_path, sizeof tr_path, "%s/%s/%s_TRAIN.tsv.gz", dir, sets[s], sets[s]);
        snprintf(te_path, sizeof te_path, "%s/%s/%s_TEST.tsv.gz", dir, sets[s], sets[s]);
        cpae_dataset *tr = NULL, *te = NULL;
        CHECK(cpae_dataset_load(tr_path, CPAE_FORMAT_UCR, &tr));
        CHECK(cpae_dataset_load(te_path, CPAE_FORMAT_UCR, &te));
        int64_t n, nt, d;
        const float *x, *xt;
        CHECK(cpae_dataset_info(tr, &n, &d, NULL));
        CHECK(cpae_dataset_info(te, &nt, NULL, NULL));
        CHECK(cpae_dataset_data(tr, &x));
        CHECK(cpae_dataset_data(te, &xt));
        for (int k = 16; k >= 0; k -= 16) {
            double rel, mse;
            linear(k, x, n, d, xt, nt, &rel, &mse);
            printf("| %s (%lld/%lld, d=%lld) | %s | %.2f | %.2f | - | fitted on TRAIN |\n",
                   sets[s], (long long)n, (long long)nt, (long long)d,
                   k ? "PCA (k = 16)" : "training mean", 100 * rel, 100 * mse);
        }
        for (int lie = 0; lie < 2; lie++) {
            double rel[16], mse[16], secs = 0, mr = 0, mm = 0, sr = 0, sm = 0;
            for (int64_t k = 0; k < seeds; k++) {
                run r;
                train(lie, (uint64_t)(k + 1), steps, x, n, d, xt, nt, &r);
                rel[k] = r.rel;
                mse[k] = r.mse;
                secs += r.secs;
                if (k == 0)
                    keep[s][lie] = r;
                else
                    release(&r);
            }
            for (int64_t k = 0; k < seeds; k++) {
                mr += rel[k] / (double)seeds;
                mm += mse[k] / (double)seeds;
            }
            for (int64_t k = 0; k < seeds; k++) {
                sr += (rel[k] - mr) * (rel[k] - mr);
                sm += (mse[k] - mm) * (mse[k] - mm);
            }
            sr = seeds > 1 ? sqrt(sr / (double)(seeds - 1)) : 0;
            sm = seeds > 1 ? sqrt(sm / (double)(seeds - 1)) : 0;
            printf("| %s (%lld/%lld, d=%lld) | %s | %.2f ± %.2f | %.2f ± %.2f | %.1f | "
                   "lr %g, %s %g, %lld steps |\n",
                   sets[s], (long long)n, (long long)nt, (long long)d,
                   lie ? "Lie (local)" : "AE", 100 * mr, 100 * sr, 100 * mm, 100 * sm,
                   secs / (double)seeds, keep[s][lie].lr, lie ? "lambda_lie" : "weight decay",
                   keep[s][lie].weight, (long long)keep[s][lie].best_step);
            fflush(stdout);
        }
        /* Figure data: test series, PCA-16's and both reconstructions (seed 1). */
        float *ya = malloc(sizeof(float) * (size_t)d), *yl = malloc(sizeof(float) * (size_t)d);
        float *yp = malloc(sizeof(float) * (size_t)d);
        cpae_pca *pca;
        cpae_model *pm;
        CHECK(cpae_pca_fit(x, n, d, 16, &pca));
        CHECK(cpae_model_from_pca(pca, &pm));
        json_t *panels = json_array();
        for (int c = 0; c < N_SHOW; c++) {
            int64_t i = (int64_t)c * (nt / N_SHOW);
            const float *xi = xt + i * d;
            CHECK(cpae_model_reconstruct(keep[s][0].model, xi, 1, d, ya, d));
            CHECK(cpae_model_reconstruct(keep[s][1].model, xi, 1, d, yl, d));
            CHECK(cpae_model_reconstruct(pm, xi, 1, d, yp, d));
            json_array_append_new(panels, json_pack("{s:I, s:o, s:o, s:o, s:o}", "index",
                                                    (json_int_t)i, "test series",
                                                    series_json(xi, d), "PCA-16",
                                                    series_json(yp, d), "AE",
                                                    series_json(ya, d), "Lie (local)",
                                                    series_json(yl, d)));
        }
        json_array_append_new(fig_sets, json_pack("{s:s, s:o}", "name", sets[s], "panels",
                                                  panels));
        cpae_model_destroy(pm);
        cpae_pca_destroy(pca);
        free(yp);
        free(ya);
        free(yl);
        cpae_dataset_destroy(te);
        printf("\n%s, generalization quantities on the %lld training samples (seed 1):\n",
               sets[s], (long long)n);
        quantities("AE", &keep[s][0], x, n, d);
        quantities("Lie (local)", &keep[s][1], x, n, d);
        generator_summary(&keep[s][1], x, n, d);
        printf("\n");
        if (s + 1 < N_SETS)
            printf("| data set | method | test rel. error x10^-2 | test MSE x10^-2 | "
                   "seconds/run | selected (seed 1) |\n|---|---|---:|---:|---:|---|\n");
        release(&keep[s][0]);
        release(&keep[s][1]);
        cpae_dataset_destroy(tr);
    }
    json_t *root = json_pack("{s:o}", "sets", fig_sets);
    if (json_dump_file(root, json_path, JSON_COMPACT | JSON_REAL_PRECISION(7))) {
        fprintf(stderr, "demo: cannot write %s\n", json_path);
        return 1;
    }
    json_decref(root);
    printf("figure data: %s (drawn by examples/plots.py demo)\n", json_path);
    return 0;
}
