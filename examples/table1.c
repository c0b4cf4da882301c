/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* table1.c -- the paper's Table 1 under the protocol of docs/training.md.
 *
 * For each data set: PCA with the bottleneck's k components and the
 * training-mean predictor (both fitted on TRAIN), and the five autoencoder
 * methods (AE, denoising, higher-order contractive, Lie local, Lie exact),
 * each chosen by cpae_selection_fit on a validation split of TRAIN with a
 * step budget identical for every method. The TEST split is loaded only
 * after every model of the data set is trained, and read once to report
 * the test reconstruction error (docs/math.md section 6): mean relative
 * error and MSE per element, x 10^-2, mean +- std over seeds. A one-sided
 * paired t-test over seeds compares the better Lie form with the best
 * other method (PCA and the mean included); the best entry of a row is
 * bold only when it is significantly better (p < 0.05) than the runner-up,
 * otherwise the row says "tie". Same table as Markdown, CSV and JSON; the
 * CSV records each run's selected hyperparameters.
 *
 * Data sets are given by path:
 *   - a UCR directory DIR holding NAME_TRAIN.tsv[.gz] and NAME_TEST.tsv[.gz]
 *     (NAME = the directory's name; NAME_TEST_APPROX.tsv.gz is used, and
 *     marked, when only that exists);
 *   - an IDX directory holding train-images-idx3-ubyte[.gz],
 *     train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] (MNIST,
 *     Fashion-MNIST).
 * UCR series are used as the archive ships them (z-normalised per series);
 * images are standardised per pixel with training-set statistics.
 * Runs split over seeds (--first-seed) are combined with --merge.
 *
 * Usage: table1 [options] PATH...  |  table1 --merge [options] CSV...
 * (table1 --help lists the options; bad options exit with status 2.)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cpae.h"

#define MAX_SETS 64
#define MAX_SEEDS 32
#define N_METHODS 7
#define SEL_LEN 160

enum { M_PCA, M_MEAN, M_AE, M_DAE, M_HOC, M_LIE_LOCAL, M_LIE_EXACT };
static const char *const method_key[N_METHODS] = {"pca", "mean", "ae", "dae", "hoc",
                                                  "lie-local", "lie-exact"};
static const char *const method_name[N_METHODS] = {"PCA", "Mean", "AE", "Den. AE",
                                                   "H.O.C. AE", "Lie (local)", "Lie (exact)"};
static const int32_t method_id[N_METHODS] = {-1, -1, CPAE_METHOD_AE, CPAE_METHOD_DENOISING,
                                             CPAE_METHOD_HOC, CPAE_METHOD_LIE_LOCAL,
                                             CPAE_METHOD_LIE_EXACT};
static int is_lie(int mi) { return mi == M_LIE_LOCAL || mi == M_LIE_EXACT; }

typedef struct options {
    int64_t steps, epochs, batch, patience, seeds, first_seed, max_train, max_test;
    int64_t widths[8], n_widths;
    double valid;
    int32_t init, refit, neighbours;
    double samplers[3], forms[2]; /* one value: fixed; several: grid axes */
    int n_samplers, n_forms;
    int use[N_METHODS];
    const char *md, *csv, *json;
    int quiet, merge;
} options;

typedef struct cell {
    int have;
    double rel, mse, secs;
    char sel[SEL_LEN]; /* selected hyperparameters, "key=value;..." */
} cell;

typedef struct result {
    char name[128];
    int approx;
    int64_t n_train, n_test, d;
    cell c[N_METHODS][MAX_SEEDS]; /* by seed number - 1 */
} result;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: table1 [options] PATH...       train, select, test, report\n"
            "       table1 --merge [options] CSV... report CSVs of earlier runs together\n"
            "  -s, --seeds N          number of seeds (default 5)\n"
            "      --first-seed S     seeds are S..S+N-1 (default 1)\n"
            "  -w, --widths LIST      hidden widths, e.g. 128,64,16 (default; last = k)\n"
            "  -m, --methods LIST     among pca,mean,ae,dae,hoc,lie-local,lie-exact\n"
            "                         (default all)\n"
            "      --steps N          optimiser-step budget per candidate (default 2000)\n"
            "  -e, --epochs N         budget as N epochs of the training part instead\n"
            "  -b, --batch N          batch size (default 32)\n"
            "      --patience N       validations (every 10 steps) without improvement\n"
            "                         before stopping (default 20; 0: never)\n"
            "      --valid F          validation fraction of TRAIN (default 0.2)\n"
            "      --init I           pca (default) or random\n"
            "      --no-refit         keep the selected model as trained on the training\n"
            "                         part (default: refit on all of TRAIN)\n"
            "      --sampler S        Lie local sampler: data (default), ball, facet;\n"
            "                         a comma list (e.g. data,ball) makes it a grid axis\n"
            "                         chosen on validation\n"
            "      --form F           Lie form: plain (default), tangent; a list as above\n"
            "      --neighbours K     Lie local neighbours (default 1)\n"
            "      --max-train N, --max-test N   use the first N samples (default all)\n"
            "      --md FILE, --csv FILE, --json FILE   also write the report there\n"
            "  -q, --quiet            no per-run progress\n"
            "  -h, --help             this text\n"
            "The grid searched for each method is fixed in the library (docs/training.md).\n");
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

