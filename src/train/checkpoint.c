/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* checkpoint.c -- trainer checkpoints (docs/format.md, "Trainer
 * checkpoints"): everything a fit needs to go on bit-identically -- the
 * model and generators (embedded as a model file, format version 1 or 2),
 * every hyperparameter, the optimiser's moments and step count, the random
 * generator, the fit's position (train/trainer.h, cpae__fit) and its
 * history. The bytes go through io/'s writer (little-endian, CRC-32) and
 * its atomic file save; a load parses and checks everything into scratch
 * before it changes the trainer, so a refused checkpoint leaves the
 * trainer, the model and the generators as they were. */
#include "io/io.h"
#include "train/params.h"
#include "train/trainer.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_MAGIC "CPAECKPT"
#define CKPT_VERSION 2u /* 2: the fit's data identity is fit_data.c's (row
                           hashes by global index); 1: a CRC of the rows */
#define CKPT_HEADER 24 /* magic, version, flags, payload length */
/* Fixed part of the payload: method .. fit info, before the variable
 * blocks (see emit below; the sizes are checked by ckpt_bytes). */
#define CKPT_FIXED(n_keys)                                                              \
    (4 + 4 + 8 * (int64_t)(n_keys) + 8 + 4 + 4 + 32 + 8 + 4 + 4 + 8 + /* cfg .. n_train */ \
     8 + 8 + 4 + 4 + 8 + 4 + 4 +                /* data identity */                      \
     4 + 4 + 4 + 4 + 8 * 5 + 8 * 6 + 4 + 4 + 8 * CPAE__N_TERMS + 8 + 8 + 8 * 4 + /* fit */ \
     8 * 2 + 8 +                                /* last fit's info */                    \
     8 + 8 + 8)                                 /* history shape, model length */

uint32_t cpae__data_crc(const double *x, int64_t n, int64_t d)
{
    uint32_t crc = 0;
    for (int64_t i = 0; x && i < n; i++) /* row by row: no n d 8 overflow */
        crc = cpae__io_crc_update(crc, (const uint8_t *)(x + i * d),
                                  d * (int64_t)sizeof(double));
    return crc;
}

/* Bytes of a checkpoint of t. */
static int64_t ckpt_bytes(const cpae_trainer *t)
{
    const cpae__fit *f = &t->fit;
    int64_t nt = cpae__trainer_n_train(t);
    int64_t b = CKPT_HEADER + CKPT_FIXED(CPAE__N_KEYS) + 4;
    b += t->opt_m ? 16 * nt : 0;
    b += f->active ? 8 * f->n + 16 * nt : 0;
    b += 8 * f->hist_rows * CPAE__HIST_COLS;
    b += cpae__io_saved_bytes_lie(t->model, t->lie);
    return b;
}

/* A sink that appends a nested file (the model) to an outer writer. */
static int32_t sink_nested(void *ctx, const uint8_t *bytes, int64_t n)
{
    struct cpae__io_writer *outer = ctx;
    cpae__io_put_bytes(outer, bytes, n);
    return outer->st;
}

