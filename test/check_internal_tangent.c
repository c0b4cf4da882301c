/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_internal_tangent.c -- the tangent engine and batch backprop:
 * Jacobians agree with per-point frozen maps, and the weight gradients of
 * losses of Jacobians / outputs agree with finite differences. */
#include "testutil.h"
#include "net/tangent.h"

static cpae_model *make_model(int act_i, int variant)
{
    static const int32_t acts[] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU, CPAE_ACT_ABS};
    /* variant 0: wide encoder (output-side form), variant 1: hidden layer
     * wider than the input (forces the scratch sizing paths). */
    const int64_t w0[] = {9, 14, 6, 3}, w1[] = {4, 11, 2};
    cpae_model *m = NULL;
    if (variant == 0)
        CK_OK(cpae_model_create_mirrored(w0, 4, acts[act_i], 17 + (uint64_t)act_i, &m));
    else
        CK_OK(cpae_model_create_mirrored(w1, 3, acts[act_i], 29 + (uint64_t)act_i, &m));
    uint64_t s = 3 + (uint64_t)act_i;
    for (int64_t i = 0; i < m->n_params; i++)
        m->params[i] += 0.05 * tu_uniform(&s); /* non-zero biases */
    return m;
}

/* J from the engine equals the frozen map of each point, both stackings. */
START_TEST(test_jacobians)
{
    cpae_model *m = make_model(_i % 3, _i / 3);
    int64_t d = m->layers[0].n_in;
    const int64_t n = 37;
    double *x = malloc(sizeof(double) * (size_t)(n * d));
    uint64_t s = 99;
    for (int64_t i = 0; i < n * d; i++)
        x[i] = tu_uniform(&s);
    for (int32_t stack = 0; stack < 3; stack++) {
        cpae_chain c;
        CK_OK(cpae__chain(m, stack, &c, "test"));
        int64_t in = cpae__chain_in(&c), out = cpae__chain_out(&c);
        double *pts = x;
        double *z = NULL;
        if (stack == CPAE_DECODER) { /* latent points */
            cpae_chain e;
            CK_OK(cpae__chain(m, CPAE_ENCODER, &e, "test"));
            z = malloc(sizeof(double) * (size_t)(n * in));
            CK_OK(cpae__chain_forward(&e, x, n, z, NULL, 0, "test"));
            pts = z;
        }
        cpae__trace t;
        cpae__tangent tg;
        CK_OK(cpae__trace_run(&c, pts, n, &t, NULL, "test"));
        double *J = malloc(sizeof(double) * (size_t)(n * out * in));
        double *A = malloc(sizeof(double) * (size_t)(out * in));
        CK_OK(cpae__tangent_forward(&c, (const double *const *)t.q, n, &tg, J, NULL, "test"));
        ck_assert_int_eq(tg.forward, in <= out);
        for (int64_t i = 0; i < n; i++) {
            CK_OK(cpae__chain_frozen(&c, pts + i * in, NULL, NULL, A, NULL, NULL, "test"));
            for (int64_t k = 0; k < out * in; k++)
                ck_assert_msg(fabs(A[k] - J[i * out * in + k]) <= 1e-12 * (1 + fabs(A[k])),
                              "stack %d sample %lld entry %lld: %g vs %g", stack,
                              (long long)i, (long long)k, A[k], J[i * out * in + k]);
        }
        cpae__tangent_free(&tg);
        cpae__trace_free(&t);
        free(J);
        free(A);
        free(z);
    }
    free(x);
    cpae_model_destroy(m);
}
END_TEST

/* L(W) = sum_i <C_i, J_i> + sum_i <c_i, y_i>: engine + backprop gradient vs
 * central differences with masks fixed (small steps keep every sample in
 * its region). */
static double loss_at(const cpae_chain *c, const double *x, int64_t n, const double *C,
                      const double *cy)
{
    cpae__trace t;
    cpae__tangent tg;
    int64_t in = cpae__chain_in(c), out = cpae__chain_out(c);
    double *J = malloc(sizeof(double) * (size_t)(n * out * in));
    CK_OK(cpae__trace_run(c, x, n, &t, NULL, "test"));
    CK_OK(cpae__tangent_forward(c, (const double *const *)t.q, n, &tg, J, NULL, "test"));
    double L = 0;
    for (int64_t k = 0; k < n * out * in; k++)
        L += C[k] * J[k];
    const double *y = cpae__trace_out(&t);
    for (int64_t k = 0; k < n * out; k++)
        L += cy[k] * y[k];
    cpae__tangent_free(&tg);
    cpae__trace_free(&t);
    free(J);
    return L;
}

