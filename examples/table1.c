/* table1.c -- the paper's Table 1 protocol on any data set.
 *
 * Trains AE, denoising AE, higher-order contractive AE, Lie (local) and Lie
 * (exact) with one architecture, optimiser, epoch budget and seed list on
 * each data set, and reports the test reconstruction error (docs/math.md
 * section 6): mean relative error and MSE per element, x 10^-2, mean +- std
 * over seeds, best per row in bold. Writes the same table as Markdown, CSV
 * and JSON.
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
 *
 * Usage: table1 [options] PATH...   (table1 -h lists the options)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cpae.h"

#define MAX_SETS 64
#define MAX_SEEDS 32
#define N_METHODS 5

static const char *const method_key[N_METHODS] = {"ae", "dae", "hoc", "lie-local",
                                                  "lie-exact"};
static const char *const method_name[N_METHODS] = {"AE", "Den. AE", "H.O.C. AE",
                                                   "Lie (local)", "Lie (exact)"};
static const int32_t method_id[N_METHODS] = {CPAE_METHOD_AE, CPAE_METHOD_DENOISING,
                                             CPAE_METHOD_HOC, CPAE_METHOD_LIE_LOCAL,
                                             CPAE_METHOD_LIE_EXACT};

typedef struct options {
    int64_t epochs, batch, seeds, first_seed, max_train, max_test, widths[8], n_widths;
    double lr, lie_weight, lie_exact_weight, noise;
    int32_t sampler, form, neighbours;
    int use[N_METHODS];
    const char *md, *csv, *json;
    int quiet;
} options;

typedef struct result {
    char name[128];
    int approx;
    int64_t n_train, n_test, d;
    double rel[N_METHODS][MAX_SEEDS], mse[N_METHODS][MAX_SEEDS], secs[N_METHODS];
    double seed_secs[N_METHODS][MAX_SEEDS];
    int ok[N_METHODS];
} result;

static void usage(void)
{
    fprintf(stderr,
            "usage: table1 [options] PATH...\n"
            "  -e N        epochs (default 100)\n"
            "  -b N        batch size (default 32)\n"
            "  -l LR       Adam learning rate (default 1e-3)\n"
            "  -s N        number of seeds (default 5)\n"
            "  --first-seed S        seeds are S..S+N-1 (default 1); runs split over\n"
            "                        seeds merge with examples/table1_merge.py\n"
            "  -w LIST     hidden widths, e.g. 128,64,16 (default; last = bottleneck)\n"
            "  -m LIST     methods among ae,dae,hoc,lie-local,lie-exact (default all)\n"
            "  --lie-weight W        local form weight (default 0.1)\n"
            "  --lie-exact-weight W  exact form weight (default 0.1)\n"
            "  --sampler S  data|ball|facet (default data)   --form F  plain|tangent\n"
            "  --neighbours K        (default 1)\n"
            "  --noise S    denoising sigma (default 0.1)\n"
            "  --max-train N, --max-test N   use the first N samples (default all)\n"
            "  --md FILE  --csv FILE  --json FILE   also write the table there\n"
            "  -q         no per-seed progress\n");
}

static int parse_list(const char *s, int64_t *out, int max)
{
    int n = 0;
    for (const char *p = s; *p && n < max;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 1)
            return -1;
        out[n++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
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

/* Load the train and test split of one data set (normalised as the
 * protocol says). Returns 0 on success. */