static int parse_f64(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_list(const char *s, int64_t *out, int max)
{
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == max || parse_i64(tok, 1, 1 << 20, &out[n]))
            return -1;
        n++;
    }
    return n;
}

static int method_index(const char *key)
{
    for (int mi = 0; mi < N_METHODS; mi++)
        if (!strcmp(key, method_key[mi]))
            return mi;
    return -1;
}

static int parse_methods(const char *s, int *use)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    memset(use, 0, N_METHODS * sizeof *use);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int mi = method_index(tok);
        if (mi < 0) {
            fprintf(stderr, "table1: unknown method '%s'\n", tok);
            return -1;
        }
        use[mi] = 1;
        n++;
    }
    return n > 0 ? 0 : -1;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* First of "<dir>/<stem><ext>" with ext in {".gz", ""} that exists. */
static int find(char *out, size_t cap, const char *dir, const char *stem)
{
    snprintf(out, cap, "%s/%s.gz", dir, stem);
    if (exists(out))
        return 1;
    snprintf(out, cap, "%s/%s", dir, stem);
    return exists(out);
}

static void report_fail(const char *what, int32_t st)
{
    fprintf(stderr, "table1: %s: %s (%s)\n", what, cpae_status_string(st), cpae_last_error());
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ loading */

typedef struct source {
    char dir[1024], test_path[1200], test_labels[1200];
    int idx;
    cpae_normalizer *norm; /* IDX: fitted on TRAIN, applied to TEST later */
} source;

/* Load TRAIN (normalised as the protocol says) and note where TEST is; the
 * test split itself is not opened here. */
static int load_train(const char *path, const options *o, result *r, source *src,
                      cpae_dataset **train)
{
    char a[1200], b[1200], stem[300];
    snprintf(src->dir, sizeof src->dir, "%s", path);
    size_t len = strlen(src->dir);
    while (len > 1 && src->dir[len - 1] == '/')
        src->dir[--len] = '\0';
    const char *base = strrchr(src->dir, '/') ? strrchr(src->dir, '/') + 1 : src->dir;
    snprintf(r->name, sizeof r->name, "%s", base);
    int32_t st;
    *train = NULL;
    src->norm = NULL;
    src->idx = find(a, sizeof a, src->dir, "train-images-idx3-ubyte");
    if (src->idx) {
        if (!find(b, sizeof b, src->dir, "train-labels-idx1-ubyte") ||
            !find(src->test_path, sizeof src->test_path, src->dir, "t10k-images-idx3-ubyte")) {
            fprintf(stderr, "table1: %s: incomplete IDX directory\n", src->dir);
            return -1;
        }
        if (!find(src->test_labels, sizeof src->test_labels, src->dir, "t10k-labels-idx1-ubyte"))
            src->test_labels[0] = '\0';
        if ((st = cpae_dataset_load_idx(a, b, train))) {
            report_fail(a, st);
            return -1;
        }
        if ((st = cpae_normalizer_fit(*train, CPAE_NORM_FEATURE_Z, &src->norm)) ||
            (st = cpae_normalizer_apply(src->norm, *train))) {
            report_fail("normalisation", st);
            return -1;
        }
    } else {
        snprintf(stem, sizeof stem, "%s_TRAIN.tsv", base);
        if (!find(a, sizeof a, src->dir, stem)) {
            fprintf(stderr, "table1: %s: no %s[.gz] (and no IDX files)\n", src->dir, stem);
            return -1;
        }
        snprintf(stem, sizeof stem, "%s_TEST.tsv", base);
        r->approx = 0;
        if (!find(src->test_path, sizeof src->test_path, src->dir, stem)) {
            snprintf(stem, sizeof stem, "%s_TEST_APPROX.tsv", base);
            if (!find(src->test_path, sizeof src->test_path, src->dir, stem)) {
                fprintf(stderr, "table1: %s: no test split, skipped\n", src->dir);
                return -1;
            }
            r->approx = 1;
        }
        if ((st = cpae_dataset_load(a, CPAE_FORMAT_UCR, train))) {
            report_fail(a, st);
            return -1;
        }
    }
    if ((st = cpae_dataset_info(*train, &r->n_train, &r->d, NULL))) {
        report_fail(path, st);
        return -1;
    }
    if (o->max_train > 0 && r->n_train > o->max_train)
        r->n_train = o->max_train;
    return 0;
}

static int load_test(const source *src, const options *o, result *r, cpae_dataset **test)
{
    int32_t st = src->idx ? cpae_dataset_load_idx(src->test_path, src->test_labels[0]
                                                                     ? src->test_labels : NULL,
                                                  test)
                          : cpae_dataset_load(src->test_path, CPAE_FORMAT_UCR, test);
    if (!st && src->norm)
        st = cpae_normalizer_apply(src->norm, *test);
    if (!st)
        st = cpae_dataset_info(*test, &r->n_test, NULL, NULL);
    if (st) {
        report_fail(src->test_path, st);
        return -1;
    }
    if (o->max_test > 0 && r->n_test > o->max_test)
        r->n_test = o->max_test;
    return 0;
}

/* ----------------------------------------------------------- training */

static const char *key_name(int32_t key)
{
    switch (key) {
    case CPAE_P_LEARNING_RATE: return "lr";
    case CPAE_P_WEIGHT_DECAY: return "weight_decay";
    case CPAE_P_NOISE_SIGMA: return "noise_sigma";
    case CPAE_P_W_CONTRACTIVE: return "w_contractive";
    case CPAE_P_W_HIGHER_ORDER: return "w_higher_order";
    case CPAE_P_W_LIE_LOCAL: return "w_lie_local";
    case CPAE_P_W_LIE_EXACT: return "w_lie_exact";
    case CPAE_P_LIE_SAMPLER: return "lie_sampler";
    case CPAE_P_LIE_FORM: return "lie_form";
    default: return "key";
    }
}

/* Train one autoencoder method with one seed through the library's
 * selection; writes the chosen hyperparameters into sel. */
static int train_ae(const options *o, int mi, uint64_t seed, const float *x, int64_t n,
                    int64_t d, cpae_model **model, char *sel)
{
    int64_t widths[10];
    widths[0] = d;
    for (int64_t i = 0; i < o->n_widths; i++)
        widths[i + 1] = o->widths[i];
    cpae_selection *s = NULL;
    cpae_lie *lie = NULL;
    int64_t steps = o->steps;
    if (o->epochs > 0) { /* epochs of the training part, in steps */
        int64_t ntr = n - (int64_t)llround(o->valid * (double)n), bs = o->batch;
        ntr = ntr < 1 ? 1 : ntr;
        steps = o->epochs * (bs >= ntr ? 1 : ntr / bs);
    }
    int32_t st = cpae_selection_create(method_id[mi], widths, o->n_widths + 1, &s);
    if (!st) st = cpae_selection_set_option(s, CPAE_SEL_SEED, (double)seed);
    if (!st) st = cpae_selection_set_option(s, CPAE_SEL_VALID_FRACTION, o->valid);
    if (!st) st = cpae_selection_set_option(s, CPAE_SEL_INIT, o->init);
    if (!st) st = cpae_selection_set_option(s, CPAE_SEL_REFIT, o->refit);
    if (!st) st = cpae_selection_set_param(s, CPAE_P_STEPS, (double)steps);
    if (!st) st = cpae_selection_set_param(s, CPAE_P_BATCH_SIZE, (double)o->batch);
    if (!st) st = cpae_selection_set_param(s, CPAE_P_PATIENCE, (double)o->patience);
    /* The sampler and the form: fixed, or grid axes chosen on validation. */
    if (!st && mi == M_LIE_LOCAL) {
        st = o->n_samplers == 1
                 ? cpae_selection_set_param(s, CPAE_P_LIE_SAMPLER, o->samplers[0])
                 : cpae_selection_set_grid(s, CPAE_P_LIE_SAMPLER, o->samplers, o->n_samplers);
        if (!st) st = cpae_selection_set_param(s, CPAE_P_LIE_NEIGHBOURS, o->neighbours);
    }
    if (!st && is_lie(mi))
        st = o->n_forms == 1 ? cpae_selection_set_param(s, CPAE_P_LIE_FORM, o->forms[0])
                             : cpae_selection_set_grid(s, CPAE_P_LIE_FORM, o->forms, o->n_forms);
    if (!st)
        st = cpae_selection_fit(s, x, n, d, model, &lie);
    int64_t best, n_keys = 0, step;
    int32_t keys[8];
    double vals[8], val;
    if (!st && !(st = cpae_selection_best(s, &best)) &&
        !(st = cpae_selection_grid_keys(s, keys, 8, &n_keys)) &&
        !(st = cpae_selection_candidate(s, best, vals, 8, &val, &step))) {
        size_t used = 0;
        for (int64_t i = 0; i < n_keys; i++)
            used += (size_t)snprintf(sel + used, SEL_LEN - used, "%s=%g;", key_name(keys[i]),
                                     vals[i]);
        snprintf(sel + used, SEL_LEN - used, "best_step=%lld", (long long)step);
    }
    if (st)
        report_fail(method_name[mi], st);
    cpae_lie_destroy(lie);
    cpae_selection_destroy(s);
    return st ? -1 : 0;
}

/* A linear baseline fitted on all of TRAIN (k = bottleneck, or 0). */
static int train_linear(const options *o, int mi, const float *x, int64_t n, int64_t d,
                        cpae_model **model, char *sel)
{
    int64_t k = mi == M_PCA ? o->widths[o->n_widths - 1] : 0;
    if (k > n)
        k = n;
    if (k > d)
        k = d;
    cpae_pca *p = NULL;
    int32_t st = cpae_pca_fit(x, n, d, k, &p);
    if (!st)
        st = cpae_model_from_pca(p, model);
    cpae_pca_destroy(p);
    snprintf(sel, SEL_LEN, "k=%lld", (long long)k);
    if (st)
        report_fail(method_name[mi], st);
    return st ? -1 : 0;
}

/* ---------------------------------------------------------- statistics */

static void mean_std(const cell *c, int use_rel, double *mean, double *std, int *count)
{
    double s = 0, s2 = 0;
    int n = 0;
    for (int k = 0; k < MAX_SEEDS; k++)
        if (c[k].have) {
            s += use_rel ? c[k].rel : c[k].mse;
            n++;
        }
    *mean = n ? s / n : NAN;
    for (int k = 0; k < MAX_SEEDS; k++)
        if (c[k].have) {
            double v = (use_rel ? c[k].rel : c[k].mse) - *mean;
            s2 += v * v;
        }
    *std = n > 1 ? sqrt(s2 / (n - 1)) : 0.0;
    if (count)
        *count = n;
}

/* One-sided paired t-test of H1: a < b over the seeds both have. */
typedef struct paired {
    int n;
    double mean, sd, t, p;
} paired;

static paired paired_test(const cell *a, const cell *b, int use_rel)
{
    paired r = {0, NAN, NAN, NAN, NAN};
    double diff[MAX_SEEDS], s = 0, s2 = 0;
    for (int k = 0; k < MAX_SEEDS; k++)
        if (a[k].have && b[k].have) {
            diff[r.n] = use_rel ? a[k].rel - b[k].rel : a[k].mse - b[k].mse;
            s += diff[r.n++];
        }
    if (r.n < 2)
        return r;
    r.mean = s / r.n;
    for (int i = 0; i < r.n; i++)
        s2 += (diff[i] - r.mean) * (diff[i] - r.mean);
    r.sd = sqrt(s2 / (r.n - 1));
    if (r.sd > 0) {
        r.t = r.mean / (r.sd / sqrt((double)r.n));
        r.p = gsl_cdf_tdist_P(r.t, (double)(r.n - 1));
    } else { /* every difference equal: certain either way */
        r.t = r.mean < 0 ? -INFINITY : r.mean > 0 ? INFINITY : 0;
        r.p = r.mean < 0 ? 0.0 : 1.0;
    }
    return r;
}

/* The method with the lowest mean among those allowed (-1: none). */
static int best_of(const options *o, const result *r, int use_rel, int lie, int skip)
{
    int best = -1;
    double bm = INFINITY, mean, sd;
    for (int mi = 0; mi < N_METHODS; mi++) {
        if (!o->use[mi] || mi == skip || (lie == 1 && !is_lie(mi)) || (lie == 0 && is_lie(mi)))
            continue;
        int cnt;
        mean_std(r->c[mi], use_rel, &mean, &sd, &cnt);
        if (cnt && mean < bm) {
            bm = mean;
            best = mi;
        }
    }
    return best;
}

/* ------------------------------------------------------------ reports */

static void header_row(FILE *f, const options *o, const char *first, const char *last)
{
    fprintf(f, "| %s |", first);
    for (int mi = 0; mi < N_METHODS; mi++)
        if (o->use[mi])
            fprintf(f, " %s |", method_name[mi]);
    fprintf(f, "%s\n|---|", last ? last : "");
    for (int mi = 0; mi < N_METHODS; mi++)
        if (o->use[mi])
            fprintf(f, "---:|");
    fprintf(f, "%s\n", last ? "---|" : "");
}

/* Metric table (x 10^-2): the best mean is bold only when it beats the
 * runner-up significantly (one-sided paired t-test, p < 0.05). */
static void print_metric(FILE *f, const options *o, const result *rs, int n_sets, int use_rel)
{
    header_row(f, o, "data set (n_train/n_test, d)", " verdict |");
    for (int s = 0; s < n_sets; s++) {
        const result *r = &rs[s];
        int best = best_of(o, r, use_rel, -1, -1), second = best_of(o, r, use_rel, -1, best);
        paired pt = best >= 0 && second >= 0 ? paired_test(r->c[best], r->c[second], use_rel)
                                             : (paired){0, NAN, NAN, NAN, NAN};
        int sig = pt.p < 0.05;
        fprintf(f, "| %s%s (%lld/%lld, %lld) |", r->name, r->approx ? "*" : "",
                (long long)r->n_train, (long long)r->n_test, (long long)r->d);
        for (int mi = 0; mi < N_METHODS; mi++) {
            if (!o->use[mi])
                continue;
            double mean, sd;
            int cnt;
            mean_std(r->c[mi], use_rel, &mean, &sd, &cnt);
            if (!cnt) {
                fprintf(f, " n/a |");
                continue;
            }
            const char *b = mi == best && sig ? "**" : "";
            fprintf(f, " %s%.2f%s ± %.2f |", b, 100 * mean, b, 100 * sd);
        }
        if (best < 0 || second < 0)
            fprintf(f, " - |\n");
        else
            fprintf(f, " %s %s %s %s (p = %.3g) |\n", sig ? "best:" : "tie:", method_name[best],
                    sig ? "over" : "vs", method_name[second], pt.p);
    }
}

/* Better Lie form against the best other method, per seed and paired. */
static void print_paired(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "| data set | better Lie form | best other | Lie - other per seed (x 10^-2) | "
               "mean ± std | t | p (one-sided) |\n|---|---|---|---|---:|---:|---:|\n");
    for (int s = 0; s < n_sets; s++) {
        const result *r = &rs[s];
        int lie = best_of(o, r, 1, 1, -1), other = best_of(o, r, 1, 0, -1);
        if (lie < 0 || other < 0)
            continue;
        paired pt = paired_test(r->c[lie], r->c[other], 1);
        fprintf(f, "| %s | %s | %s |", r->name, method_name[lie], method_name[other]);
        for (int k = 0; k < MAX_SEEDS; k++)
            if (r->c[lie][k].have && r->c[other][k].have)
                fprintf(f, " %+.2f", 100 * (r->c[lie][k].rel - r->c[other][k].rel));
        fprintf(f, " | %+.2f ± %.2f | %.2f | %.3g |\n", 100 * pt.mean, 100 * pt.sd, pt.t, pt.p);
    }
}