static int32_t emit(const void *obj, struct cpae__io_writer *w, const char *fn)
{
    const cpae_trainer *t = obj;
    const cpae__fit *f = &t->fit;
    int64_t nt = cpae__trainer_n_train(t), size = ckpt_bytes(t);
    int64_t model_bytes = cpae__io_saved_bytes_lie(t->model, t->lie);
    for (int i = 0; i < 8; i++)
        cpae__io_put(w, (uint8_t)CKPT_MAGIC[i], 1);
    cpae__io_put(w, CKPT_VERSION, 4);
    cpae__io_put(w, 0, 4);
    cpae__io_put(w, (uint64_t)(size - CKPT_HEADER - 4), 8);
    /* configuration */
    cpae__io_put(w, (uint32_t)t->method, 4);
    cpae__io_put(w, CPAE__N_KEYS, 4);
    cpae__io_put_doubles(w, t->cfg.v, CPAE__N_KEYS);
    cpae__io_put_f64(w, t->cfg.theta_max);
    cpae__io_put(w, t->theta_valid, 4);
    cpae__io_put(w, t->learn_g, 4);
    for (int i = 0; i < 4; i++)
        cpae__io_put(w, t->rng.s[i], 8);
    /* optimiser */
    cpae__io_put(w, (uint64_t)t->opt_t, 8);
    cpae__io_put(w, t->opt_m != NULL, 4);
    cpae__io_put(w, 0, 4);
    cpae__io_put(w, (uint64_t)nt, 8);
    /* data identity */
    int64_t nv = t->xv ? t->nv : 0;
    cpae__io_put(w, (uint64_t)(t->x ? t->n : 0), 8);
    cpae__io_put(w, (uint64_t)t->model->layers[0].n_in, 8);
    cpae__io_put(w, cpae__data_crc(t->x, t->x ? t->n : 0, t->d), 4);
    cpae__io_put(w, 0, 4);
    cpae__io_put(w, (uint64_t)nv, 8);
    cpae__io_put(w, cpae__data_crc(t->xv, nv, t->d), 4);
    cpae__io_put(w, 0, 4);
    /* the fit */
    cpae__io_put(w, f->active, 4);
    cpae__io_put(w, f->stop, 4);
    cpae__io_put(w, f->shuffled, 4);
    cpae__io_put(w, 0, 4);
    const int64_t ints[5] = {f->n, f->epoch, f->pos, f->step, f->validated};
    for (int i = 0; i < 5; i++)
        cpae__io_put(w, (uint64_t)ints[i], 8);
    const double reals[6] = {f->val, f->ema, f->ema_low, f->var, cpae__fit_elapsed(t),
                             f->theta_max};
    cpae__io_put_doubles(w, reals, 6);
    cpae__io_put(w, f->x_crc, 4);
    cpae__io_put(w, f->xv_crc, 4);
    cpae__io_put_doubles(w, f->sums, CPAE__N_TERMS);
    cpae__io_put(w, (uint64_t)f->n_sums, 8);
    cpae__io_put_f64(w, f->best_err);
    cpae__io_put(w, (uint64_t)f->best_step, 8);
    cpae__io_put(w, (uint64_t)f->best_epoch, 8);
    cpae__io_put(w, (uint64_t)f->since, 8);
    cpae__io_put(w, (uint64_t)f->nv, 8);
    cpae__io_put(w, (uint64_t)t->fit_steps, 8);
    cpae__io_put(w, (uint64_t)t->fit_best_step, 8);
    cpae__io_put_f64(w, t->fit_best_val);
    cpae__io_put(w, (uint64_t)f->hist_rows, 8);
    cpae__io_put(w, CPAE__HIST_COLS, 8);
    cpae__io_put(w, (uint64_t)model_bytes, 8);
    /* variable blocks */
    if (t->opt_m) {
        cpae__io_put_doubles(w, t->opt_m, nt);
        cpae__io_put_doubles(w, t->opt_v, nt);
    }
    if (f->active) {
        for (int64_t i = 0; i < f->n && w->st == CPAE_OK; i++)
            cpae__io_put(w, (uint64_t)f->perm[i], 8);
        cpae__io_put_doubles(w, f->start, nt);
        cpae__io_put_doubles(w, f->best, nt);
    }
    cpae__io_put_doubles(w, f->hist, f->hist_rows * CPAE__HIST_COLS);
    struct cpae__io_writer *inner = malloc(sizeof *inner);
    if (!inner)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    cpae__io_writer_init(inner, sink_nested, w);
    int32_t st = cpae__io_serialize_lie(t->model, t->lie, inner, fn);
    free(inner);
    if (st)
        return st;
    cpae__io_flush(w);
    cpae__io_put(w, w->crc, 4);
    cpae__io_flush(w);
    if (w->st == CPAE_OK && w->total != size)
        return cpae__fail(CPAE_E_INTERNAL, fn, "wrote %lld checkpoint bytes, expected %lld",
                          (long long)w->total, (long long)size);
    return w->st;
}

/* ------------------------------------------------------------- saving */

int32_t cpae_trainer_save_checkpoint(const cpae_trainer *t, const char *path)
{
    static const char fn[] = "cpae_trainer_save_checkpoint";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    return st ? st : cpae__io_save_file(path, emit, t, fn);
}

