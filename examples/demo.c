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
 * writes a PNG of test reconstructions.
 *
 * Usage: demo [DATA_DIR [PNG_PATH [STEPS [SEEDS]]]]
 *        (defaults examples/data/ucr, demo.png, 1000, 2)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <png.h>
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

typedef struct image {
    int w, h;
    uint8_t *rgb;
} image;

static void plot(image *im, int x, int y, const uint8_t c[3])
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h)
        return;
    memcpy(im->rgb + 3 * ((size_t)y * (size_t)im->w + (size_t)x), c, 3);
}

static void line(image *im, int x0, int y0, int x1, int y1, const uint8_t c[3])
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    for (int err = dx + dy;;) {
        plot(im, x0, y0, c);
        plot(im, x0, y0 + 1, c); /* 2 px thick */
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* One series in the panel at (px, py) of size pw x ph, y range [lo, hi]. */
static void series(image *im, int px, int py, int pw, int ph, const float *v, int64_t d,
                   double lo, double hi, const uint8_t c[3])
{
    for (int64_t j = 0; j + 1 < d; j++) {
        int x0 = px + (int)((double)j * (pw - 1) / (double)(d - 1));
        int x1 = px + (int)((double)(j + 1) * (pw - 1) / (double)(d - 1));
        int y0 = py + ph - 1 - (int)((v[j] - lo) / (hi - lo) * (ph - 1));
        int y1 = py + ph - 1 - (int)((v[j + 1] - lo) / (hi - lo) * (ph - 1));
        line(im, x0, y0, x1, y1, c);
    }
}

static int write_png(const char *path, const image *im)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++)
        png_write_row(png, im->rgb + 3 * (size_t)y * (size_t)im->w);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ training */

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* docs/math.md section 5 on the training data: decoder regions of the
 * encodings, their boundary distances, and the Lie residual. */
static void quantities(const char *label, const run *r, const float *x, int64_t n, int64_t d)
{
    int64_t h, regions;
    CHECK(cpae_model_dims(r->model, NULL, &h));
    float *z = malloc(sizeof(float) * (size_t)(n * h));
    double *rad = malloc(sizeof(double) * (size_t)n);
    CHECK(cpae_model_encode(r->model, x, n, d, z, n * h));
    CHECK(cpae_model_count_regions(r->model, CPAE_DECODER, z, n, h, &regions));
    CHECK(cpae_model_boundary_distances(r->model, CPAE_DECODER, z, n, h, rad, n));
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += rad[i];
    qsort(rad, (size_t)n, sizeof(double), cmp_double);
    printf("  %-12s decoder regions occupied by %lld encodings: %lld; boundary distance "
           "(latent) sum %.3g, median %.3g, 10%% %.3g, 90%% %.3g", label, (long long)n,
           (long long)regions, sum, rad[n / 2], rad[n / 10], rad[(9 * n) / 10]);
    if (r->lie) {
        double terms[CPAE_N_LOSS_TERMS];
        CHECK(cpae_trainer_gradient(r->trainer, x, n, d, terms, CPAE_N_LOSS_TERMS, NULL, 0));
        printf("; Lie residual sum r = %.4g", terms[CPAE_TERM_LIE_LOCAL] * (double)n);
    }
    printf("\n");
    free(z);
    free(rad);
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

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "examples/data/ucr";
    const char *png_path = argc > 2 ? argv[2] : "demo.png";
    int64_t steps = argc > 3 ? atoll(argv[3]) : 1000, seeds = argc > 4 ? atoll(argv[4]) : 2;
    if (seeds < 1 || seeds > 16 || steps < 1) {
        fprintf(stderr, "usage: demo [DATA_DIR [PNG_PATH [STEPS [SEEDS]]]]\n");
        return 2;
    }
    printf("libcpae %s demo: PCA-16 and the training mean vs AE and Lie-regularized AE (local "
           "form), architecture d-128-64-16 mirrored, ReLU, PCA-informed start, selection on "
           "a 20%% validation split of TRAIN over the fixed grid (docs/training.md), budget "
           "%lld steps per candidate, refit on TRAIN, seeds 1..%lld\n\n",
           cpae_version_string(), (long long)steps, (long long)seeds);
    const int pw = 360, ph = 160, pad = 12;
    image im = {N_SHOW * (pw + pad) + pad, N_SETS * (ph + pad) + pad, NULL};
    im.rgb = malloc((size_t)im.w * (size_t)im.h * 3);
    memset(im.rgb, 255, (size_t)im.w * (size_t)im.h * 3);
    const uint8_t black[3] = {0, 0, 0}, blue[3] = {30, 90, 220}, red[3] = {220, 40, 40},
                  grey[3] = {200, 200, 200};
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
        /* Figure: test series and both reconstructions (seed 1). */
        float *ya = malloc(sizeof(float) * (size_t)d), *yl = malloc(sizeof(float) * (size_t)d);
        for (int c = 0; c < N_SHOW; c++) {
            int64_t i = (int64_t)c * (nt / N_SHOW);
            const float *xi = xt + i * d;
            CHECK(cpae_model_reconstruct(keep[s][0].model, xi, 1, d, ya, d));
            CHECK(cpae_model_reconstruct(keep[s][1].model, xi, 1, d, yl, d));
            double lo = INFINITY, hi = -INFINITY;
            for (int64_t j = 0; j < d; j++) {
                lo = fmin(lo, fmin(xi[j], fmin(ya[j], yl[j])));
                hi = fmax(hi, fmax(xi[j], fmax(ya[j], yl[j])));
            }
            int px = pad + c * (pw + pad), py = pad + s * (ph + pad);
            line(&im, px, py, px + pw - 1, py, grey);
            line(&im, px, py + ph - 1, px + pw - 1, py + ph - 1, grey);
            series(&im, px, py, pw, ph, xi, d, lo, hi, black);
            series(&im, px, py, pw, ph, ya, d, lo, hi, blue);
            series(&im, px, py, pw, ph, yl, d, lo, hi, red);
        }
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
    if (write_png(png_path, &im)) {
        fprintf(stderr, "demo: cannot write %s\n", png_path);
        return 1;
    }
    printf("figure: %s (test series in black, AE in blue, Lie-regularized AE in red; rows CBF, "
           "SyntheticControl)\n", png_path);
    free(im.rgb);
    return 0;
}
