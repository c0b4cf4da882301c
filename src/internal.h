/* internal.h -- definitions shared by libcpae's modules. Never installed. */
#ifndef CPAE_INTERNAL_H
#define CPAE_INTERNAL_H

#define CPAE_BUILDING 1
#include "cpae.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- errors */

/* Record the detail message of a failure on this thread and return status.
 * fmt is printf-style; the message is truncated to the thread-local buffer. */
int32_t cpae__fail(int32_t status, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* CPAE_E_IO with "what 'path': <strerror(e)>" (thread-safe strerror_r). */
int32_t cpae__fail_errno(int e, const char *func, const char *what,
                         const char *path);

/* Re-issue the failure of an inner public call under the outer function's
 * name: "func: what: <inner message>" (what may be NULL). Returns st. */
int32_t cpae__pass_on(int32_t st, const char *func, const char *what);

/* Clear this thread's message at the start of a public call. */
void cpae__clear_error(void);

/* Argument checks used by every public function. Each returns CPAE_OK or
 * records a message naming the function and the argument. */
int32_t cpae__check_ptr(const void *p, const char *func, const char *name);
int32_t cpae__check_finite_f(const float *x, int64_t n, const char *func,
                             const char *name);
int32_t cpae__check_cap(int64_t cap, int64_t need, const char *func,
                        const char *name);
/* Outputs the float API would return: every value finite and within
 * +-FLT_MAX, else CPAE_E_NONFINITE naming `what` (an overflow inside the
 * network, from huge weights or inputs). */
int32_t cpae__check_output(const double *y, int64_t n, const char *func,
                           const char *what);

/* a * b with overflow detection (both >= 0). Returns false on overflow. */
bool cpae__mul_ok(int64_t a, int64_t b, int64_t *out);

/* ------------------------------------------------------------------- rng */

/* xoshiro256** seeded by splitmix64: the same seed gives the same stream on
 * every platform. Lives in handles or on the stack, never in a static. */
typedef struct cpae_rng {
    uint64_t s[4];
} cpae_rng;

void cpae__rng_seed(cpae_rng *rng, uint64_t seed);
uint64_t cpae__rng_next(cpae_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double cpae__rng_uniform(cpae_rng *rng);
/* Standard normal (Marsaglia polar method). */
double cpae__rng_normal(cpae_rng *rng);

/* ---------------------------------------------------------------- layers */

/* A dense layer. W is n_out x n_in row-major and b is n_out, both double.
 * In a model they point into the model's single parameter block; in a
 * standalone cpae_layer they point into the layer's own allocation. */
struct cpae_layer {
    int64_t n_in;
    int64_t n_out;
    int32_t act;
    double alpha;
    double *w;
    double *b;
};

/* State q of a unit with pre-activation z (a = q z). The tie z == 0 takes
 * the "off" state everywhere (docs/math.md section 1). */
static inline double cpae__state(int32_t act, double alpha, double z)
{
    switch (act) {
    case CPAE_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case CPAE_ACT_LEAKY_RELU: return z > 0.0 ? 1.0 : alpha;
    case CPAE_ACT_ABS: return z > 0.0 ? 1.0 : -1.0;
    default: return 1.0;
    }
}

static inline bool cpae__has_bits(int32_t act)
{
    return act != CPAE_ACT_IDENTITY;
}

bool cpae__valid_activation(int32_t act);

/* Copy len finite floats into doubles (len must equal want), and want
 * doubles out to floats (cap >= want). Shared by layers and model layers. */
int32_t cpae__copy_in(double *dst, const float *src, int64_t len,
                      int64_t want, const char *fn, const char *name);
int32_t cpae__copy_out(float *dst, int64_t cap, const double *src,
                       int64_t want, const char *fn, const char *name);

/* Apply the activation in place to rows x cols values. */
void cpae__activate(int32_t act, double alpha, double *z, int64_t count);

/* ----------------------------------------------------------------- model */

struct cpae_model {
    int64_t n_enc;          /* encoder layers */
    int64_t n_dec;          /* decoder layers */
    int64_t n_params;       /* doubles in params */
    struct cpae_layer *layers; /* n_enc encoder layers, then n_dec decoder */
    double *params;         /* all weights and biases, layer by layer, W then b */
    void *user_data;
    size_t alloc_bytes;     /* size of the single allocation */
};

/* A contiguous run of layers: the encoder, the decoder, or both (the
 * autoencoder is simply the encoder chain followed by the decoder chain). */
typedef struct cpae_chain {
    const struct cpae_layer *layers;
    int64_t n;
} cpae_chain;

/* The chain for a stack. Returns CPAE_E_INVALID (with message) for an
 * unknown stack value. */
int32_t cpae__chain(const cpae_model *m, int32_t stack, cpae_chain *c,
                    const char *func);

static inline int64_t cpae__chain_in(const cpae_chain *c)
{
    return c->layers[0].n_in;
}
static inline int64_t cpae__chain_out(const cpae_chain *c)
{
    return c->layers[c->n - 1].n_out;
}
/* Number of code bits (non-identity units) in a chain. */
int64_t cpae__chain_bits(const cpae_chain *c);
/* Widest layer output in a chain (scratch sizing). */
int64_t cpae__chain_max_width(const cpae_chain *c);

/* Allocate a model with the given layer shapes (parameters zeroed) as one
 * block. Validates widths, limits and activations. */
int32_t cpae__model_alloc(const int64_t *n_in, const int64_t *n_out,
                          const int32_t *acts, const double *alphas,
                          int64_t n_enc, int64_t n_dec, cpae_model **out,
                          const char *func);

/* Forward pass of a chain on n points (n x in, double), writing the
 * outputs (n x out). If codes is non-NULL, also writes packed codes
 * (n x code_bytes). Scratch is allocated internally. */
int32_t cpae__chain_forward(const cpae_chain *c, const double *x, int64_t n,
                            double *y, uint8_t *codes, int64_t code_bytes,
                            const char *func);

/* Convert n float values to a newly allocated double array (caller frees),
 * after checking they are finite. */
int32_t cpae__to_double(const float *x, int64_t n, double **out,
                        const char *func, const char *name);

/* Validate a (model, stack, point array, n, dim) call and return the chain. */
int32_t cpae__check_points(const cpae_model *m, int32_t stack,
                           const float *p, int64_t n, int64_t dim,
                           cpae_chain *c, const char *func, const char *name);

/* ------------------------------------------------------------------ codes */

struct cpae_code {
    int32_t stack;
    int64_t n_bits;
    int64_t n_bytes;
    int64_t n_layers_enc; /* shape fingerprint to catch mismatched models */
    uint64_t shape_hash;
    uint8_t bits[];       /* n_bytes, LSB first */
};

/* Fingerprint of a chain's shape (widths and activations). */
uint64_t cpae__chain_shape_hash(const cpae_chain *c);

static inline int64_t cpae__bytes_for_bits(int64_t bits)
{
    return (bits + 7) / 8;
}

int32_t cpae__code_alloc(int32_t stack, int64_t n_bits, uint64_t shape_hash,
                         cpae_code **out, const char *func);

/* Count distinct rows of an n x width byte matrix (sorting a copy of row
 * indices). */
int32_t cpae__count_distinct_rows(const uint8_t *rows, int64_t n,
                                  int64_t width, int64_t *count,
                                  const char *func);

/* ----------------------------------------------------------------- affine */

struct cpae_affine {
    int32_t stack;        /* stack it was created for, or -1 if generic */
    int64_t n_out;
    int64_t n_in;
    uint64_t shape_hash;
    double *a;            /* n_out x n_in */
    double *b;            /* n_out */
};

/* Called by cpae__chain_frozen for every layer: z (n_out) are the layer's
 * pre-activations at the point, grad (n_out x in, row-major) their
 * gradients with respect to the chain input (masks frozen), bit the code
 * index of the layer's first unit (-1 for identity layers). Return non-zero
 * to stop with that status. */
typedef int32_t (*cpae__visit_fn)(void *ctx, const struct cpae_layer *layer,
                                  int64_t bit, const double *z,
                                  const double *grad, int64_t in);

/* Walk a chain at one point with the activation masks frozen by the point
 * (docs/math.md section 2). Any of visit, a (out x in), b (out), y (out: the
 * chain's output at the point) may be NULL. */
int32_t cpae__chain_frozen(const cpae_chain *c, const double *point,
                           cpae__visit_fn visit, void *ctx, double *a,
                           double *b, double *y, const char *func);

/* ------------------------------------------------------------------- blas */

/* C = alpha * op(A) op(B) + beta * C, row-major, through one wrapper so the
 * 64-bit sizes are checked against the BLAS integer width in one place. */
void cpae__gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                double alpha, const double *a, int64_t lda, const double *b,
                int64_t ldb, double beta, double *c, int64_t ldc);

/* ---------------------------------------------------------------- trainer */

/* A trainer key's value against its range and integrality (trainer.c's
 * parameter table); used by the trainer and by model selection. */
int32_t cpae__param_check(int32_t key, double value, const char *fn);

#endif /* CPAE_INTERNAL_H */
