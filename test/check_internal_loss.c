/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_internal_loss.c -- every loss term's gradient (weights, biases,
 * generators) against central finite differences, on small models away
 * from region boundaries. The noise and samplers replay the same draws in
 * every evaluation (the generator state is copied). */
#include "testutil.h"
#include "train/loss.h"
#include "core/pool.h"

#include <float.h>

typedef struct fd_case {
    const char *name;
    int32_t act;
    int term;          /* which weight is 1 */
    int32_t sampler;
    int32_t form;
    int32_t param;     /* CPAE_LIE_* */
    int64_t k;
    double noise;      /* denoising sigma */
    int last_abs;      /* decoder output layer with |.| (not identity) */
} fd_case;

enum { W_REC, W_DENOISE, W_CONTRACT, W_HOC, W_LOCAL, W_EXACT };

static const fd_case cases[] = {
    {"rec relu", CPAE_ACT_RELU, W_REC, 0, 0, 0, 1, 0, 0},
    {"rec abs", CPAE_ACT_ABS, W_REC, 0, 0, 0, 1, 0, 0},
    {"denoise leaky", CPAE_ACT_LEAKY_RELU, W_DENOISE, 0, 0, 0, 1, 0.1, 0},
    {"contractive relu", CPAE_ACT_RELU, W_CONTRACT, 0, 0, 0, 1, 0, 0},
    {"contractive abs", CPAE_ACT_ABS, W_CONTRACT, 0, 0, 0, 1, 0, 0},
    {"hoc leaky", CPAE_ACT_LEAKY_RELU, W_HOC, 0, 0, 0, 1, 0, 0},
    {"hoc abs", CPAE_ACT_ABS, W_HOC, 0, 0, 0, 1, 0, 0},
    {"local data plain general k1", CPAE_ACT_ABS, W_LOCAL, 0, 0, CPAE_LIE_GENERAL, 1, 0, 0},
    {"local data plain skew k1", CPAE_ACT_LEAKY_RELU, W_LOCAL, 0, 0, CPAE_LIE_SKEW, 1, 0, 0},
    {"local data tangent general k1", CPAE_ACT_ABS, W_LOCAL, 0, 1, CPAE_LIE_GENERAL, 1, 0, 0},
    {"local data tangent skew k2", CPAE_ACT_ABS, W_LOCAL, 0, 1, CPAE_LIE_SKEW, 2, 0, 0},
    {"local ball plain general k2", CPAE_ACT_LEAKY_RELU, W_LOCAL, 1, 0, CPAE_LIE_GENERAL, 2, 0, 0},
    {"local ball tangent general k1", CPAE_ACT_RELU, W_LOCAL, 1, 1, CPAE_LIE_GENERAL, 1, 0, 0},
    {"local facet plain skew k1", CPAE_ACT_ABS, W_LOCAL, 2, 0, CPAE_LIE_SKEW, 1, 0, 0},
    {"local facet tangent general k2", CPAE_ACT_LEAKY_RELU, W_LOCAL, 2, 1, CPAE_LIE_GENERAL, 2, 0, 0},
    {"local data plain fixed k1", CPAE_ACT_ABS, W_LOCAL, 0, 0, CPAE_LIE_FIXED, 1, 0, 0},
    /* |.| output layer: the output-width path (no hidden-width fold) */
    {"local ball plain skew k1, abs output", CPAE_ACT_RELU, W_LOCAL, 1, 0, CPAE_LIE_SKEW, 1, 0,
     1},
    {"local facet tangent skew k1, abs output", CPAE_ACT_ABS, W_LOCAL, 2, 1, CPAE_LIE_SKEW, 1, 0,
     1},
    {"exact general", CPAE_ACT_ABS, W_EXACT, 0, 0, CPAE_LIE_GENERAL, 1, 0, 0},
    {"exact skew", CPAE_ACT_LEAKY_RELU, W_EXACT, 0, 0, CPAE_LIE_SKEW, 1, 0, 0},
    {"exact tangent skew", CPAE_ACT_ABS, W_EXACT, 0, 1, CPAE_LIE_SKEW, 1, 0, 0},
    {"exact tangent skew, relu", CPAE_ACT_RELU, W_EXACT, 0, 1, CPAE_LIE_SKEW, 1, 0, 0},
    {"exact general k2", CPAE_ACT_ABS, W_EXACT, 0, 0, CPAE_LIE_GENERAL, 2, 0, 0},
    {"exact skew k2", CPAE_ACT_LEAKY_RELU, W_EXACT, 0, 0, CPAE_LIE_SKEW, 2, 0, 0},
    {"local data plain general, abs output", CPAE_ACT_RELU, W_LOCAL, 0, 0, CPAE_LIE_GENERAL, 1,
     0, 1},
    {"local ball tangent skew k2, abs output", CPAE_ACT_LEAKY_RELU, W_LOCAL, 1, 1,
     CPAE_LIE_SKEW, 2, 0, 1},
    /* "narrow": encoder 6-4-3, its first layer narrower than d (the
     * Jacobian terms' Gram path), instead of 6-9-3 */
    {"contractive relu, narrow", CPAE_ACT_RELU, W_CONTRACT, 0, 0, 0, 1, 0, 0},
    {"hoc leaky, narrow", CPAE_ACT_LEAKY_RELU, W_HOC, 0, 0, 0, 1, 0, 0},
    {"hoc abs, narrow", CPAE_ACT_ABS, W_HOC, 0, 0, 0, 1, 0, 0},
    /* "deep": 6-8-7-5-3 mirrored, a decoder of four layers (the hidden
     * chain's backward pass through several layers, the facet sampler
     * reading the batch's tangent pass) */
    {"local ball plain general k1, deep", CPAE_ACT_LEAKY_RELU, W_LOCAL, 1, 0, CPAE_LIE_GENERAL,
     1, 0, 0},
    {"local facet plain skew k2, deep", CPAE_ACT_ABS, W_LOCAL, 2, 0, CPAE_LIE_SKEW, 2, 0, 0},
    {"local facet tangent general k1, deep", CPAE_ACT_ABS, W_LOCAL, 2, 1,
     CPAE_LIE_GENERAL, 1, 0, 0},
};