static int load_pair(const char *path, const options *o, result *r, cpae_dataset **train,
                     cpae_dataset **test)
{
    char dir[1024], a[1200], b[1200], c[1200];
    snprintf(dir, sizeof dir, "%s", path);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        dir[--len] = '\0';
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    snprintf(r->name, sizeof r->name, "%s", base);
    int32_t st;
    *train = *test = NULL;
    if (find(a, sizeof a, dir, "train-images-idx3-ubyte")) {
        if (!find(b, sizeof b, dir, "train-labels-idx1-ubyte") ||
            !find(c, sizeof c, dir, "t10k-images-idx3-ubyte")) {
            fprintf(stderr, "table1: %s: incomplete IDX directory\n", dir);
            return -1;
        }
        if ((st = cpae_dataset_load_idx(a, b, train))) {
            report_fail(a, st);
            return -1;
        }
        char lt[1200];
        if ((st = cpae_dataset_load_idx(c, find(lt, sizeof lt, dir, "t10k-labels-idx1-ubyte")
                                                  ? lt : NULL, test))) {
            report_fail(c, st);
            cpae_dataset_destroy(*train);
            return -1;
        }
        cpae_normalizer *nz = NULL;
        if ((st = cpae_normalizer_fit(*train, CPAE_NORM_FEATURE_Z, &nz)) ||
            (st = cpae_normalizer_apply(nz, *train)) || (st = cpae_normalizer_apply(nz, *test))) {
            report_fail("normalisation", st);
            cpae_normalizer_destroy(nz);
            return -1;
        }
        cpae_normalizer_destroy(nz);
    } else {
        char stem[300];
        snprintf(stem, sizeof stem, "%s_TRAIN.tsv", base);
        if (!find(a, sizeof a, dir, stem)) {
            fprintf(stderr, "table1: %s: no %s[.gz] (and no IDX files)\n", dir, stem);
            return -1;
        }
        snprintf(stem, sizeof stem, "%s_TEST.tsv", base);
        r->approx = 0;
        if (!find(b, sizeof b, dir, stem)) {
            snprintf(stem, sizeof stem, "%s_TEST_APPROX.tsv", base);
            if (!find(b, sizeof b, dir, stem)) {
                fprintf(stderr, "table1: %s: no test split, skipped\n", dir);
                return -1;
            }
            r->approx = 1;
        }
        if ((st = cpae_dataset_load(a, CPAE_FORMAT_UCR, train))) {
            report_fail(a, st);
            return -1;
        }
        if ((st = cpae_dataset_load(b, CPAE_FORMAT_UCR, test))) {
            report_fail(b, st);
            cpae_dataset_destroy(*train);
            return -1;
        }
    }
    cpae_dataset_info(*train, &r->n_train, &r->d, NULL);
    cpae_dataset_info(*test, &r->n_test, NULL, NULL);
    if (o->max_train > 0 && r->n_train > o->max_train)
        r->n_train = o->max_train;
    if (o->max_test > 0 && r->n_test > o->max_test)
        r->n_test = o->max_test;
    return 0;
}

/* Train one method with one seed; returns 0 and the test errors. */
static int run_one(const options *o, int mi, uint64_t seed, const float *xtr, int64_t ntr,
                   const float *xte, int64_t nte, int64_t d, double *rel, double *mse)
{
    int64_t widths[10];
    widths[0] = d;
    for (int64_t i = 0; i < o->n_widths; i++)
        widths[i + 1] = o->widths[i];
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    int32_t st;
    int rc = -1;
    if ((st = cpae_model_create_mirrored(widths, o->n_widths + 1, CPAE_ACT_RELU, seed, &m)))
        goto out;
    if (method_id[mi] >= CPAE_METHOD_LIE_LOCAL &&
        (st = cpae_lie_create(d, 1, CPAE_LIE_SKEW, seed + 1000, &lie)))
        goto out;
    if ((st = cpae_trainer_create(m, lie, method_id[mi], &t)) ||
        (st = cpae_trainer_set_param(t, CPAE_P_EPOCHS, (double)o->epochs)) ||
        (st = cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, (double)o->batch)) ||
        (st = cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, o->lr)) ||
        (st = cpae_trainer_set_param(t, CPAE_P_SEED, (double)seed)) ||
        (st = cpae_trainer_set_data(t, xtr, ntr, d)))
        goto out;
    if (method_id[mi] == CPAE_METHOD_DENOISING &&
        (st = cpae_trainer_set_param(t, CPAE_P_NOISE_SIGMA, o->noise)))
        goto out;
    if (method_id[mi] == CPAE_METHOD_LIE_LOCAL &&
        ((st = cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, o->lie_weight)) ||
         (st = cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, o->sampler)) ||
         (st = cpae_trainer_set_param(t, CPAE_P_LIE_FORM, o->form)) ||
         (st = cpae_trainer_set_param(t, CPAE_P_LIE_NEIGHBOURS, o->neighbours))))
        goto out;
    if (method_id[mi] == CPAE_METHOD_LIE_EXACT &&
        (st = cpae_trainer_set_param(t, CPAE_P_W_LIE_EXACT, o->lie_exact_weight)))
        goto out;
    if ((st = cpae_trainer_fit(t)) || (st = cpae_model_evaluate(m, xte, nte, d, mse, rel)))
        goto out;
    rc = 0;