int32_t cpae_trainer_checkpoint_size(const cpae_trainer *t, int64_t *n)
{
    static const char fn[] = "cpae_trainer_checkpoint_size";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(n, fn, "n")))
        return st;
    *n = ckpt_bytes(t);
    return CPAE_OK;
}

int32_t cpae_trainer_save_checkpoint_to_buffer(const cpae_trainer *t, uint8_t *buf, int64_t cap,
                                               int64_t *written)
{
    static const char fn[] = "cpae_trainer_save_checkpoint_to_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(buf, fn, "buf")) ||
        (st = cpae__check_ptr(written, fn, "written")))
        return st;
    int64_t need = ckpt_bytes(t);
    if (cap < need) {
        *written = need;
        return cpae__fail(CPAE_E_BUFFER_TOO_SMALL, fn, "cap is %lld bytes, the checkpoint "
                          "needs %lld", (long long)cap, (long long)need);
    }
    struct cpae__io_buf_sink s = {buf, 0};
    struct cpae__io_writer *w = malloc(sizeof *w);
    if (!w)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    cpae__io_writer_init(w, cpae__io_sink_buffer, &s);
    st = emit(t, w, fn);
    free(w);
    if (!st)
        *written = s.pos;
    return st;
}

/* ------------------------------------------------------------- loading */

/* A bounds-checked cursor over the payload: the first shortage sticks. */
struct rd {
    const uint8_t *p;
    int64_t left;
    int32_t st;
    const char *fn;
};