static struct cpae_lie *make_lie(int64_t d, int64_t k, int32_t param, uint64_t *s)
{
    struct cpae_lie *lie = NULL;
    CK_OK(cpae__lie_alloc(d, k, param, &lie, "test")); /* learned, unnormalised below */
    for (int64_t j = 0; j < k; j++) {
        double *g = lie->g + j * d * d;
        for (int64_t e = 0; e < d * d; e++)
            g[e] = tu_uniform(s);
        if (param == CPAE_LIE_SKEW)
            for (int64_t a = 0; a < d; a++)
                for (int64_t b = 0; b <= a; b++) {
                    double v = a == b ? 0.0 : g[a * d + b];
                    g[a * d + b] = v;
                    g[b * d + a] = -v;
                }
    }
    return lie;
}

static double eval(const cpae_model *m, const struct cpae_lie *lie, const cpae__loss_cfg *cfg,
                   const cpae__batch *b, const cpae_rng *rng0, double *grad)
{
    cpae_rng rng = *rng0;
    double terms[CPAE__N_TERMS];
    CK_OK(cpae__loss_eval(m, lie, cfg, b, &rng, terms, grad, "test"));
    return terms[CPAE__T_TOTAL];
}

START_TEST(test_fd)
{
    const fd_case *fc = &cases[_i];
    const int64_t widths[] = {6, 9, 3}, narrow[] = {6, 4, 3}, deep[] = {6, 8, 7, 5, 3};
    const int64_t d = 6, mb = 4, K = 2;
    cpae_model *m = NULL;
    if (fc->last_abs) { /* the G W^L fold does not apply: A' = Q^L W^L T' */
        const int64_t ew[] = {6, 9, 3}, dw[] = {3, 9, 6};
        const int32_t ea[] = {fc->act, CPAE_ACT_IDENTITY}, da[] = {fc->act, CPAE_ACT_ABS};
        CK_OK(cpae_model_create(ew, ea, NULL, 2, dw, da, NULL, 2, 40 + (uint64_t)_i, &m));
    } else
        CK_OK(cpae_model_create_mirrored(strstr(fc->name, "narrow") ? narrow
                                         : strstr(fc->name, "deep") ? deep : widths,
                                         strstr(fc->name, "deep") ? 5 : 3, fc->act,
                                         40 + (uint64_t)_i, &m));
    uint64_t s = 1000 + (uint64_t)_i;
    for (int64_t e = 0; e < m->n_params; e++)
        m->params[e] += 0.1 * tu_uniform(&s);
    struct cpae_lie *lie = make_lie(d, fc->k, fc->param, &s);
    double x[4 * 6], xn[4 * 2 * 6], xa[6];
    for (int e = 0; e < mb * d; e++)
        x[e] = 1.5 * tu_uniform(&s);
    for (int e = 0; e < mb * K * d; e++)
        xn[e] = x[(e / (K * d)) * d + e % d] + 0.7 * tu_uniform(&s);
    for (int e = 0; e < d; e++)
        xa[e] = 1.5 * tu_uniform(&s);
    cpae__loss_cfg cfg = {0};
    cfg.v[CPAE_P_W_RECONSTRUCTION] = fc->term == W_REC || fc->term == W_DENOISE ? 1.0 : 0.0;
    cfg.v[CPAE_P_NOISE_SIGMA] = fc->noise;
    cfg.v[CPAE_P_W_CONTRACTIVE] = fc->term == W_CONTRACT || fc->term == W_HOC ? 0.7 : 0.0;
    cfg.v[CPAE_P_W_HIGHER_ORDER] = fc->term == W_HOC ? 1.3 : 0.0;
    cfg.v[CPAE_P_HOC_SIGMA] = 0.3;
    cfg.v[CPAE_P_HOC_COPIES] = 2;
    cfg.v[CPAE_P_W_LIE_LOCAL] = fc->term == W_LOCAL ? 1.0 : 0.0;
    cfg.v[CPAE_P_LIE_SAMPLER] = fc->sampler;
    cfg.v[CPAE_P_LIE_NEIGHBOURS] = K;
    cfg.v[CPAE_P_LIE_DELTA] = 0.5;
    cfg.v[CPAE_P_LIE_FACET_EPS] = 0.05;
    cfg.v[CPAE_P_LIE_FORM] = fc->form;
    cfg.v[CPAE_P_W_LIE_EXACT] = fc->term == W_EXACT ? 1.0 : 0.0;
    cfg.theta_max = 4.0;
    cfg.v[CPAE_P_LIE_THETA_GRID] = 81;
    cpae__pool pool = {{0}, 0}; /* reused, dirty blocks in every evaluation */
    cpae__batch b = {x, mb, xn, xa, &pool, NULL, false, NULL, 0, 0};
    cpae_rng rng;
    cpae__rng_seed(&rng, 77 + (uint64_t)_i);
    int64_t ng = m->n_params + fc->k * d * d;
    double *grad = calloc((size_t)ng, sizeof(double));
    double base = eval(m, lie, &cfg, &b, &rng, grad);
    ck_assert_msg(isfinite(base) && base > 0, "%s: loss %g", fc->name, base);
    double gnorm = 0;
    for (int64_t e = 0; e < ng; e++)
        gnorm += grad[e] * grad[e];
    ck_assert_msg(gnorm > 0, "%s: zero gradient", fc->name);
    const double h = 1e-6;
    int64_t bad = 0, checked = 0;
    double worst = 0;
    double *fds = calloc((size_t)ng, sizeof(double)); /* for the float check */
    for (int64_t e = 0; e < m->n_params; e++) {
        double keep = m->params[e];
        m->params[e] = keep + h;
        double lp = eval(m, lie, &cfg, &b, &rng, NULL);
        m->params[e] = keep - h;
        double lm = eval(m, lie, &cfg, &b, &rng, NULL);
        m->params[e] = keep;
        double fd = (lp - lm) / (2 * h), err = fabs(fd - grad[e]) / (1e-4 + fabs(fd));
        fds[e] = fd;
        checked++;
        if (err > worst)
            worst = err;
        if (err > 1e-4) {
            bad++;
            fprintf(stderr, "%s: param %lld fd %.9g analytic %.9g\n", fc->name, (long long)e,
                    fd, grad[e]);
        }
    }
    /* Generators: general entries directly; skew along E_ab - E_ba. */
    double *gG = grad + m->n_params;
    for (int64_t j = 0; j < fc->k; j++)
        for (int64_t a = 0; a < d; a++)
            for (int64_t c = 0; c < d; c++) {
                double *g = lie->g + j * d * d;
                double an = gG[j * d * d + a * d + c];
                if (fc->param == CPAE_LIE_FIXED) {
                    ck_assert(an == 0.0);
                    continue;
                }
                if (fc->param == CPAE_LIE_SKEW) {
                    if (c <= a)
                        continue;
                    an -= gG[j * d * d + c * d + a];
                }
                double ka = g[a * d + c], kc = g[c * d + a];
                g[a * d + c] = ka + h;
                if (fc->param == CPAE_LIE_SKEW)
                    g[c * d + a] = kc - h;
                double lp = eval(m, lie, &cfg, &b, &rng, NULL);
                g[a * d + c] = ka - h;
                if (fc->param == CPAE_LIE_SKEW)
                    g[c * d + a] = kc + h;
                double lm = eval(m, lie, &cfg, &b, &rng, NULL);
                g[a * d + c] = ka;
                g[c * d + a] = kc;
                double fd = (lp - lm) / (2 * h), err = fabs(fd - an) / (1e-4 + fabs(fd));
                fds[m->n_params + j * d * d + a * d + c] = fd;
                checked++;
                if (err > worst)
                    worst = err;
                if (err > 1e-4) {
                    bad++;
                    fprintf(stderr, "%s: G%lld[%lld,%lld] fd %.9g analytic %.9g\n", fc->name,
                            (long long)j, (long long)a, (long long)c, fd, an);
                }
            }
    ck_assert_msg(bad == 0, "%s: %lld of %lld derivatives off (worst rel %.3g)", fc->name,
                  (long long)bad, (long long)checked, worst);
    /* The batch split in two: each half (its samples' ids, the same key)
     * gives its share, and the shares weighted by their sizes are the
     * whole batch's loss and gradient, random draws included: what a
     * data-parallel step sums over processes. */
    {
        const int64_t ids[4] = {0, 1, 2, 3};
        double *g1 = calloc((size_t)ng, sizeof(double)), *g2 = calloc((size_t)ng, sizeof(double));
        cpae__batch h1 = b, h2 = b;
        h1.m = h2.m = 2;
        h1.ids = ids;
        h2.ids = ids + 2;
        h2.x = x + 2 * d;
        h2.x_nbr = xn + 2 * K * d;
        double l1 = eval(m, lie, &cfg, &h1, &rng, g1), l2 = eval(m, lie, &cfg, &h2, &rng, g2);
        ck_assert_msg(fabs(0.5 * (l1 + l2) - base) <= 1e-12 * fabs(base), "%s: halves %.17g, "
                      "whole %.17g", fc->name, 0.5 * (l1 + l2), base);
        double gmax = 0;
        for (int64_t e = 0; e < ng; e++)
            gmax = fmax(gmax, fabs(grad[e]));
        for (int64_t e = 0; e < ng; e++)
            ck_assert_msg(fabs(0.5 * (g1[e] + g2[e]) - grad[e]) <= 1e-11 * gmax,
                          "%s: gradient %lld: halves %.17g, whole %.17g", fc->name,
                          (long long)e, 0.5 * (g1[e] + g2[e]), grad[e]);
        free(g1);
        free(g2);
    }
    /* Single precision (CPAE_P_PRECISION 32): the float gradient against
     * the same central differences of the double loss. Tolerance: relative
     * 1e-3 with floors of 1e-4 (as in double: differences of nearly flat
     * losses are noise) and 1e-3 of the largest derivative (float rounding
     * in sums of ~1e3 terms), against relative 1e-4 in double. */
    cpae__mirror mi;
    CK_OK(cpae__mirror_init(&mi, m, lie, "test"));
    b.mirror = &mi;
    double *gf = calloc((size_t)ng, sizeof(double)), fmax = 0, worst_f = 0;
    double fbase = eval(m, lie, &cfg, &b, &rng, gf);
    ck_assert_msg(fabs(fbase - base) <= 1e-5 * fabs(base), "%s: float loss %.9g, double %.9g",
                  fc->name, fbase, base);
    for (int64_t e = 0; e < ng; e++)
        fmax = fmax > fabs(fds[e]) ? fmax : fabs(fds[e]);
    int64_t bad_f = 0;
    for (int64_t e = 0; e < ng; e++) {
        if (e >= m->n_params && fc->param != CPAE_LIE_GENERAL)
            continue; /* fixed or skew generators: checked above in double */
        double err = fabs(fds[e] - gf[e]) / (1e-4 + 1e-3 * fmax + fabs(fds[e]));
        worst_f = err > worst_f ? err : worst_f;
        if (err > 1e-3) {
            bad_f++;
            fprintf(stderr, "%s (float): value %lld fd %.9g analytic %.9g\n", fc->name,
                    (long long)e, fds[e], gf[e]);
        }
    }
    ck_assert_msg(bad_f == 0, "%s: %lld float derivatives off (worst rel %.3g)", fc->name,
                  (long long)bad_f, worst_f);
    cpae__mirror_free(&mi);
    free(gf);
    free(fds);
    ck_assert_int_gt(pool.n, 0);
    cpae__pool_clear(&pool);
    free(grad);
    free(lie);
    cpae_model_destroy(m);
}
END_TEST