static void print_selected(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "| data set | method | selected per seed |\n|---|---|---|\n");
    for (int s = 0; s < n_sets; s++)
        for (int mi = M_AE; mi < N_METHODS; mi++) {
            if (!o->use[mi])
                continue;
            fprintf(f, "| %s | %s |", rs[s].name, method_name[mi]);
            for (int k = 0; k < MAX_SEEDS; k++)
                if (rs[s].c[mi][k].have)
                    fprintf(f, " s%d: %s<br>", k + 1, rs[s].c[mi][k].sel);
            fprintf(f, " |\n");
        }
}

static void write_tables(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "Test mean relative error ||x^ - x|| / ||x||, x 10^-2 (mean ± std over seeds):"
               "\n\n");
    print_metric(f, o, rs, n_sets, 1);
    fprintf(f, "\nTest MSE per element, x 10^-2:\n\n");
    print_metric(f, o, rs, n_sets, 0);
    fprintf(f, "\nPaired comparison on the relative error (one-sided t-test, H1: the Lie "
               "form is lower):\n\n");
    print_paired(f, o, rs, n_sets);
    fprintf(f, "\nSelected hyperparameters (validation split of TRAIN):\n\n");
    print_selected(f, o, rs, n_sets);
    fprintf(f, "\nTraining time per run (selection + refit), seconds (mean over seeds):\n\n");
    header_row(f, o, "data set", NULL);
    for (int s = 0; s < n_sets; s++) {
        fprintf(f, "| %s |", rs[s].name);
        for (int mi = 0; mi < N_METHODS; mi++) {
            if (!o->use[mi])
                continue;
            double t = 0;
            int n = 0;
            for (int k = 0; k < MAX_SEEDS; k++)
                if (rs[s].c[mi][k].have) {
                    t += rs[s].c[mi][k].secs;
                    n++;
                }
            if (n)
                fprintf(f, " %.2f |", t / n);
            else
                fprintf(f, " n/a |");
        }
        fprintf(f, "\n");
    }
    for (int s = 0; s < n_sets; s++)
        if (rs[s].approx) {
            fprintf(f, "\n\\* test split is the approximate copy (see PROVENANCE).\n");
            break;
        }
}