static const uint8_t *rd_take(struct rd *r, int64_t n, const char *what)
{
    if (r->st)
        return NULL;
    if (n < 0 || n > r->left) {
        r->st = cpae__fail(CPAE_E_FORMAT, r->fn, "truncated: %s needs %lld bytes, %lld "
                           "remain", what, (long long)n, (long long)r->left);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint64_t rd_u(struct rd *r, int n, const char *what)
{
    const uint8_t *p = rd_take(r, n, what);
    return p ? cpae__io_get(p, n) : 0;
}

static int64_t rd_i(struct rd *r, const char *what)
{
    return (int64_t)rd_u(r, 8, what);
}

static double rd_f(struct rd *r, const char *what)
{
    const uint8_t *p = rd_take(r, 8, what);
    return p ? cpae__io_get_f64(p) : 0.0;
}

/* A checkpoint's contents, parsed and checked; blocks point into the
 * bytes. */
struct ckpt {
    uint32_t version;
    int32_t method;
    int64_t n_keys;
    double v[CPAE__N_KEYS];
    double theta_max;
    uint64_t theta_valid, learn_g, has_m, active, stop, shuffled;
    uint64_t rng[4];
    int64_t opt_t, n_train, n, d, nv;
    uint32_t x_crc, xv_crc;
    cpae__fit f; /* scalars only */
    int64_t fit_steps, fit_best_step;
    double fit_best_val;
    int64_t hist_rows, hist_cols, model_bytes;
    const uint8_t *opt, *perm, *weights, *hist, *model;
};

static int32_t bad(const char *fn, const char *what)
{
    return cpae__fail(CPAE_E_FORMAT, fn, "%s", what);
}

/* Magic, size, version, payload length, CRC, flags (as model files). */
static int32_t check_header(const uint8_t *b, int64_t n, const char *fn)
{
    if (n >= 8 && memcmp(b, CKPT_MAGIC, 8) != 0)
        return bad(fn, "not a libcpae trainer checkpoint (magic is not \"" CKPT_MAGIC "\")");
    if (n < CKPT_HEADER + 4)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %lld bytes", (long long)n);
    uint32_t version = (uint32_t)cpae__io_get(b + 8, 4);
    if (version < 1 || version > CKPT_VERSION)
        return cpae__fail(CPAE_E_VERSION, fn, "checkpoint version %u; this library reads "
                          "versions 1 to %u", version, CKPT_VERSION);
    uint64_t payload = cpae__io_get(b + 16, 8);
    if (payload != (uint64_t)(n - CKPT_HEADER - 4))
        return cpae__fail(CPAE_E_FORMAT, fn, "the header announces %llu payload bytes, %lld "
                          "are present (truncated or trailing bytes)",
                          (unsigned long long)payload, (long long)(n - CKPT_HEADER - 4));
    uint32_t stored = (uint32_t)cpae__io_get(b + n - 4, 4);
    if (stored != cpae__io_crc_update(0, b, n - 4))
        return bad(fn, "checksum mismatch: the checkpoint is corrupted");
    if (cpae__io_get(b + 12, 4) != 0)
        return bad(fn, "unknown flags");
    return CPAE_OK;
}

/* The fixed fields, in emit's order. */
static void read_fixed(struct rd *r, struct ckpt *c)
{
    cpae__fit *f = &c->f;
    c->method = (int32_t)rd_u(r, 4, "method");
    c->n_keys = (int64_t)rd_u(r, 4, "key count");
    if (!r->st && c->n_keys > CPAE__N_KEYS)
        r->st = bad(r->fn, "more hyperparameter keys than this library has");
    for (int64_t k = 0; k < c->n_keys && !r->st; k++)
        c->v[k] = rd_f(r, "hyperparameters");
    c->theta_max = rd_f(r, "theta range");
    c->theta_valid = rd_u(r, 4, "flags");
    c->learn_g = rd_u(r, 4, "flags");
    for (int i = 0; i < 4; i++)
        c->rng[i] = rd_u(r, 8, "random state");
    c->opt_t = rd_i(r, "optimiser");
    c->has_m = rd_u(r, 4, "optimiser");
    (void)rd_u(r, 4, "optimiser");
    c->n_train = rd_i(r, "optimiser");
    c->n = rd_i(r, "data identity");
    c->d = rd_i(r, "data identity");
    c->x_crc = (uint32_t)rd_u(r, 4, "data identity");
    (void)rd_u(r, 4, "data identity");
    c->nv = rd_i(r, "data identity");
    c->xv_crc = (uint32_t)rd_u(r, 4, "data identity");
    (void)rd_u(r, 4, "data identity");
    c->active = rd_u(r, 4, "fit");
    c->stop = rd_u(r, 4, "fit");
    c->shuffled = rd_u(r, 4, "fit");
    (void)rd_u(r, 4, "fit");
    f->n = rd_i(r, "fit");
    f->epoch = rd_i(r, "fit");
    f->pos = rd_i(r, "fit");
    f->step = rd_i(r, "fit");
    f->validated = rd_i(r, "fit");
    f->val = rd_f(r, "fit");
    f->ema = rd_f(r, "fit");
    f->ema_low = rd_f(r, "fit");
    f->var = rd_f(r, "fit");
    f->seconds = rd_f(r, "fit");
    f->theta_max = rd_f(r, "fit");
    f->x_crc = (uint32_t)rd_u(r, 4, "fit");
    f->xv_crc = (uint32_t)rd_u(r, 4, "fit");
    for (int k = 0; k < CPAE__N_TERMS; k++)
        f->sums[k] = rd_f(r, "fit");
    f->n_sums = rd_i(r, "fit");
    f->best_err = rd_f(r, "fit");
    f->best_step = rd_i(r, "fit");
    f->best_epoch = rd_i(r, "fit");
    f->since = rd_i(r, "fit");
    f->nv = rd_i(r, "fit");
    c->fit_steps = rd_i(r, "fit");
    c->fit_best_step = rd_i(r, "fit");
    c->fit_best_val = rd_f(r, "fit");
    c->hist_rows = rd_i(r, "history");
    c->hist_cols = rd_i(r, "history");
    c->model_bytes = rd_i(r, "model");
}

/* Ranges of the fixed fields; then the variable blocks are located. */
static int32_t check_fixed(struct rd *r, struct ckpt *c, const char *fn)
{
    const cpae__fit *f = &c->f;
    for (int64_t k = 0; k < c->n_keys; k++)
        if (cpae__param_find((int32_t)k)) {
            int32_t st = cpae__param_check((int32_t)k, c->v[k], fn);
            if (st)
                return st == CPAE_E_NONFINITE ? st : CPAE_E_FORMAT;
        }
    if (!(c->theta_max >= 0 && c->theta_max <= DBL_MAX) ||
        !(f->theta_max >= 0 && f->theta_max <= DBL_MAX) || !(f->var >= 0 && f->var <= DBL_MAX))
        return bad(fn, "theta range or data variance out of range");
    if ((c->theta_valid | c->learn_g | c->has_m | c->active | c->stop | c->shuffled) > 1)
        return bad(fn, "a flag is neither 0 nor 1");
    if (!(c->rng[0] | c->rng[1] | c->rng[2] | c->rng[3]))
        return bad(fn, "the random state is all zero");
    if (c->opt_t < 0 || c->n < 0 || c->nv < 0 || c->d < 1 || c->n_train < 0 ||
        c->hist_rows < 0 || c->model_bytes < 1 || c->fit_steps < 0 || c->fit_best_step < -1)
        return bad(fn, "a count is negative");
    if (c->hist_cols != CPAE__HIST_COLS)
        return bad(fn, "history rows have another number of columns");
    if (c->active && (f->n < 1 || f->nv < 0 || f->epoch < 0 || f->step < 0 || f->pos < 0 ||
                      f->pos > f->n || f->validated < -1 || f->validated > f->step ||
                      f->n_sums < 0 || f->best_step < -1 || f->best_step > f->step ||
                      f->best_epoch < -1 || f->since < 0))
        return bad(fn, "the fit's position is inconsistent");
    int64_t nt = c->n_train;
    /* Each block's bytes must be present before anything is allocated. */
    if (nt > CPAE_MAX_PARAMS * 2 || c->hist_rows > (INT64_C(1) << 40) ||
        (c->active && f->n > (INT64_C(1) << 36)))
        return bad(fn, "a block is larger than the checkpoint");
    c->opt = c->has_m ? rd_take(r, 16 * nt, "optimiser moments") : NULL;
    c->perm = c->active ? rd_take(r, 8 * f->n, "data order") : NULL;
    c->weights = c->active ? rd_take(r, 16 * nt, "starting and best weights") : NULL;
    c->hist = rd_take(r, 8 * c->hist_rows * CPAE__HIST_COLS, "history");
    c->model = rd_take(r, c->model_bytes, "model");
    if (r->st)
        return r->st;
    if (r->left != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "%lld unused bytes after the model",
                          (long long)r->left);
    return CPAE_OK;
}

/* n doubles at p, finite (and >= 0 when nonneg). */
static int32_t check_values(const uint8_t *p, int64_t n, bool nonneg, const char *what,
                            const char *fn)
{
    for (int64_t i = 0; i < n; i++) {
        double x = cpae__io_get_f64(p + 8 * i);
        if (!isfinite(x) || (nonneg && x < 0))
            return cpae__fail(isfinite(x) ? CPAE_E_FORMAT : CPAE_E_NONFINITE, fn,
                              "%s: value %lld is %g", what, (long long)i, x);
    }
    return CPAE_OK;
}

/* The data order must be a permutation of 0..n-1. */
static int32_t check_perm(const uint8_t *p, int64_t n, const char *fn)
{
    uint8_t *seen = calloc((size_t)n, 1);
    if (!seen)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = CPAE_OK;
    for (int64_t i = 0; i < n && !st; i++) {
        uint64_t j = cpae__io_get(p + 8 * i, 8);
        if (j >= (uint64_t)n || seen[j]++)
            st = bad(fn, "the data order is not a permutation");
    }
    free(seen);
    return st;
}

/* The checkpoint must belong to this trainer: method, generators, layers. */
static int32_t check_fits(const cpae_trainer *t, const struct ckpt *c, const cpae_model *m,
                          const cpae_lie *lie, const char *fn)
{
    const cpae_model *tm = t->model;
    bool same = c->method == t->method && (bool)c->learn_g == t->learn_g &&
                c->n_train == cpae__trainer_n_train(t) && m->n_enc == tm->n_enc &&
                m->n_dec == tm->n_dec && (lie != NULL) == (t->lie != NULL);
    for (int64_t l = 0; same && l < m->n_enc + m->n_dec; l++) {
        const struct cpae_layer *a = &m->layers[l], *b = &tm->layers[l];
        same = a->n_in == b->n_in && a->n_out == b->n_out && a->act == b->act &&
               (a->act != CPAE_ACT_LEAKY_RELU || a->alpha == b->alpha);
    }
    if (same && lie)
        same = lie->d == t->lie->d && lie->k == t->lie->k && lie->param == t->lie->param &&
               lie->trainable == t->lie->trainable;
    if (!same)
        return cpae__fail(CPAE_E_MISMATCH, fn, "the checkpoint is of another trainer (method, "
                          "layers or generators differ)");
    return CPAE_OK;
}

/* A resumable fit's data, when the trainer holds them and can tell alone
 * (a parallel trainer's are checked with the others, agree_load): the
 * training set's size and identity, and the validation set's if it is set
 * already, must be the fit's (set later: resume checks). A version-1
 * checkpoint's CRCs are checked and replaced by the identities, so its
 * data must all be there. */
static int32_t check_data(cpae_trainer *t, struct ckpt *c, const char *fn)
{
    if (!c->active || (!t->x && c->version > 1))
        return CPAE_OK;
    if (c->version == 1 && (!t->x || t->par.reduce || (c->f.nv > 0 && !t->xv)))
        return cpae__fail(CPAE_E_MISMATCH, fn, "a version-1 checkpoint's fit resumes only on "
                          "a single-process trainer that holds the fit's training and "
                          "validation data when it loads");
    if (t->par.reduce)
        return CPAE_OK;
    int64_t nv = t->xv ? t->nv : 0;
    cpae__data_id id = {0};
    if (t->n == c->f.n)
        cpae__data_local_ids(t, &id);
    bool same = t->n == c->f.n && (!t->xv || nv == c->f.nv);
    if (same && c->version == 1) {
        same = cpae__data_crc(t->x, t->n, t->d) == c->f.x_crc &&
               cpae__data_crc(t->xv, nv, t->d) == c->f.xv_crc && nv == c->f.nv;
        c->f.x_crc = id.x;
        c->f.xv_crc = id.xv;
    }
    if (!same || id.x != c->f.x_crc || (t->xv && id.xv != c->f.xv_crc))
        return cpae__fail(CPAE_E_MISMATCH, fn, "the trainer's data differ from those of the "
                          "fit the checkpoint was saved during");
    return CPAE_OK;
}

/* A digest of what a resume depends on: the parsed configuration, the
 * optimiser, the fit's position, data identity, order and weights, and
 * the model. Not the fields that are each process's own (its rows' count
 * and CRC when it saved, its clock, the history with its seconds), so the
 * checkpoints that different processes of one fit saved agree. */
static uint32_t ckpt_digest(const struct ckpt *c)
{
    const cpae__fit *f = &c->f;
    const int64_t ints[20] = {c->method, c->n_keys, (int64_t)c->theta_valid,
                              (int64_t)c->learn_g, (int64_t)c->has_m, (int64_t)c->active,
                              (int64_t)c->stop, (int64_t)c->shuffled, c->opt_t, c->n_train,
                              f->n, f->nv, f->epoch, f->pos, f->step, f->validated, f->n_sums,
                              f->best_step, f->best_epoch, f->since};
    const double reals[8] = {c->theta_max, f->val, f->ema, f->ema_low, f->var, f->theta_max,
                             f->best_err, c->fit_best_val};
    const uint32_t ids[2] = {f->x_crc, f->xv_crc};
    int64_t nt = c->n_train;
    uint32_t h = cpae__fnv(2166136261u, ints, sizeof ints);
    h = cpae__fnv(h, reals, sizeof reals);
    h = cpae__fnv(h, ids, sizeof ids);
    h = cpae__fnv(h, c->v, (size_t)c->n_keys * sizeof(double));
    h = cpae__fnv(h, c->rng, sizeof c->rng);
    h = cpae__fnv(h, f->sums, sizeof f->sums);
    if (c->opt)
        h = cpae__fnv(h, c->opt, (size_t)(16 * nt));
    if (c->perm)
        h = cpae__fnv(h, c->perm, (size_t)(8 * f->n));
    if (c->weights)
        h = cpae__fnv(h, c->weights, (size_t)(16 * nt));
    return cpae__fnv(h, c->model, (size_t)c->model_bytes);
}

/* On a trainer in a data-parallel fit the load is collective: every
 * process reduces its outcome, a digest of the checkpoint's state and
 * n_global, and its rows' identity sums; all load or none does. (That
 * every process holds the same whole set, when the data sampler or the
 * exact form reads it, the resume checks.) */
static int32_t agree_load(cpae_trainer *t, int32_t st, const struct ckpt *c, const char *fn)
{
    double v[6 + CPAE__DATA_SUMS] = {st ? 1.0 : 0.0};
    uint32_t h = st ? 0 : ckpt_digest(c);
    cpae__par_digest(v + 1, cpae__fnv(h, &t->par.n_global, sizeof t->par.n_global));
    if (!st)
        cpae__data_sums(t, v + 6, NULL);
    int32_t rst = cpae__par_reduce(t, v, 6 + CPAE__DATA_SUMS, fn);
    if (st || rst)
        return st ? st : rst;
    if (!cpae__par_digest_same(v + 1))
        return cpae__fail(CPAE_E_MISMATCH, fn, "the processes loaded checkpoints of different "
                          "fits or states, or have different n_global");
    cpae__data_id id;
    cpae__data_ids(v + 6, &id);
    if (c->active && (t->par.n_global != c->f.n || id.x != c->f.x_crc || id.nv != c->f.nv ||
                      id.xv != c->f.xv_crc))
        return cpae__fail(CPAE_E_MISMATCH, fn, "the processes' data differ from those of the "
                          "fit the checkpoint was saved during");
    return CPAE_OK;
}

static void get_doubles(const uint8_t *p, double *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = cpae__io_get_f64(p + 8 * i);
}

/* Everything checked and allocated: replace the trainer's state. */
static void commit(cpae_trainer *t, const struct ckpt *c, const cpae_model *m,
                   const cpae_lie *lie, double *hist, double *opt_m, double *opt_v)
{
    cpae__fit *f = &t->fit;
    int64_t nt = c->n_train;
    memcpy(t->model->params, m->params, (size_t)m->n_params * sizeof(double));
    if (lie)
        memcpy(t->lie->g, lie->g, (size_t)(lie->k * lie->d * lie->d) * sizeof(double));
    memcpy(t->cfg.v, c->v, (size_t)c->n_keys * sizeof(double));
    t->cfg.theta_max = c->theta_max;
    t->theta_valid = c->theta_valid;
    t->planned = false;
    for (int i = 0; i < 4; i++)
        t->rng.s[i] = c->rng[i];
    t->opt_t = c->opt_t;
    if (c->has_m) {
        t->opt_m = opt_m;
        t->opt_v = opt_v;
        get_doubles(c->opt, t->opt_m, nt);
        get_doubles(c->opt + 8 * nt, t->opt_v, nt);
    } else {
        free(t->opt_m);
        free(t->opt_v);
        t->opt_m = t->opt_v = NULL;
    }
    f->active = c->active;
    f->running = false;
    f->stop = c->stop;
    f->shuffled = c->shuffled;
    f->n = c->f.n;
    f->nv = c->f.nv;
    f->x_crc = c->f.x_crc;
    f->xv_crc = c->f.xv_crc;
    f->epoch = c->f.epoch;
    f->pos = c->f.pos;
    f->step = c->f.step;
    f->validated = c->f.validated;
    f->val = c->f.val;
    f->ema = c->f.ema;
    f->ema_low = c->f.ema_low;
    f->var = c->f.var;
    f->seconds = c->f.seconds;
    f->theta_max = c->f.theta_max;
    memcpy(f->sums, c->f.sums, sizeof f->sums);
    f->n_sums = c->f.n_sums;
    f->best_err = c->f.best_err;
    f->best_step = c->f.best_step;
    f->best_epoch = c->f.best_epoch;
    f->since = c->f.since;
    if (c->active) {
        for (int64_t i = 0; i < f->n; i++)
            f->perm[i] = (int64_t)cpae__io_get(c->perm + 8 * i, 8);
        get_doubles(c->weights, f->start, nt);
        get_doubles(c->weights + 8 * nt, f->best, nt);
    }
    free(f->hist);
    f->hist = hist;
    f->hist_rows = f->hist_cap = c->hist_rows;
    if (hist)
        get_doubles(c->hist, hist, c->hist_rows * CPAE__HIST_COLS);
    t->fit_steps = c->fit_steps;
    t->fit_best_step = c->fit_best_step;
    t->fit_best_val = c->fit_best_val;
}

/* Load b[0..n), or with st_in != 0 (the bytes could not be had) only take
 * part in a parallel trainer's agreement. */
static int32_t load(cpae_trainer *t, const uint8_t *b, int64_t n, int32_t st_in, const char *fn)
{
    int32_t st = st_in ? st_in : check_header(b, n, fn);
    if (st && !t->par.reduce)
        return st;
    struct ckpt *c = calloc(1, sizeof *c);
    if (!c && !st)
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    double *hist = NULL, *opt_m = t->opt_m, *opt_v = t->opt_v;
    if (!st && c) {
        memcpy(c->v, t->cfg.v, sizeof c->v); /* keys a newer file lacks keep theirs */
        c->version = (uint32_t)cpae__io_get(b + 8, 4);
        struct rd r = {b + CKPT_HEADER, n - CKPT_HEADER - 4, CPAE_OK, fn};
        read_fixed(&r, c);
        int64_t nt = c->n_train;
        if ((st = r.st) || (st = check_fixed(&r, c, fn)) ||
            (st = cpae__io_parse(c->model, c->model_bytes, &m, &lie, fn)) ||
            (st = check_fits(t, c, m, lie, fn)) || (st = check_data(t, c, fn)) ||
            (c->has_m && ((st = check_values(c->opt, nt, false, "first moments", fn)) ||
                          (st = check_values(c->opt + 8 * nt, nt, true, "second moments",
                                             fn)))) ||
            (c->active && ((st = check_perm(c->perm, c->f.n, fn)) ||
                           (st = check_values(c->weights, 2 * nt, false, "fit weights", fn)))))
            goto agree;
        /* Allocate everything before the first change. */
        if (c->has_m && !t->opt_m) {
            opt_m = calloc((size_t)(nt ? nt : 1), sizeof(double));
            opt_v = calloc((size_t)(nt ? nt : 1), sizeof(double));
        }
        if (c->hist_rows)
            hist = malloc((size_t)(c->hist_rows * CPAE__HIST_COLS) * sizeof(double));
        if ((c->has_m && (!opt_m || !opt_v)) || (c->hist_rows && !hist) ||
            (c->active && cpae__fit_reserve(&t->fit, c->f.n, nt, fn)))
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
agree:
    if (t->par.reduce)
        st = agree_load(t, st, c, fn);
    if (st) {
        if (opt_m != t->opt_m) {
            free(opt_m);
            free(opt_v);
        }
        free(hist);
    } else
        commit(t, c, m, lie, hist, opt_m, opt_v);
    cpae_model_destroy(m);
    cpae_lie_destroy(lie);
    free(c);
    return st;
}

int32_t cpae_trainer_load_checkpoint_from_buffer(cpae_trainer *t, const uint8_t *buf, int64_t n)
{
    static const char fn[] = "cpae_trainer_load_checkpoint_from_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__trainer_check_idle(t, fn)))
        return st;
    if (!(st = cpae__check_ptr(buf, fn, "buf")) && n <= 0)
        st = cpae__fail(CPAE_E_SIZE, fn, "n is %lld; need the bytes of a checkpoint",
                        (long long)n);
    return load(t, buf, n, st, fn); /* (a parallel trainer's failure is agreed) */
}

int32_t cpae_trainer_load_checkpoint(cpae_trainer *t, const char *path)
{
    static const char fn[] = "cpae_trainer_load_checkpoint";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__trainer_check_idle(t, fn)))
        return st;
    uint8_t *buf = NULL;
    int64_t n = 0;
    /* No checkpoint of this trainer is larger than what it holds now plus
     * the largest fit state; bound the read by the library's limits. */
    if (!(st = cpae__check_ptr(path, fn, "path")))
        st = cpae__io_read_file(path, INT64_C(1) << 40, &buf, &n, fn);
    st = load(t, buf, n, st, fn); /* (a parallel trainer's failure is agreed) */
    free(buf);
    return st;
}