out:
    if (rc)
        report_fail(method_name[mi], st);
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    return rc;
}

static void mean_std(const double *v, int64_t n, double *mean, double *std)
{
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++)
        s2 += (v[i] - *mean) * (v[i] - *mean);
    *std = n > 1 ? sqrt(s2 / (double)(n - 1)) : 0.0;
}

/* Markdown table of one metric (rel or mse) x 10^-2; best mean in bold. */
static void print_md(FILE *f, const options *o, const result *rs, int n_sets, int use_rel)
{
    fprintf(f, "| data set (n_train/n_test, d) |");
    for (int mi = 0; mi < N_METHODS; mi++)
        if (o->use[mi])
            fprintf(f, " %s |", method_name[mi]);
    fprintf(f, "\n|---|");
    for (int mi = 0; mi < N_METHODS; mi++)
        if (o->use[mi])
            fprintf(f, "---:|");
    fprintf(f, "\n");
    for (int s = 0; s < n_sets; s++) {
        const result *r = &rs[s];
        double best = INFINITY, mean, sd;
        for (int mi = 0; mi < N_METHODS; mi++)
            if (o->use[mi] && r->ok[mi]) {
                mean_std(use_rel ? r->rel[mi] : r->mse[mi], o->seeds, &mean, &sd);
                if (mean < best)
                    best = mean;
            }
        fprintf(f, "| %s%s (%lld/%lld, %lld) |", r->name, r->approx ? "*" : "",
                (long long)r->n_train, (long long)r->n_test, (long long)r->d);
        for (int mi = 0; mi < N_METHODS; mi++) {
            if (!o->use[mi])
                continue;
            if (!r->ok[mi]) {
                fprintf(f, " failed |");
                continue;
            }
            mean_std(use_rel ? r->rel[mi] : r->mse[mi], o->seeds, &mean, &sd);
            const char *b = mean == best ? "**" : "";
            fprintf(f, " %s%.2f%s ± %.2f |", b, 100 * mean, b, 100 * sd);
        }
        fprintf(f, "\n");
    }
}

static void write_tables(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "Test mean relative error ||x^ - x|| / ||x||, x 10^-2 (mean ± std over %lld "
               "seeds):\n\n", (long long)o->seeds);
    print_md(f, o, rs, n_sets, 1);
    fprintf(f, "\nTest MSE per element, x 10^-2:\n\n");
    print_md(f, o, rs, n_sets, 0);
    fprintf(f, "\nTraining time per run, seconds (mean over seeds):\n\n| data set |");
    for (int mi = 0; mi < N_METHODS; mi++)
        if (o->use[mi])
            fprintf(f, " %s |", method_name[mi]);
    fprintf(f, "\n|---|");
    for (int mi = 0; mi < N_METHODS; mi++)
        if (o->use[mi])
            fprintf(f, "---:|");
    fprintf(f, "\n");
    for (int s = 0; s < n_sets; s++) {
        fprintf(f, "| %s |", rs[s].name);
        for (int mi = 0; mi < N_METHODS; mi++)
            if (o->use[mi])
                fprintf(f, " %.2f |", rs[s].secs[mi] / (double)o->seeds);
        fprintf(f, "\n");
    }
    if (n_sets > 0)
        for (int s = 0; s < n_sets; s++)
            if (rs[s].approx) {
                fprintf(f, "\n\\* test split is the approximate copy (see PROVENANCE).\n");
                break;
            }
}