static const char CSV_HEADER[] =
    "dataset,approx,n_train,n_test,d,method,seed,rel_error,mse,seconds,selected";

static void write_csv(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "%s\n", CSV_HEADER);
    for (int s = 0; s < n_sets; s++)
        for (int mi = 0; mi < N_METHODS; mi++)
            for (int k = 0; k < MAX_SEEDS; k++)
                if (o->use[mi] && rs[s].c[mi][k].have)
                    fprintf(f, "%s,%d,%lld,%lld,%lld,%s,%d,%.9g,%.9g,%.4f,%s\n", rs[s].name,
                            rs[s].approx, (long long)rs[s].n_train, (long long)rs[s].n_test,
                            (long long)rs[s].d, method_key[mi], k + 1, rs[s].c[mi][k].rel,
                            rs[s].c[mi][k].mse, rs[s].c[mi][k].secs, rs[s].c[mi][k].sel);
}

static void write_json(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "{\n  \"protocol\": {\"steps\": %lld, \"batch\": %lld, \"patience\": %lld, "
               "\"valid\": %g, \"init\": \"%s\", \"refit\": %d, \"widths\": [",
            (long long)o->steps, (long long)o->batch, (long long)o->patience, o->valid,
            o->init == CPAE_INIT_PCA ? "pca" : "random", (int)o->refit);
    for (int64_t i = 0; i < o->n_widths; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)o->widths[i]);
    fprintf(f, "]},\n  \"results\": [\n");
    int first = 1;
    for (int s = 0; s < n_sets; s++)
        for (int mi = 0; mi < N_METHODS; mi++) {
            double rm, rsd, mm, msd;
            int cnt;
            mean_std(rs[s].c[mi], 1, &rm, &rsd, &cnt);
            mean_std(rs[s].c[mi], 0, &mm, &msd, NULL);
            if (!o->use[mi] || !cnt)
                continue;
            fprintf(f, "%s    {\"dataset\": \"%s\", \"method\": \"%s\", \"seeds\": %d, "
                       "\"rel_mean\": %.9g, \"rel_std\": %.9g, \"mse_mean\": %.9g, "
                       "\"mse_std\": %.9g, \"runs\": [", first ? "" : ",\n", rs[s].name,
                    method_key[mi], cnt, rm, rsd, mm, msd);
            int fr = 1;
            for (int k = 0; k < MAX_SEEDS; k++)
                if (rs[s].c[mi][k].have) {
                    fprintf(f, "%s{\"seed\": %d, \"rel\": %.9g, \"mse\": %.9g, \"seconds\": "
                               "%.4g, \"selected\": \"%s\"}", fr ? "" : ", ", k + 1,
                            rs[s].c[mi][k].rel, rs[s].c[mi][k].mse, rs[s].c[mi][k].secs,
                            rs[s].c[mi][k].sel);
                    fr = 0;
                }
            fprintf(f, "]}");
            first = 0;
        }
    fprintf(f, "\n  ]\n}\n");
}