/* The term table: ids in cpae_loss_term order, every key below
 * CPAE__N_KEYS and owned by one row only, each row's weight key among its
 * own keys, names that cpae_loss_term_name returns, and every key the
 * lookup finds in range with its default inside. */
START_TEST(test_term_table)
{
    bool seen[CPAE__N_KEYS] = {false};
    ck_assert_int_eq(cpae__n_terms, CPAE_TERM_TOTAL);
    for (int32_t t = 0; t < cpae__n_terms; t++) {
        const cpae__term *row = cpae__terms[t];
        ck_assert_int_eq(row->id, t);
        ck_assert_str_eq(cpae_loss_term_name(row->id), row->name);
        ck_assert(row->evaluate != NULL);
        bool has_weight = false;
        for (int32_t i = 0; i < row->n_params; i++) {
            int32_t key = row->params[i].key;
            ck_assert_int_ge(key, 0);
            ck_assert_int_lt(key, CPAE__N_KEYS);
            ck_assert_msg(!seen[key], "key %d in two rows", (int)key);
            seen[key] = true;
            has_weight |= key == row->weight_key;
            ck_assert_ptr_eq(cpae__param_find(key), &row->params[i]);
            ck_assert(row->params[i].lo <= row->params[i].def &&
                      row->params[i].def <= row->params[i].hi);
        }
        ck_assert_msg(has_weight, "%s: weight key not among its keys", row->name);
    }
    ck_assert_str_eq(cpae_loss_term_name(CPAE_TERM_TOTAL), "total");
    for (int32_t key = 0; key < 1000; key++) { /* the trainer's own keys too */
        const cpae__param_info *p = cpae__param_find(key);
        if (p)
            ck_assert_int_lt(key, CPAE__N_KEYS);
    }
}
END_TEST