START_TEST(test_gradients)
{
    cpae_model *m = make_model(_i % 3, _i / 3);
    int64_t d = m->layers[0].n_in;
    const int64_t n = 5;
    uint64_t s = 1234 + (uint64_t)_i;
    double x[5 * 9];
    for (int64_t i = 0; i < n * d; i++)
        x[i] = tu_uniform(&s);
    for (int32_t stack = 0; stack < 3; stack += 2) { /* encoder and whole AE */
        cpae_chain c;
        CK_OK(cpae__chain(m, stack, &c, "test"));
        int64_t in = cpae__chain_in(&c), out = cpae__chain_out(&c);
        double *C = malloc(sizeof(double) * (size_t)(n * out * in));
        double *cy = malloc(sizeof(double) * (size_t)(n * out));
        for (int64_t k = 0; k < n * out * in; k++)
            C[k] = tu_uniform(&s);
        for (int64_t k = 0; k < n * out; k++)
            cy[k] = tu_uniform(&s);
        double *grad = calloc((size_t)m->n_params, sizeof(double));
        double *dx = malloc(sizeof(double) * (size_t)(n * in));
        cpae__trace t;
        cpae__tangent tg;
        double *J = malloc(sizeof(double) * (size_t)(n * out * in));
        CK_OK(cpae__trace_run(&c, x, n, &t, NULL, "test"));
        CK_OK(cpae__tangent_forward(&c, (const double *const *)t.q, n, &tg, J, NULL, "test"));
        CK_OK(cpae__tangent_backward(&c, &tg, C, m->params, grad, NULL, "test"));
        CK_OK(cpae__trace_backward(&c, &t, cy, m->params, grad, dx, "test"));
        /* Parameters outside the chain get nothing. */
        const double *lo = c.layers[0].w, *hi = c.layers[c.n - 1].b + c.layers[c.n - 1].n_out;
        for (int64_t k = 0; k < m->n_params; k++) {
            const double *p = m->params + k;
            if (p < lo || p >= hi) {
                ck_assert(grad[k] == 0.0);
                continue;
            }
            double keep = m->params[k], h = 1e-6;
            m->params[k] = keep + h;
            double lp = loss_at(&c, x, n, C, cy);
            m->params[k] = keep - h;
            double lm = loss_at(&c, x, n, C, cy);
            m->params[k] = keep;
            double fd = (lp - lm) / (2 * h);
            ck_assert_msg(fabs(fd - grad[k]) <= 1e-6 * (1 + fabs(fd)),
                          "stack %d param %lld: fd %.10g vs %.10g", stack, (long long)k, fd,
                          grad[k]);
        }
        /* dL/dx of the output term (the Jacobian term is piecewise
         * constant in x). */
        double cz[1] = {0};
        (void)cz;
        for (int64_t k = 0; k < n * in; k++) {
            double keep = x[k], h = 1e-6;
            double *Cz = calloc((size_t)(n * out * in), sizeof(double));
            x[k] = keep + h;
            double lp = loss_at(&c, x, n, Cz, cy);
            x[k] = keep - h;
            double lm = loss_at(&c, x, n, Cz, cy);
            x[k] = keep;
            free(Cz);
            double fd = (lp - lm) / (2 * h);
            ck_assert_msg(fabs(fd - dx[k]) <= 1e-6 * (1 + fabs(fd)), "dx[%lld]: %g vs %g",
                          (long long)k, fd, dx[k]);
        }
        cpae__tangent_free(&tg);
        cpae__trace_free(&t);
        free(J);
        free(C);
        free(cy);
        free(grad);
        free(dx);
    }
    cpae_model_destroy(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tangent");
    TCase *tc = tcase_create("tangent");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_jacobians, 0, 6);
    tcase_add_loop_test(tc, test_gradients, 0, 6);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