static int write_file(const char *path, void (*fn)(FILE *, const options *, const result *, int),
                      const options *o, const result *rs, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    fn(f, o, rs, n);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- merge */

/* Read table1 CSVs into rs; a (data set, method, seed) seen twice, a data
 * set with different sizes in two files, or a malformed line is an error. */
static int merge_csv(int n_files, char **files, options *o, result *rs, int *n_sets)
{
    memset(o->use, 0, sizeof o->use);
    for (int fi = 0; fi < n_files; fi++) {
        FILE *f = fopen(files[fi], "r");
        if (!f) {
            perror(files[fi]);
            return -1;
        }
        char line[1024];
        int ln = 0, bad = 0;
        while (!bad && fgets(line, sizeof line, f)) {
            ln++;
            line[strcspn(line, "\r\n")] = '\0';
            if (ln == 1) {
                bad = strcmp(line, CSV_HEADER) != 0;
                continue;
            }
            char name[128], method[32], sel[SEL_LEN] = "";
            int approx, seed;
            long long ntr, nte, d;
            double rel, mse, secs;
            int got = sscanf(line, "%127[^,],%d,%lld,%lld,%lld,%31[^,],%d,%lf,%lf,%lf,%159[^\n]",
                             name, &approx, &ntr, &nte, &d, method, &seed, &rel, &mse, &secs,
                             sel);
            int mi = got >= 10 ? method_index(method) : -1;
            if (mi < 0 || seed < 1 || seed > MAX_SEEDS) {
                bad = 1;
                break;
            }
            int s = 0;
            while (s < *n_sets && strcmp(rs[s].name, name))
                s++;
            if (s == *n_sets) {
                if (s == MAX_SETS) {
                    bad = 1;
                    break;
                }
                (*n_sets)++;
                snprintf(rs[s].name, sizeof rs[s].name, "%s", name);
                rs[s].approx = approx;
                rs[s].n_train = ntr;
                rs[s].n_test = nte;
                rs[s].d = d;
            } else if (rs[s].n_train != ntr || rs[s].n_test != nte || rs[s].d != d) {
                fprintf(stderr, "table1: %s:%d: %s has other sizes than in an earlier file\n",
                        files[fi], ln, name);
                fclose(f);
                return -1;
            }
            cell *c = &rs[s].c[mi][seed - 1];
            if (c->have) {
                fprintf(stderr, "table1: %s:%d: %s, %s, seed %d appears twice\n", files[fi], ln,
                        name, method, seed);
                fclose(f);
                return -1;
            }
            *c = (cell){1, rel, mse, secs, ""};
            snprintf(c->sel, SEL_LEN, "%s", sel);
            o->use[mi] = 1;
        }
        fclose(f);
        if (bad || ln == 0) {
            fprintf(stderr, "table1: %s:%d: not a table1 CSV line\n", files[fi], ln);
            return -1;
        }
    }
    return 0;
}

/* ----------------------------------------------------------------- main */

static int run_set(const char *path, const options *o, result *r)
{
    source src;
    cpae_dataset *tr = NULL, *te = NULL;
    cpae_model *models[N_METHODS][MAX_SEEDS] = {{NULL}};
    int failures = 0;
    const float *xtr, *xte;
    if (load_train(path, o, r, &src, &tr) || cpae_dataset_data(tr, &xtr) != CPAE_OK) {
        cpae_dataset_destroy(tr);
        cpae_normalizer_destroy(src.norm);
        return -1;
    }
    fprintf(stderr, "%s: %lld train, d = %lld\n", r->name, (long long)r->n_train,
            (long long)r->d);
    for (int mi = 0; mi < N_METHODS; mi++)
        for (int64_t k = 0; o->use[mi] && k < o->seeds; k++) {
            int64_t seed = o->first_seed + k;
            cell *c = &r->c[mi][seed - 1];
            double t0 = now();
            int rc = method_id[mi] < 0
                         ? train_linear(o, mi, xtr, r->n_train, r->d, &models[mi][seed - 1], c->sel)
                         : train_ae(o, mi, (uint64_t)seed, xtr, r->n_train, r->d,
                                    &models[mi][seed - 1], c->sel);
            c->secs = now() - t0;
            failures += rc != 0;
            if (!o->quiet && !rc)
                fprintf(stderr, "  %-12s seed %lld: %s (%.1fs)\n", method_name[mi],
                        (long long)seed, c->sel, c->secs);
        }
    /* Every model is trained: now, and only now, the test split. */
    if (load_test(&src, o, r, &te) || cpae_dataset_data(te, &xte) != CPAE_OK)
        failures++;
    else {
        for (int mi = 0; mi < N_METHODS; mi++)
            for (int k = 0; k < MAX_SEEDS; k++) {
                cell *c = &r->c[mi][k];
                int32_t st;
                if (!models[mi][k])
                    continue;
                if ((st = cpae_model_evaluate(models[mi][k], xte, r->n_test, r->d, &c->mse,
                                              &c->rel))) {
                    report_fail(method_name[mi], st);
                    failures++;
                    continue;
                }
                c->have = 1;
            }
    }
    for (int mi = 0; mi < N_METHODS; mi++)
        for (int k = 0; k < MAX_SEEDS; k++)
            cpae_model_destroy(models[mi][k]);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(te);
    cpae_normalizer_destroy(src.norm);
    return failures ? -1 : 0;
}

/* A comma list of distinct names among names[0..n-1] into their indices;
 * the count, or -1 when a name is unknown, repeated or empty. */
static int parse_names(const char *v, const char *const *names, int n, double *out)
{
    int count = 0;
    const char *p = v;
    for (;;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < n && !(strlen(names[k]) == len && !strncmp(p, names[k], len)))
            k++;
        if (k == n || count == n)
            return -1;
        for (int i = 0; i < count; i++)
            if (out[i] == (double)k)
                return -1;
        out[count++] = (double)k;
        if (!p[len])
            return count;
        p += len + 1;
    }
}