/* The noise of the denoising and higher-order terms: cpae__rng_normals
 * keeps both values of each polar pair. Moments of 2e5 draws (mean 0,
 * variance 1, kurtosis 3, each within 4 standard errors), odd counts
 * filled to the end, and the pair's two values uncorrelated. */
START_TEST(test_normals)
{
    enum { N = 200001 };
    double *z = malloc(sizeof(double) * N);
    cpae_rng rng;
    cpae__rng_seed(&rng, 11);
    z[N - 1] = NAN;
    cpae__rng_normals(&rng, z, N);
    double s1 = 0, s2 = 0, s4 = 0, c = 0;
    for (int i = 0; i < N; i++) {
        ck_assert(isfinite(z[i]));
        s1 += z[i];
        s2 += z[i] * z[i];
        s4 += z[i] * z[i] * z[i] * z[i];
        if (i % 2 == 0 && i + 1 < N)
            c += z[i] * z[i + 1];
    }
    double mean = s1 / N, var = s2 / N - mean * mean, kurt = s4 / N, corr = c / (N / 2);
    ck_assert_msg(fabs(mean) < 4 / sqrt(N), "mean %g", mean);
    ck_assert_msg(fabs(var - 1) < 4 * sqrt(2.0 / N), "variance %g", var);
    ck_assert_msg(fabs(kurt - 3) < 4 * sqrt(96.0 / N), "fourth moment %g", kurt);
    ck_assert_msg(fabs(corr) < 4 / sqrt(N / 2), "pair correlation %g", corr);
    free(z);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("finite differences");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_fd, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_term_table);
    tcase_add_test(tc, test_normals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
