/* optimiser.c -- one training step: the batch's loss and gradient (the
 * generators' gradient projected onto the skew matrices when they are
 * skew), then Adam with bias correction or SGD with momentum, weight decay
 * on weights only, the generator learning-rate factor, and the undo when
 * an update leaves a non-finite value or a collapsed generator. */
#include "train/trainer.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* Loss and gradient (all trainable values, skew-projected) of a batch. */
int32_t cpae__trainer_batch_gradient(cpae_trainer *t, const cpae__batch *b, double *terms,
                                     double *grad, const char *fn)
{
    int64_t nm = t->model->n_params, ng = cpae__trainer_n_gen(t);
    /* The loss writes generator gradients after the model's even when the
     * generators are fixed: give it room, then drop them. */
    int64_t room = nm + (t->lie ? t->lie->k * t->lie->d * t->lie->d : 0);
    double *g = calloc((size_t)(room ? room : 1), sizeof(double));
    if (!g)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__loss_eval(t->model, t->lie, &t->cfg, b, &t->rng, terms, grad ? g : NULL, fn);
    if (!st && grad) {
        memcpy(grad, g, (size_t)(nm + ng) * sizeof(double));
        if (ng && t->lie->param == CPAE_LIE_SKEW) {
            /* Gradient within the skew-symmetric subspace. */
            int64_t d = t->lie->d;
            for (int64_t j = 0; j < t->lie->k; j++) {
                double *gj = grad + nm + j * d * d;
                for (int64_t a = 0; a < d; a++)
                    for (int64_t e = a; e < d; e++) {
                        double v = 0.5 * (gj[a * d + e] - gj[e * d + a]);
                        gj[a * d + e] = v;
                        gj[e * d + a] = -v;
                    }
            }
        }
    }
    free(g);

    return st;
}

/* Finite and representable in the float API. */
bool cpae__all_float(const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(v[i]) <= FLT_MAX))
            return false;
    return true;
}

/* Constants of one optimiser update. */
typedef struct opt_consts {
    bool adam;
    double b1, b2, eps, mom, c1, c2;
} opt_consts;

/* The step of trainable value i for gradient g (Adam with bias correction,
 * or SGD with momentum), updating the optimiser state. */
static double opt_step(const opt_consts *o, cpae_trainer *t, int64_t i, double g)
{
    if (o->adam) {
        t->opt_m[i] = o->b1 * t->opt_m[i] + (1 - o->b1) * g;
        t->opt_v[i] = o->b2 * t->opt_v[i] + (1 - o->b2) * g * g;
        return (t->opt_m[i] / o->c1) / (sqrt(t->opt_v[i] / o->c2) + o->eps);
    }
    t->opt_m[i] = o->mom * t->opt_m[i] + g;
    return t->opt_m[i];
}

/* One optimiser update with gradient grad. Weights and generators are
 * restored if the update produces a non-finite value. */
int32_t cpae__trainer_update(cpae_trainer *t, const double *grad, const char *fn)
{
    int64_t nm = t->model->n_params, ng = cpae__trainer_n_gen(t), nt = nm + ng;
    if (!t->opt_m) {
        t->opt_m = calloc((size_t)(nt ? nt : 1), sizeof(double));
        t->opt_v = calloc((size_t)(nt ? nt : 1), sizeof(double));
        if (!t->opt_m || !t->opt_v) {
            free(t->opt_m);
            free(t->opt_v);
            t->opt_m = t->opt_v = NULL;
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        }
    }
    double *save = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    if (!save)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    cpae__trainer_snapshot(t, save);
    double lr = cpae__tp(t, CPAE_P_LEARNING_RATE), wd = cpae__tp(t, CPAE_P_WEIGHT_DECAY);
    double glr = cpae__tp(t, CPAE_P_GENERATOR_LR);
    t->opt_t++;
    opt_consts o = {cpae__tp(t, CPAE_P_OPTIMIZER) == CPAE_OPT_ADAM,
                    cpae__tp(t, CPAE_P_ADAM_BETA1),
                    cpae__tp(t, CPAE_P_ADAM_BETA2),
                    cpae__tp(t, CPAE_P_ADAM_EPS),
                    cpae__tp(t, CPAE_P_MOMENTUM),
                    0,
                    0};
    o.c1 = 1.0 - pow(o.b1, (double)t->opt_t);
    o.c2 = 1.0 - pow(o.b2, (double)t->opt_t);
    /* Weight decay applies to weights only: mark the bias ranges. */
    for (int64_t l = 0; l < t->model->n_enc + t->model->n_dec; l++) {
        const struct cpae_layer *L = &t->model->layers[l];
        int64_t w0 = L->w - t->model->params, nw = L->n_in * L->n_out;
        for (int64_t i = w0; i < w0 + nw + L->n_out; i++)
            t->model->params[i] -=
                lr * opt_step(&o, t, i, grad[i] + (i < w0 + nw ? wd * t->model->params[i] : 0.0));
    }
    for (int64_t e = 0; e < ng; e++)
        t->lie->g[e] -= glr * lr * opt_step(&o, t, nm + e, grad[nm + e]);
    int32_t st = CPAE_OK;
    if (!cpae__all_float(t->model->params, nm) || (ng && !cpae__all_float(t->lie->g, ng)))
        st = cpae__fail(CPAE_E_DIVERGED, fn, "the update produced a non-finite weight; "
                        "weights kept at their last finite values");
    else if (ng && cpae__lie_normalize(t->lie, fn) != CPAE_OK)
        st = cpae__fail(CPAE_E_DIVERGED, fn, "a generator collapsed (zero or dependent) in "
                        "the update; weights kept at their last finite values");
    if (st)
        cpae__trainer_restore(t, save);
    free(save);
    return st;
}

/* Loss, gradient and update for one batch of training rows or user rows. */
int32_t cpae__trainer_train_step(cpae_trainer *t, const cpae__batch *b, double *terms,
                                 const char *fn)
{
    int64_t nt = cpae__trainer_n_train(t);
    double *grad = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    if (!grad)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__trainer_batch_gradient(t, b, terms, grad, fn);
    if (!st && (!cpae__all_float(terms, CPAE__N_TERMS) || !cpae__all_float(grad, nt)))
        st = cpae__fail(CPAE_E_DIVERGED, fn, "the loss or its gradient is not finite "
                        "(loss %g); weights kept at their last finite values",
                        terms[CPAE__T_TOTAL]);
    if (!st)
        st = cpae__trainer_update(t, grad, fn);
    free(grad);
    return st;
}