static int bad_value(const char *opt, const char *v)
{
    fprintf(stderr, "table1: invalid value '%s' for %s\n", v, opt);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    options o = {2000, 0, 32, 20, 5, 1, 0, 0, {128, 64, 16}, 3, 0.2, CPAE_INIT_PCA, 1,
                 1, {0}, {0}, 1, 1, {1, 1, 1, 1, 1, 1, 1}, NULL, NULL, NULL, 0, 0};
    enum { O_FIRST = 256, O_STEPS, O_PATIENCE, O_VALID, O_INIT, O_NOREFIT, O_SAMPLER, O_FORM,
           O_NBR, O_MAXTR, O_MAXTE, O_MD, O_CSV, O_JSON, O_MERGE };
    static const struct option longs[] = {
        {"seeds", required_argument, NULL, 's'}, {"first-seed", required_argument, NULL, O_FIRST},
        {"widths", required_argument, NULL, 'w'}, {"methods", required_argument, NULL, 'm'},
        {"steps", required_argument, NULL, O_STEPS}, {"epochs", required_argument, NULL, 'e'},
        {"batch", required_argument, NULL, 'b'}, {"patience", required_argument, NULL, O_PATIENCE},
        {"valid", required_argument, NULL, O_VALID}, {"init", required_argument, NULL, O_INIT},
        {"no-refit", no_argument, NULL, O_NOREFIT},
        {"sampler", required_argument, NULL, O_SAMPLER}, {"form", required_argument, NULL, O_FORM},
        {"neighbours", required_argument, NULL, O_NBR},
        {"max-train", required_argument, NULL, O_MAXTR},
        {"max-test", required_argument, NULL, O_MAXTE}, {"md", required_argument, NULL, O_MD},
        {"csv", required_argument, NULL, O_CSV}, {"json", required_argument, NULL, O_JSON},
        {"merge", no_argument, NULL, O_MERGE}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:w:m:e:b:qh", longs, NULL)) != -1) {
        const char *v = optarg;
        int64_t i64;
        switch (c) {
        case 's': if (parse_i64(v, 1, MAX_SEEDS, &o.seeds)) return bad_value("-s", v); break;
        case O_FIRST:
            if (parse_i64(v, 1, MAX_SEEDS, &o.first_seed)) return bad_value("--first-seed", v);
            break;
        case 'w':
            if ((i64 = parse_list(v, o.widths, 8)) < 1) return bad_value("-w", v);
            o.n_widths = i64;
            break;
        case 'm': if (parse_methods(v, o.use)) return bad_value("-m", v); break;
        case O_STEPS: if (parse_i64(v, 0, INT64_C(1) << 40, &o.steps)) return bad_value("--steps", v); break;
        case 'e': if (parse_i64(v, 1, INT64_C(1) << 30, &o.epochs)) return bad_value("-e", v); break;
        case 'b': if (parse_i64(v, 1, 1 << 30, &o.batch)) return bad_value("-b", v); break;
        case O_PATIENCE:
            if (parse_i64(v, 0, 1 << 30, &o.patience)) return bad_value("--patience", v);
            break;
        case O_VALID: if (parse_f64(v, 1e-6, 1 - 1e-6, &o.valid)) return bad_value("--valid", v); break;
        case O_INIT:
            if (!strcmp(v, "pca")) o.init = CPAE_INIT_PCA;
            else if (!strcmp(v, "random")) o.init = CPAE_INIT_RANDOM;
            else return bad_value("--init", v);
            break;
        case O_NOREFIT: o.refit = 0; break;
        case O_SAMPLER: {
            static const char *const names[] = {"data", "ball", "facet"};
            if ((o.n_samplers = parse_names(v, names, 3, o.samplers)) < 1)
                return bad_value("--sampler", v);
            break;
        }
        case O_FORM: {
            static const char *const names[] = {"plain", "tangent"};
            if ((o.n_forms = parse_names(v, names, 2, o.forms)) < 1)
                return bad_value("--form", v);
            break;
        }
        case O_NBR:
            if (parse_i64(v, 1, 256, &i64)) return bad_value("--neighbours", v);
            o.neighbours = (int32_t)i64;
            break;
        case O_MAXTR: if (parse_i64(v, 0, INT64_C(1) << 40, &o.max_train)) return bad_value("--max-train", v); break;
        case O_MAXTE: if (parse_i64(v, 0, INT64_C(1) << 40, &o.max_test)) return bad_value("--max-test", v); break;
        case O_MD: o.md = v; break;
        case O_CSV: o.csv = v; break;
        case O_JSON: o.json = v; break;
        case O_MERGE: o.merge = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "table1: option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        default:
            if (optopt)
                fprintf(stderr, "table1: unknown option -%c\n", optopt);
            else
                fprintf(stderr, "table1: unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc || o.first_seed + o.seeds - 1 > MAX_SEEDS) {
        fprintf(stderr, "table1: %s\n", optind >= argc ? "no data set given"
                                                        : "seeds must lie in 1..32");
        usage(stderr);
        return 2;
    }
    result *rs = calloc(MAX_SETS, sizeof *rs);
    if (!rs)
        return 1;
    int n_sets = 0, failures = 0;
    if (o.merge) {
        if (merge_csv(argc - optind, argv + optind, &o, rs, &n_sets)) {
            free(rs);
            return 1;
        }
    } else
        for (int p = optind; p < argc && n_sets < MAX_SETS; p++) {
            memset(&rs[n_sets], 0, sizeof rs[n_sets]);
            if (run_set(argv[p], &o, &rs[n_sets]))
                failures++;
            if (rs[n_sets].n_test > 0)
                n_sets++;
        }
    write_tables(stdout, &o, rs, n_sets);
    if ((o.md && write_file(o.md, write_tables, &o, rs, n_sets)) ||
        (o.csv && write_file(o.csv, write_csv, &o, rs, n_sets)) ||
        (o.json && write_file(o.json, write_json, &o, rs, n_sets)))
        failures++;
    free(rs);
    return failures ? 1 : 0;
}