static void write_csv(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "dataset,n_train,n_test,d,method,seed,rel_error,mse,seconds\n");
    for (int s = 0; s < n_sets; s++)
        for (int mi = 0; mi < N_METHODS; mi++)
            if (o->use[mi] && rs[s].ok[mi])
                for (int64_t k = 0; k < o->seeds; k++)
                    fprintf(f, "%s,%lld,%lld,%lld,%s,%lld,%.9g,%.9g,%.4f\n", rs[s].name,
                            (long long)rs[s].n_train, (long long)rs[s].n_test,
                            (long long)rs[s].d, method_key[mi], (long long)(o->first_seed + k),
                            rs[s].rel[mi][k], rs[s].mse[mi][k], rs[s].seed_secs[mi][k]);
}

static void write_json(FILE *f, const options *o, const result *rs, int n_sets)
{
    fprintf(f, "{\n  \"protocol\": {\"epochs\": %lld, \"batch\": %lld, \"lr\": %g, \"seeds\": "
               "%lld, \"first_seed\": %lld, \"widths\": [", (long long)o->epochs,
            (long long)o->batch, o->lr, (long long)o->seeds, (long long)o->first_seed);
    for (int64_t i = 0; i < o->n_widths; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)o->widths[i]);
    fprintf(f, "], \"lie_weight\": %g, \"lie_exact_weight\": %g, \"noise\": %g},\n"
               "  \"results\": [\n", o->lie_weight, o->lie_exact_weight, o->noise);
    int first = 1;
    for (int s = 0; s < n_sets; s++)
        for (int mi = 0; mi < N_METHODS; mi++) {
            if (!o->use[mi] || !rs[s].ok[mi])
                continue;
            double rm, rsd, mm, msd;
            mean_std(rs[s].rel[mi], o->seeds, &rm, &rsd);
            mean_std(rs[s].mse[mi], o->seeds, &mm, &msd);
            fprintf(f, "%s    {\"dataset\": \"%s\", \"method\": \"%s\", \"rel_mean\": %.9g, "
                       "\"rel_std\": %.9g, \"mse_mean\": %.9g, \"mse_std\": %.9g, "
                       "\"seconds\": %.4g}", first ? "" : ",\n", rs[s].name, method_key[mi],
                    rm, rsd, mm, msd, rs[s].secs[mi] / (double)o->seeds);
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    options o = {100, 32, 5, 1, 0, 0, {128, 64, 16}, 3, 1e-3, 0.1, 0.1, 0.1, 0, 0, 1,
                 {1, 1, 1, 1, 1}, NULL, NULL, NULL, 0};
    const char *paths[MAX_SETS];
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEXT()                                                                 \
    do {                                                                       \
        if (!v) {                                                              \
            usage();                                                           \
            return 2;                                                          \
        }                                                                      \
        i++;                                                                   \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        } else if (!strcmp(a, "-e")) { NEXT(); o.epochs = atoll(v); }
        else if (!strcmp(a, "-b")) { NEXT(); o.batch = atoll(v); }
        else if (!strcmp(a, "-l")) { NEXT(); o.lr = atof(v); }
        else if (!strcmp(a, "-s")) { NEXT(); o.seeds = atoll(v); }
        else if (!strcmp(a, "--first-seed")) { NEXT(); o.first_seed = atoll(v); }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else if (!strcmp(a, "-w")) {
            NEXT();
            int n = parse_list(v, o.widths, 8);
            if (n < 1) {
                usage();
                return 2;
            }
            o.n_widths = n;
        } else if (!strcmp(a, "-m")) {
            NEXT();
            for (int mi = 0; mi < N_METHODS; mi++) {
                const char *p = strstr(v, method_key[mi]);
                size_t k = strlen(method_key[mi]);
                /* whole comma-separated items only ("lie-local" != "ae") */
                o.use[mi] = 0;
                for (; p; p = strstr(p + 1, method_key[mi]))
                    if ((p == v || p[-1] == ',') && (p[k] == '\0' || p[k] == ','))
                        o.use[mi] = 1;
            }
        } else if (!strcmp(a, "--lie-weight")) { NEXT(); o.lie_weight = atof(v); }
        else if (!strcmp(a, "--lie-exact-weight")) { NEXT(); o.lie_exact_weight = atof(v); }
        else if (!strcmp(a, "--noise")) { NEXT(); o.noise = atof(v); }
        else if (!strcmp(a, "--neighbours")) { NEXT(); o.neighbours = atoi(v); }
        else if (!strcmp(a, "--sampler")) {
            NEXT();
            o.sampler = !strcmp(v, "ball") ? 1 : !strcmp(v, "facet") ? 2 : 0;
        } else if (!strcmp(a, "--form")) { NEXT(); o.form = !strcmp(v, "tangent"); }
        else if (!strcmp(a, "--max-train")) { NEXT(); o.max_train = atoll(v); }
        else if (!strcmp(a, "--max-test")) { NEXT(); o.max_test = atoll(v); }
        else if (!strcmp(a, "--md")) { NEXT(); o.md = v; }
        else if (!strcmp(a, "--csv")) { NEXT(); o.csv = v; }
        else if (!strcmp(a, "--json")) { NEXT(); o.json = v; }
        else if (a[0] == '-') {
            fprintf(stderr, "table1: unknown option %s\n", a);
            usage();
            return 2;
        } else if (n_paths < MAX_SETS)
            paths[n_paths++] = a;
#undef NEXT
    }
    if (n_paths == 0 || o.seeds < 1 || o.seeds > MAX_SEEDS || o.first_seed < 1 || o.epochs < 0 ||
        o.batch < 1) {
        usage();
        return 2;
    }
    result *rs = calloc((size_t)n_paths, sizeof *rs);
    int n_sets = 0, failures = 0;
    for (int p = 0; p < n_paths; p++) {
        result *r = &rs[n_sets];
        cpae_dataset *tr = NULL, *te = NULL;
        if (load_pair(paths[p], &o, r, &tr, &te)) {
            failures++;
            continue;
        }
        const float *xtr, *xte;
        cpae_dataset_data(tr, &xtr);
        cpae_dataset_data(te, &xte);
        fprintf(stderr, "%s: %lld train, %lld test, d = %lld\n", r->name, (long long)r->n_train,
                (long long)r->n_test, (long long)r->d);
        for (int mi = 0; mi < N_METHODS; mi++) {
            if (!o.use[mi])
                continue;
            r->ok[mi] = 1;
            for (int64_t k = 0; k < o.seeds && r->ok[mi]; k++) {
                double t0 = now();
                if (run_one(&o, mi, (uint64_t)(o.first_seed + k), xtr, r->n_train, xte,
                            r->n_test, r->d, &r->rel[mi][k], &r->mse[mi][k])) {
                    r->ok[mi] = 0;
                    failures++;
                    break;
                }
                r->seed_secs[mi][k] = now() - t0;
                r->secs[mi] += r->seed_secs[mi][k];
                if (!o.quiet)
                    fprintf(stderr, "  %-12s seed %lld: rel %.4f  mse %.4f  (%.1fs)\n",
                            method_name[mi], (long long)(o.first_seed + k), r->rel[mi][k],
                            r->mse[mi][k], now() - t0);
            }
        }
        cpae_dataset_destroy(tr);
        cpae_dataset_destroy(te);
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
