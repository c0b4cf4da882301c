/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/**
 * @file cpae.h
 * @brief libcpae public API: the one stable header.
 *
 * cpae.h -- libcpae public API.
 *
 * libcpae treats a ReLU / leaky-ReLU / absolute-value autoencoder as what it
 * is: a continuous piecewise-affine (CPA) map. Every input x has a region
 * code and an exact affine map
 *
 *     D(E(x)) = A^D A^E x + A^D B^E + B^D,
 *
 * and the library exposes those codes and maps, measures the regions
 * (boundary distances, regions along a segment, regions in a ball) and saves
 * and loads models. The mathematics and every convention (tie-breaking, bit
 * order, scaling) are in docs/math.md and docs/design.md.
 *
 * API tiers (all stable from 0.1.0 unless marked otherwise):
 *   - Status and version ......... cpae_status_string, cpae_version_number
 *   - Layers ..................... cpae_layer_*
 *   - Models (autoencoders) ...... cpae_model_*
 *   - Region codes ............... cpae_code_*, cpae_model_code*
 *   - Per-region affine maps ..... cpae_affine_*, cpae_model_affine*
 *   - Geometry ................... cpae_model_boundary_distance*,
 *                                  cpae_model_segment, cpae_path_*,
 *                                  cpae_model_count_regions*
 *   - Persistence ................ cpae_model_save*, cpae_model_load*
 *   - Lie generators ............. cpae_lie_*
 *   - Training ................... cpae_trainer_*, cpae_param_bounds
 *
 * CONVENTIONS
 *   - Every function that can fail returns an int32_t status: CPAE_OK (0) or
 *     a CPAE_E_* code. Results are written through pointer arguments. On
 *     failure no output handle is created and no existing handle is changed;
 *     a short explanation is available from cpae_last_error() on the calling
 *     thread. Functions that cannot fail (cpae_status_string, version
 *     queries, destroy functions) return their value directly.
 *   - Arrays are row-major float (IEEE-754 binary32), C order, matching a
 *     NumPy float32 C-contiguous array. A batch of n points of dimension dim
 *     is an n x dim array. Every output array is passed together with its
 *     capacity in elements; a capacity that is too small gives
 *     CPAE_E_BUFFER_TOO_SMALL. Scalar measurements (distances, segment
 *     parameters) are double. Internally all arithmetic is double.
 *   - Sizes and indices are int64_t; enums are passed as int32_t.
 *   - Input and output buffers must not overlap unless a function says so.
 *   - Inputs containing NaN or +-Inf are refused with CPAE_E_NONFINITE.
 *   - Handles are opaque. Everything libcpae allocates is released by the
 *     matching cpae_*_destroy function, which accepts NULL.
 *
 * REGION CODE CONVENTION
 *   Each non-identity unit contributes one bit: 1 when its pre-activation
 *   z > 0, 0 when z <= 0 (the tie z == 0 belongs to the "off" side, in the
 *   forward pass, the codes, the maps and the distances alike). Bits are
 *   ordered layer by layer, unit by unit; bit k is stored in byte k / 8 at
 *   position k % 8 (least significant bit first). An autoencoder code is the
 *   encoder code at x followed by the decoder code at E(x).
 *
 * THREAD SAFETY
 *   Functions taking a const handle only read it and may be called from many
 *   threads at once on the same handle (a model can serve many readers).
 *   Functions taking a non-const handle need exclusive access to it. The
 *   last-error message is per thread. libcpae keeps no global mutable state.
 *   It calls OpenBLAS, whose own threading is the caller's choice
 *   (OPENBLAS_NUM_THREADS / openblas_set_num_threads).
 *
 * ABI
 *   The soname is libcpae.so.CPAE_VERSION_MAJOR; handles stay opaque so
 *   their layout can change freely. From 1.0, functions and enum values are
 *   only ever added within one major version, never changed or removed.
 *   Before 1.0 a minor release may still change an interface: every such
 *   change is listed in CHANGELOG.md under "Changed" with an "abi:" tag and
 *   noted in the function's documentation ("changed in 0.N").
 *   Two tiers: functions documented "Experimental" (the region statistics
 *   and the generalization report, and trainer keys 1000 and above) may
 *   change in any minor release until they are declared stable; everything
 *   else changes only as above.
 */
#ifndef CPAE_H_6F1C2B9E4A
#define CPAE_H_6F1C2B9E4A

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CPAE_API marks exported functions. Define CPAE_STATIC when linking the
 * static library on Windows; a binding generator can define CPAE_API away. */
#ifndef CPAE_API
#  if defined(_WIN32) && !defined(CPAE_STATIC)
#    ifdef CPAE_BUILDING
#      define CPAE_API __declspec(dllexport)
#    else
#      define CPAE_API __declspec(dllimport)
#    endif
#  elif defined(__GNUC__) && __GNUC__ >= 4
#    define CPAE_API __attribute__((visibility("default")))
#  else
#    define CPAE_API
#  endif
#endif

/* Status results should be checked. */
#ifndef CPAE_NODISCARD
#  if defined(__GNUC__) && __GNUC__ >= 4
#    define CPAE_NODISCARD __attribute__((warn_unused_result))
#  else
#    define CPAE_NODISCARD
#  endif
#endif

/* ======================================================================
 * Status and version
 * ====================================================================== */

/** @defgroup version Version
 * One version source: these macros. The Makefile derives the soname from
 * CPAE_VERSION_MAJOR. Compare CPAE_VERSION_NUMBER with
 * cpae_version_number() at run time to detect a header/library mismatch.
 * @{ */
/** Major version; the soname is libcpae.so.CPAE_VERSION_MAJOR. */
#define CPAE_VERSION_MAJOR 0
/** Minor version (functions and enum values are only ever added). */
#define CPAE_VERSION_MINOR 7
/** Patch version. */
#define CPAE_VERSION_PATCH 0
/** MAJOR*10000 + MINOR*100 + PATCH; compare with cpae_version_number(). */
#define CPAE_VERSION_NUMBER \
    (CPAE_VERSION_MAJOR * 10000 + CPAE_VERSION_MINOR * 100 + CPAE_VERSION_PATCH)
/** "MAJOR.MINOR.PATCH"; equals cpae_version_string() of a matching library. */
#define CPAE_VERSION_STRING "0.7.0"

/** Runtime version, MAJOR*10000 + MINOR*100 + PATCH, of the linked library.
 *  Thread-safe. Since 0.1. */
CPAE_API uint32_t cpae_version_number(void);

/** Runtime version string "MAJOR.MINOR.PATCH" (static storage, never NULL).
 *  Thread-safe. Since 0.1. */
CPAE_API const char *cpae_version_string(void);

/** Build description: version, BLAS, LAPACKE, compiler (static storage).
 *  Thread-safe. Since 0.1. */
CPAE_API const char *cpae_build_info(void);
/** @} */

/** @defgroup status Status codes
 * @{ */
/** Status codes. Values are fixed forever; new codes are only appended. */
typedef enum cpae_status {
    CPAE_OK = 0,                   /**< success */
    CPAE_E_NULL = 1,               /**< a required pointer argument is NULL */
    CPAE_E_INVALID = 2,            /**< an argument value is out of range */
    CPAE_E_SIZE = 3,               /**< zero, negative or mismatched sizes */
    CPAE_E_BUFFER_TOO_SMALL = 4,   /**< output capacity too small */
    CPAE_E_NONFINITE = 5,          /**< NaN or infinity in the input */
    CPAE_E_NOMEM = 6,              /**< memory allocation failed */
    CPAE_E_IO = 7,                 /**< a file could not be read or written */
    CPAE_E_FORMAT = 8,             /**< malformed, truncated or corrupted data */
    CPAE_E_VERSION = 9,            /**< unsupported file format version */
    CPAE_E_NUMERIC = 10,           /**< a numerical routine failed */
    CPAE_E_MISMATCH = 11,          /**< handles that do not belong together */
    CPAE_E_LIMIT = 12,             /**< a size exceeds a library limit */
    CPAE_E_CALLBACK = 13,          /**< a user callback reported failure */
    CPAE_E_INTERNAL = 14,          /**< internal error (please report) */
    CPAE_E_CANCELLED = 15,         /**< a progress callback stopped training */
    CPAE_E_DIVERGED = 16,          /**< training produced NaN or infinity, or
                                        its loss grew without bound */
    CPAE_E_REMOTE = 17             /**< another process of a data-parallel fit
                                        failed (cpae_trainer_set_parallel);
                                        since 0.8 */
} cpae_status;

/** Static English text for a status code (never NULL; unknown codes give
 *  "unknown status"). Thread-safe. Since 0.1. */
CPAE_API const char *cpae_status_string(int32_t status);

/** Detail message of the last call on the calling thread, such as
 *  "cpae_model_encode: dim is 3, the stack takes 8". Every call that
 *  returns a status clears it on entry, so it is empty after a success and
 *  describes the failure after a failed call. The pointer is valid until
 *  the next libcpae call on this thread. Thread-safe (thread-local).
 *  Since 0.1. */
CPAE_API const char *cpae_last_error(void);

/** Copy the last error message of this thread into buf (capacity cap bytes,
 *  always NUL-terminated when cap > 0; truncated if needed).
 *  @param needed if not NULL, receives strlen(message) + 1.
 *  This call does not clear the message and sets none of its own.
 *  @return CPAE_OK, CPAE_E_NULL (buf NULL with cap > 0), CPAE_E_SIZE
 *          (cap < 0), CPAE_E_BUFFER_TOO_SMALL (message truncated).
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_last_error_copy(char *buf, int64_t cap, int64_t *needed);

/** Set this thread's detail message (what cpae_last_error returns) to
 *  `message` (NULL: clear it; truncated to the buffer), for companion
 *  libraries (libcpae-mpi) and bindings that report their own failures
 *  the way libcpae does. Returns `status`, so a failing call can end with
 *  `return cpae_set_last_error(CPAE_E_..., "fn: what went wrong");`.
 *  Thread-safe (thread-local). Since 0.8. */
CPAE_API int32_t cpae_set_last_error(int32_t status, const char *message);
/** @} */

/* ======================================================================
 * Limits (each also available as a function, for FFI)
 * ====================================================================== */

/** @defgroup limits Limits
 * @{ */
#define CPAE_MAX_LAYERS 256            /**< layers per stack */
#define CPAE_MAX_WIDTH (1 << 24)       /**< units per layer */
#define CPAE_MAX_PARAMS (1LL << 32)    /**< parameters per model */
/** Returns CPAE_MAX_LAYERS. Thread-safe. Since 0.1. */
CPAE_API int64_t cpae_max_layers(void);
/** Returns CPAE_MAX_WIDTH. Thread-safe. Since 0.1. */
CPAE_API int64_t cpae_max_width(void);
/** Returns CPAE_MAX_PARAMS. Thread-safe. Since 0.1. */
CPAE_API int64_t cpae_max_params(void);
/** @} */

/* ======================================================================
 * Layers
 * ====================================================================== */

/** @defgroup layers Layers
 * A dense affine layer a = s(W a_prev + b), W of size n_out x n_in
 * (row-major), b of size n_out, with activation s applied unit-wise.
 * THREAD SAFETY: getters take a const layer and are thread-safe; setters
 * need exclusive access.
 * @{ */

/** Activations. The state q of a unit with pre-activation z (a = q z):
 *  identity: 1; ReLU: 1 if z > 0 else 0; leaky ReLU(alpha): 1 if z > 0
 *  else alpha; absolute value: 1 if z > 0 else -1. Identity units carry no
 *  code bit. */
typedef enum cpae_activation {
    CPAE_ACT_IDENTITY = 0,   /**< a = z; no code bit */
    CPAE_ACT_RELU = 1,       /**< a = max(z, 0) */
    CPAE_ACT_LEAKY_RELU = 2, /**< a = z if z > 0 else alpha z */
    CPAE_ACT_ABS = 3         /**< a = |z| */
} cpae_activation;

/** Default slope of the leaky ReLU for z <= 0. */
#define CPAE_DEFAULT_LEAKY_ALPHA 0.01
/** Returns CPAE_DEFAULT_LEAKY_ALPHA. Thread-safe. Since 0.1. */
CPAE_API double cpae_default_leaky_alpha(void);

/** Opaque handle of a dense layer (cpae_layer_create, cpae_layer_destroy). */
typedef struct cpae_layer cpae_layer;

/** Create a layer with zero weights and biases.
 *  @param n_in, n_out widths, 1..CPAE_MAX_WIDTH.
 *  @param activation a cpae_activation value.
 *  @param alpha leaky-ReLU slope for z <= 0 (finite); ignored otherwise.
 *  @param out receives the new layer; free with cpae_layer_destroy.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_INVALID, CPAE_E_LIMIT,
 *          CPAE_E_NONFINITE, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_create(int64_t n_in, int64_t n_out,
    int32_t activation, double alpha, cpae_layer **out);

/** Destroy a layer (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_layer_destroy(cpae_layer *layer);

/** Widths of a layer. Either output pointer may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL (layer NULL). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_dims(const cpae_layer *layer, int64_t *n_in,
    int64_t *n_out);

/** Activation and leaky slope of a layer. Either output may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_activation(const cpae_layer *layer,
    int32_t *activation, double *alpha);

/** Copy weights in: W is n_out x n_in row-major, w_len == n_out * n_in.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (w_len wrong),
 *          CPAE_E_NONFINITE (layer unchanged). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_set_weights(cpae_layer *layer, const float *w,
    int64_t w_len);

/** Copy weights out into w (capacity w_cap >= n_out * n_in).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_get_weights(const cpae_layer *layer, float *w,
    int64_t w_cap);

/** Copy biases in (b_len == n_out).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_set_bias(cpae_layer *layer, const float *b,
    int64_t b_len);

/** Copy biases out into b (capacity b_cap >= n_out).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_get_bias(const cpae_layer *layer, float *b,
    int64_t b_cap);

/** Apply the layer to n row-major inputs x (n x n_in) into y (n x n_out,
 *  capacity y_cap). @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM. Thread-safe.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_layer_forward(const cpae_layer *layer, const float *x,
    int64_t n, int64_t n_in, float *y, int64_t y_cap);
/** @} */

/* ======================================================================
 * Models
 * ====================================================================== */

/** @defgroup models Models
 * An autoencoder: an encoder stack E: R^d -> R^h followed by a decoder
 * stack D: R^h -> R^d. Both stacks are sequences of dense layers whose
 * widths chain. A model owns its layers.
 * THREAD SAFETY: functions taking a const model are thread-safe and may run
 * concurrently on the same model; the others need exclusive access.
 * @{ */

/** Selects a stack, or the whole autoencoder, for code, map and geometry
 *  queries. ENCODER points live in R^d, DECODER points are latent points in
 *  R^h, AUTOENCODER points live in R^d. */
typedef enum cpae_stack {
    CPAE_ENCODER = 0,     /**< E: R^d -> R^h, points are inputs x */
    CPAE_DECODER = 1,     /**< D: R^h -> R^d, points are latent z */
    CPAE_AUTOENCODER = 2  /**< D o E: R^d -> R^d, points are inputs x */
} cpae_stack;

/** Opaque handle of an autoencoder (cpae_model_create*, cpae_model_load*,
 *  cpae_model_destroy). */
typedef struct cpae_model cpae_model;

/** Create an autoencoder with deterministic initial weights.
 *
 *  Encoder layer i maps enc_widths[i] -> enc_widths[i+1] with activation
 *  enc_acts[i], for i < n_enc_layers (so enc_widths has n_enc_layers + 1
 *  entries); likewise for the decoder. dec_widths[0] must equal
 *  enc_widths[n_enc_layers] (= h) and dec_widths[n_dec_layers] must equal
 *  enc_widths[0] (= d). enc_alphas / dec_alphas give leaky-ReLU slopes per
 *  layer and may be NULL (CPAE_DEFAULT_LEAKY_ALPHA everywhere).
 *
 *  Initialisation is He-uniform, W ~ U(-sqrt(6/n_in), sqrt(6/n_in)), biases
 *  zero, drawn from libcpae's own xoshiro256** generator seeded with seed:
 *  the same seed gives bit-identical weights on every platform.
 *
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (widths do not chain or are
 *          < 1), CPAE_E_INVALID (unknown activation), CPAE_E_LIMIT,
 *          CPAE_E_NONFINITE (alpha), CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_create(
    const int64_t *enc_widths, const int32_t *enc_acts,
    const double *enc_alphas, int64_t n_enc_layers,
    const int64_t *dec_widths, const int32_t *dec_acts,
    const double *dec_alphas, int64_t n_dec_layers,
    uint64_t seed, cpae_model **out);

/** Create a mirrored autoencoder from widths d, h1, ..., h (n_widths >= 2):
 *  encoder d -> h1 -> ... -> h, decoder h -> ... -> h1 -> d. Every hidden
 *  layer uses hidden_act (leaky slope CPAE_DEFAULT_LEAKY_ALPHA); the last
 *  layer of each stack is the identity, so D(E(x)) is CPA.
 *  Initialisation as cpae_model_create.
 *  @return as cpae_model_create. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_create_mirrored(
    const int64_t *widths, int64_t n_widths, int32_t hidden_act,
    uint64_t seed, cpae_model **out);

/** Create a model from copies of existing layers (the caller keeps
 *  ownership of the layers). Widths must chain as in cpae_model_create.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_LIMIT, CPAE_E_NOMEM.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_from_layers(
    const cpae_layer *const *enc, int64_t n_enc,
    const cpae_layer *const *dec, int64_t n_dec, cpae_model **out);

/** Deep copy of a model. @return CPAE_OK, CPAE_E_NULL, CPAE_E_NOMEM.
 *  Thread-safe on the source. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_clone(const cpae_model *model,
    cpae_model **out);

/** Destroy a model (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_model_destroy(cpae_model *model);

/** Input width d and bottleneck width h. Either output may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_dims(const cpae_model *model, int64_t *d,
    int64_t *h);

/** Number of layers in a stack (CPAE_ENCODER or CPAE_DECODER; for
 *  CPAE_AUTOENCODER the sum). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_n_layers(const cpae_model *model, int32_t stack,
    int64_t *n_layers);

/** Describe layer `index` of a stack (CPAE_ENCODER or CPAE_DECODER). Any
 *  output may be NULL. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID
 *  (stack or index out of range). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_layer_info(const cpae_model *model, int32_t stack,
    int64_t index, int64_t *n_in, int64_t *n_out, int32_t *activation,
    double *alpha);

/** Copy weights (n_out x n_in, row-major) and biases (n_out) of one layer
 *  out of the model. Either of w / b may be NULL to skip it.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_get_layer_params(const cpae_model *model,
    int32_t stack, int64_t index, float *w, int64_t w_cap, float *b,
    int64_t b_cap);

/** Copy weights and biases of one layer into the model. Either of w / b may
 *  be NULL to leave it unchanged; lengths must match exactly. Nothing is
 *  changed if any check fails.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE,
 *          CPAE_E_NONFINITE. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_set_layer_params(cpae_model *model, int32_t stack,
    int64_t index, const float *w, int64_t w_len, const float *b,
    int64_t b_len);

/** A copy of layer `index` of a stack as a new layer handle (caller
 *  destroys it). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID,
 *  CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_get_layer(const cpae_model *model,
    int32_t stack, int64_t index, cpae_layer **out);

/** Total number of trainable parameters (weights and biases).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_n_params(const cpae_model *model,
    int64_t *n_params);

/** Bytes of memory the model handle holds (for accounting).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_sizeof(const cpae_model *model, int64_t *bytes);

/** Attach an opaque pointer for bindings (not owned, not saved). Since 0.1.
 *  @return CPAE_OK, CPAE_E_NULL. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_set_user_data(cpae_model *model, void *user_data);
/** Read the pointer set by cpae_model_set_user_data (NULL by default).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_get_user_data(const cpae_model *model,
    void **user_data);

/** Encode n inputs x (n x d) into z (n x h, capacity z_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (n < 1 or dim != d),
 *          CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *  Thread-safe. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_encode(const cpae_model *model, const float *x,
    int64_t n, int64_t dim, float *z, int64_t z_cap);

/** Decode n latent points z (n x h) into x (n x d, capacity x_cap).
 *  @return as cpae_model_encode. Thread-safe. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_decode(const cpae_model *model, const float *z,
    int64_t n, int64_t dim, float *x, int64_t x_cap);

/** Reconstruct n inputs: y = D(E(x)) (n x d, capacity y_cap), computed in
 *  double without rounding the latent code to float.
 *  @return as cpae_model_encode. Thread-safe. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_reconstruct(const cpae_model *model,
    const float *x, int64_t n, int64_t dim, float *y, int64_t y_cap);
/** @} */

/* ======================================================================
 * Region codes
 * ====================================================================== */

/** @defgroup codes Region codes
 * A code handle holds the bits of one region of one stack of one model
 * shape (see REGION CODE CONVENTION above). Create it for a model and a
 * stack, then fill it with cpae_model_code.
 * THREAD SAFETY: const functions are thread-safe; filling a code needs
 * exclusive access to that code.
 * @{ */

/** Opaque handle of a region code of one stack of one model shape. */
typedef struct cpae_code cpae_code;

/** Create an all-zero code sized for `stack` of `model`.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_create(const cpae_model *model,
    int32_t stack, cpae_code **out);

/** Destroy a code (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_code_destroy(cpae_code *code);

/** Deep copy. @return CPAE_OK, CPAE_E_NULL, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_clone(const cpae_code *code,
    cpae_code **out);

/** Fill `code` with the code of `point` (length dim) under `stack`: the
 *  encoder code of x, the decoder code of a latent z, or the autoencoder
 *  code (encoder code of x, then decoder code of E(x)). The code must have
 *  been created for the same stack of a model of the same shape.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE,
 *          CPAE_E_MISMATCH, CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *  Thread-safe on the model. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_code(const cpae_model *model, int32_t stack,
    const float *point, int64_t dim, cpae_code *code);

/** Number of bytes of one packed code of `stack` (ceil(bits / 8)).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_code_bytes(const cpae_model *model, int32_t stack,
    int64_t *n_bytes);

/** Packed codes of n points (n x dim) into `codes`, an n x n_bytes byte
 *  array (n_bytes from cpae_model_code_bytes; capacity codes_cap bytes).
 *  @return as cpae_model_encode, plus CPAE_E_INVALID (stack). Thread-safe.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_codes(const cpae_model *model, int32_t stack,
    const float *points, int64_t n, int64_t dim, uint8_t *codes,
    int64_t codes_cap);

/** Number of distinct regions (codes of `stack`) among n points.
 *  @return as cpae_model_encode, plus CPAE_E_INVALID (stack). Thread-safe.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_count_regions(const cpae_model *model,
    int32_t stack, const float *points, int64_t n, int64_t dim,
    int64_t *n_regions);

/** Number of bits (non-identity units) and which stack the code is for.
 *  Either output may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_info(const cpae_code *code, int64_t *n_bits,
    int32_t *stack);

/** Value (0 or 1) of bit `index`. @return CPAE_OK, CPAE_E_NULL,
 *  CPAE_E_INVALID (index out of range). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_bit(const cpae_code *code, int64_t index,
    int32_t *bit);

/** *equal = 1 if a and b have the same length and bits, else 0.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_equal(const cpae_code *a, const cpae_code *b,
    int32_t *equal);

/** 64-bit hash (FNV-1a over the packed bytes and the length); equal codes
 *  hash equally on every platform. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_hash(const cpae_code *code, uint64_t *hash);

/** Number of differing bits between two codes of the same length.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_MISMATCH (lengths differ).
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_hamming(const cpae_code *a, const cpae_code *b,
    int64_t *distance);

/** Number of bits set (active units). @return CPAE_OK, CPAE_E_NULL.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_popcount(const cpae_code *code, int64_t *count);

/** Export the packed bits into buf (capacity cap bytes); *written (may be
 *  NULL) receives ceil(n_bits / 8). Unused high bits of the last byte are
 *  zero.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_to_bytes(const cpae_code *code, uint8_t *buf,
    int64_t cap, int64_t *written);

/** Set the code's bits from packed bytes (n == ceil(n_bits / 8); unused
 *  high bits must be zero). @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_FORMAT. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_code_from_bytes(cpae_code *code, const uint8_t *buf,
    int64_t n);
/** @} */

/* ======================================================================
 * Per-region affine maps
 * ====================================================================== */

/** @defgroup affine Per-region affine maps
 * An affine map y = A p + B (A: n_out x n_in row-major, B: n_out), held in
 * double. Inside the region of a point, a stack equals its map exactly.
 * THREAD SAFETY: const functions are thread-safe; filling a map needs
 * exclusive access to that map.
 * @{ */

/** Opaque handle of a per-region affine map y = A p + B (double inside). */
typedef struct cpae_affine cpae_affine;

/** Create a zero map sized for `stack`: ENCODER h x d, DECODER d x h,
 *  AUTOENCODER d x d. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID,
 *  CPAE_E_LIMIT, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_create(const cpae_model *model,
    int32_t stack, cpae_affine **out);

/** Destroy a map (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_affine_destroy(cpae_affine *map);

/** Fill `map` with the affine map of the region containing `point`:
 *  ENCODER: A^E, B^E at x; DECODER: A^D, B^D at a latent z; AUTOENCODER:
 *  A = A^D A^E and B = A^D B^E + B^D with the decoder's region taken at
 *  E(x). The map must have been created for the same stack and shape.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE,
 *          CPAE_E_MISMATCH, CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *  Thread-safe on the model. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_affine(const cpae_model *model, int32_t stack,
    const float *point, int64_t dim, cpae_affine *map);

/** All three maps of the autoencoder region of x at once: encoder map at x
 *  into enc (h x d), decoder map at E(x) into dec (d x h), composite into
 *  ae (d x d). Any of enc / dec / ae may be NULL to skip it.
 *  @return as cpae_model_affine. Thread-safe on the model. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_region_maps(const cpae_model *model,
    const float *x, int64_t dim, cpae_affine *enc, cpae_affine *dec,
    cpae_affine *ae);

/** Shape of a map: A is n_out x n_in. Input width first, as in
 *  cpae_layer_dims (changed in 0.5: before, the order was n_out, n_in).
 *  Either output may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_dims(const cpae_affine *map, int64_t *n_in,
    int64_t *n_out);

/** Copy the slope A (n_out x n_in, row-major) into a (capacity a_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_get_slope(const cpae_affine *map, float *a,
    int64_t a_cap);

/** Copy the offset B (n_out) into b (capacity b_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_get_offset(const cpae_affine *map, float *b,
    int64_t b_cap);

/** Slope in double precision (n_out x n_in), for exactness checks.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_get_slope_f64(const cpae_affine *map, double *a,
    int64_t a_cap);

/** Offset in double precision (n_out).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_get_offset_f64(const cpae_affine *map, double *b,
    int64_t b_cap);

/** Apply the map to n points p (n x n_in) into y (n x n_out, capacity
 *  y_cap): y = A p + B. @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM. Thread-safe.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_apply(const cpae_affine *map, const float *p,
    int64_t n, int64_t dim, float *y, int64_t y_cap);

/** Composition out = outer o inner: A = A_outer A_inner,
 *  B = A_outer B_inner + B_outer. `out` must already have shape
 *  outer.n_out x inner.n_in (for instance a map created for
 *  CPAE_AUTOENCODER when composing a decoder map with an encoder map).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (shapes do not chain).
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_affine_compose(const cpae_affine *outer,
    const cpae_affine *inner, cpae_affine *out);
/** @} */

/* ======================================================================
 * Geometry
 * ====================================================================== */

/** @defgroup geometry Region geometry
 * Inside a region every unit's pre-activation is affine in the point,
 * z_i(p) = a_i . p + c_i, and the region is the polytope of all their sign
 * constraints. THREAD SAFETY: all functions here are thread-safe on the
 * model.
 * @{ */

/** Distance from `point` to the boundary of its region of `stack`:
 *  r = min_i |z_i| / ||a_i|| over non-identity units with a_i != 0 (for
 *  the autoencoder, decoder units are seen from x through A^E). Moving the
 *  point by less than r in any direction keeps its code. If the region has
 *  no constraint (no non-identity unit depends on the point) r = +inf and
 *  *unit = -1.
 *  @param r receives the distance.
 *  @param unit if not NULL, receives the code-bit index of the closest
 *         constraint.
 *  @param normal if not NULL, receives (capacity normal_cap >= dim) the unit
 *         vector a_i / ||a_i|| of the closest constraint, oriented so that
 *         point + (r + eps) * normal crosses it (leaves the region).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE,
 *          CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_boundary_distance(const cpae_model *model,
    int32_t stack, const float *point, int64_t dim, double *r, int64_t *unit,
    float *normal, int64_t normal_cap);

/** Boundary distances of n points (n x dim) into r (capacity r_cap >= n).
 *  @return as cpae_model_boundary_distance. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_boundary_distances(const cpae_model *model,
    int32_t stack, const float *points, int64_t n, int64_t dim, double *r,
    int64_t r_cap);

/** Regions crossed by a segment, as an immutable result handle. */
typedef struct cpae_path cpae_path;

/** Exact ordered list of the regions of `stack` crossed by the segment
 *  p(t) = p + t (q - p), t in [0, 1]. Region k covers [t_k, t_{k+1}) with
 *  t_0 = 0; consecutive regions differ. Crossings are found analytically,
 *  not by sampling: [0, 1] is split layer by layer at the roots of each
 *  unit's pre-activation (affine in t on each piece), and each piece takes
 *  the code of its own midpoint, so code k is the code of the points
 *  strictly between t_k and t_{k+1}, and the last code is the code of q
 *  unless q lies exactly on a boundary (then it is the side the segment
 *  arrives from). This holds with zero biases, through common vertices
 *  and through the origin.
 *  Resolution: a computed crossing carries a rounding uncertainty of
 *  8 (l + 1) sqrt(n_in + 1) DBL_EPSILON M / |dz/dt| in t (layer l, fan-in
 *  n_in, M the magnitude of the terms of the pre-activation z; about 1e-14
 *  for unit-scale data). Crossings closer than that are taken as one
 *  (units meeting at one point cross there together), so only regions
 *  thinner than it can be missed; every wider region is reported. A
 *  segment lying inside a boundary hyperplane (z == 0 all along) takes the
 *  tie rule's side, "off".
 *  @param max_regions stop with CPAE_E_LIMIT if more regions than this are
 *         crossed (guards against runaway walks); must be >= 1.
 *  @param out receives the path; free with cpae_path_destroy.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE,
 *          CPAE_E_NONFINITE, CPAE_E_LIMIT, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_segment(const cpae_model *model,
    int32_t stack, const float *p, const float *q, int64_t dim,
    int64_t max_regions, cpae_path **out);

/** Destroy a path (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_path_destroy(cpae_path *path);

/** Number of regions on the path (>= 1). @return CPAE_OK, CPAE_E_NULL.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_path_n_regions(const cpae_path *path,
    int64_t *n_regions);

/** Start parameters t_k of the regions (n_regions values, t_0 = 0, strictly
 *  increasing, all < 1) into t (capacity t_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_path_params(const cpae_path *path, double *t,
    int64_t t_cap);

/** Code of region k into `code` (created for the path's stack and model
 *  shape). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (k out of range),
 *  CPAE_E_MISMATCH. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_path_code(const cpae_path *path, int64_t k,
    cpae_code *code);

/** All region codes packed, n_regions x n_bytes (see cpae_model_code_bytes),
 *  into codes (capacity codes_cap bytes).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_path_codes(const cpae_path *path, uint8_t *codes,
    int64_t codes_cap);

/** Number of distinct regions of `stack` among n_samples points drawn
 *  uniformly in the ball B(center, rho) with libcpae's generator seeded by
 *  seed (a lower bound on the true count; report it with n_samples).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (rho not finite or < 0),
 *          CPAE_E_SIZE (dim, or n_samples < 1), CPAE_E_NONFINITE,
 *          CPAE_E_LIMIT (n_samples times the code size above 2^30 bytes,
 *          since 0.4; 2^36 before), CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_count_regions_in_ball(const cpae_model *model,
    int32_t stack, const float *center, int64_t dim, double rho,
    int64_t n_samples, uint64_t seed, int64_t *n_regions);

/** The exact partition of a plane, as an immutable result handle. */
typedef struct cpae_slice cpae_slice;

/** Exact 2-D slice of the regions of `stack` on the plane
 *  x(u, v) = origin + u e1 + v e2 (points of the stack's input space: x for
 *  CPAE_ENCODER / CPAE_AUTOENCODER, z for CPAE_DECODER) over the rectangle
 *  [u0, u1] x [v0, v1]: its partition into convex polygons, each the
 *  intersection of one region with the rectangle, with the region's code
 *  and the stack's affine map restricted to the plane.
 *  Method (SplineCam's, for dense ReLU / leaky / abs / identity stacks):
 *  the rectangle is cut layer by layer by every unit's line z(u, v) = 0,
 *  z being affine in (u, v) on each piece, and each piece takes the signs
 *  at its centroid. Vertices closer to a line than the rounding uncertainty
 *  of z (8 (l + 1) sqrt(n_in + 1) DBL_EPSILON times the magnitude of z's
 *  terms, as in cpae_model_segment) count as on it, so lines through one
 *  point (zero biases) meet there without slivers; polygons of zero area
 *  are dropped. e1 and e2 need not be orthonormal (or even independent).
 *  @param max_polygons stop with CPAE_E_LIMIT past this many polygons
 *         (>= 1).
 *  @param out receives the slice; free with cpae_slice_destroy.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (stack, empty rectangle,
 *          max_polygons < 1), CPAE_E_SIZE (dim), CPAE_E_NONFINITE,
 *          CPAE_E_LIMIT, CPAE_E_NOMEM. Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_slice(const cpae_model *model,
    int32_t stack, const float *origin, const float *e1, const float *e2,
    int64_t dim, double u0, double u1, double v0, double v1,
    int64_t max_polygons, cpae_slice **out);

/** Destroy a slice (NULL is a no-op). Since 0.3. */
CPAE_API void cpae_slice_destroy(cpae_slice *slice);

/** Number of polygons (>= 1). @return CPAE_OK, CPAE_E_NULL. Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_n_polygons(const cpae_slice *slice,
    int64_t *n_polygons);

/** Number of vertices of polygon k (>= 3), the size for cpae_slice_polygon.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (k out of range).
 *  Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_polygon_size(const cpae_slice *slice, int64_t k,
    int64_t *n_vertices);

/** Vertices of polygon k as (u, v) pairs, counter-clockwise, into uv
 *  (capacity uv_cap >= 2 n_vertices doubles).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_polygon(const cpae_slice *slice, int64_t k,
    double *uv, int64_t uv_cap);

/** Area of polygon k in (u, v) units (> 0; the areas sum to the
 *  rectangle's). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID. Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_area(const cpae_slice *slice, int64_t k,
    double *area);

/** Code of polygon k's region into `code` (created for the slice's stack
 *  and model shape). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID,
 *  CPAE_E_MISMATCH. Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_code(const cpae_slice *slice, int64_t k,
    cpae_code *code);

/** All polygon codes packed, n_polygons x n_bytes (cpae_model_code_bytes),
 *  into codes (capacity codes_cap bytes).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_codes(const cpae_slice *slice, uint8_t *codes,
    int64_t codes_cap);

/** The stack's map on polygon k restricted to the plane:
 *  f(x(u, v)) = a [u v]^T + b, with a (out x 2, row-major, capacity a_cap
 *  >= 2 out) and b (out, capacity b_cap >= out), out the stack's output
 *  width. Either of a / b may be NULL to skip it.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_slice_map(const cpae_slice *slice, int64_t k,
    double *a, int64_t a_cap, double *b, int64_t b_cap);

/** The cheap form of a slice: a width x height label image of the regions
 *  at pixel centres, u = u0 + (i + 1/2) (u1 - u0) / width for column i and
 *  v = v0 + (j + 1/2) (v1 - v0) / height for row j (row 0 at v0), labels
 *  row-major. Equal codes get equal labels, numbered 0, 1, ... in order of
 *  first appearance; *n_labels receives their number. If codes is not
 *  NULL, the labels' codes (n_labels x n_bytes) are written there; when
 *  codes_cap is too small the call fails with CPAE_E_BUFFER_TOO_SMALL,
 *  writes nothing else and sets *n_labels to the count needed.
 *  Each pixel's code is read by the forward pass in double precision, so
 *  pixels whose centre lies within rounding of a boundary may take either
 *  side (cpae_model_slice is the exact form).
 *  @param labels capacity labels_cap >= width height.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE (width or
 *          height < 1, or 2^31 pixels or more), CPAE_E_NONFINITE,
 *          CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NOMEM. Since 0.3. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_raster(const cpae_model *model, int32_t stack,
    const float *origin, const float *e1, const float *e2, int64_t dim,
    double u0, double u1, double v0, double v1, int64_t width,
    int64_t height, int32_t *labels, int64_t labels_cap, uint8_t *codes,
    int64_t codes_cap, int64_t *n_labels);
/** @} */

/* ======================================================================
 * Persistence
 * ====================================================================== */

/** @defgroup io Persistence
 * Models are stored in a versioned little-endian binary format: magic
 * "CPAEMODL", format version, sizes, layers (activation, slope, widths,
 * float64 weights and biases) and a CRC-32 of everything before it (see
 * docs/format.md). Loads check every size against the data actually
 * present before allocating, so truncated, corrupted or hostile inputs are
 * refused with CPAE_E_FORMAT / CPAE_E_VERSION / CPAE_E_LIMIT, never a crash
 * or a huge allocation. Round trips are bit-exact.
 * THREAD SAFETY: saving reads the model (thread-safe); loading creates a
 * new model.
 * @{ */

/** Callback receiving serialized bytes; return 0 to continue, non-zero to
 *  abort the save (which then fails with CPAE_E_CALLBACK). Called on the
 *  calling thread; must not unwind through libcpae. */
typedef int32_t (*cpae_write_fn)(void *user_data, const uint8_t *bytes,
    int64_t n);

/** Save atomically to `path`: the bytes go to a temporary file
 *  (`path`.tmp.XXXXXX) in the same directory, which is flushed to disk
 *  (fsync) and renamed over `path`, then the directory is synced; an
 *  existing file is never left half-written and on failure the temporary
 *  file is removed. A replaced file keeps its permission bits; a new file
 *  is created with mode 0600. A symbolic link at `path` is replaced, not
 *  followed. A save holds an exclusive flock(2) on its temporary until
 *  after the rename; after a successful save, temporaries of `path` left by
 *  killed saves (at least 60 s old and not locked, i.e. no save is writing
 *  them) are removed (since 0.4; best effort, never another file).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_IO, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save(const cpae_model *model, const char *path);

/** Exact size in bytes of the serialized model.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save_size(const cpae_model *model, int64_t *n);

/** Serialize into buf (capacity cap); *written receives the size (also
 *  on CPAE_E_BUFFER_TOO_SMALL, when nothing is written to buf).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save_to_buffer(const cpae_model *model,
    uint8_t *buf, int64_t cap, int64_t *written);

/** Serialize through a write callback (in one or more calls of at most
 *  16 KiB each). @return CPAE_OK, CPAE_E_NULL, CPAE_E_CALLBACK. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save_to_callback(const cpae_model *model,
    cpae_write_fn write, void *user_data);

/** Load a model from a file.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_IO, CPAE_E_FORMAT, CPAE_E_VERSION,
 *          CPAE_E_LIMIT, CPAE_E_NONFINITE, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_load(const char *path,
    cpae_model **out);

/** Load a model from n bytes in memory (the buffer is only read).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (n <= 0), CPAE_E_FORMAT,
 *          CPAE_E_VERSION, CPAE_E_LIMIT, CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_load_from_buffer(
    const uint8_t *buf, int64_t n, cpae_model **out);
/** @} */

/* ======================================================================
 * Lie generators
 * ====================================================================== */

/** @defgroup lie Lie generators
 * k generators G_1..G_k, each d x d (row-major), of the Lie group the
 * Lie regularizers learn (docs/math.md section 3). Each generator has unit
 * Frobenius norm and, for k > 1, they are kept Frobenius-orthonormal
 * (Gram-Schmidt), so the group parameter theta carries the scale.
 * THREAD SAFETY: const functions are thread-safe; setters and training
 * need exclusive access.
 * @{ */

/** Parametrisation of the generators. */
typedef enum cpae_lie_param {
    CPAE_LIE_GENERAL = 0, /**< any d x d matrix, learned */
    CPAE_LIE_SKEW = 1,    /**< skew-symmetric (G = -G^T; compact groups:
                               rotations, cyclic shifts), learned */
    CPAE_LIE_FIXED = 2    /**< user-supplied, not learned (only theta is) */
} cpae_lie_param;

/** Opaque handle of k Lie-group generators G_1..G_k, each d x d. */
typedef struct cpae_lie cpae_lie;

/** Create k generators of size d x d with random entries from libcpae's
 *  generator seeded by seed (standard normal; skew: S - S^T), normalised.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (d < 1, k < 1, k > d*d),
 *          CPAE_E_INVALID (param), CPAE_E_LIMIT, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_create(int64_t d, int64_t k,
    int32_t param, uint64_t seed, cpae_lie **out);

/** Destroy generators (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_lie_destroy(cpae_lie *lie);

/** Deep copy. @return CPAE_OK, CPAE_E_NULL, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_clone(const cpae_lie *lie,
    cpae_lie **out);

/** Whether trainers learn the generators (trainable 1) or fit only theta
 *  against them (0). The default is 1, except for CPAE_LIE_FIXED, which is
 *  never learned. Trainability is separate from the structure: a known
 *  skew generator set with cpae_lie_set and then made untrainable keeps
 *  the skew fast paths (the eigen exponential, the tangent exact form)
 *  that CPAE_LIE_FIXED, a general matrix, does not have. Set it before
 *  cpae_trainer_create: a trainer records it at creation (its parameter
 *  vector includes the generators only when they are learned), and its
 *  fit, gradient, step and apply_gradient return CPAE_E_MISMATCH if it
 *  changes later.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (trainable not 0 or 1, or 1
 *          for CPAE_LIE_FIXED; lie unchanged). Since 0.5. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_set_trainable(cpae_lie *lie, int32_t trainable);

/** Whether trainers learn the generators (1) or not (0).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.5. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_trainable(const cpae_lie *lie, int32_t *trainable);

/** Size d, count k and parametrisation. Any output may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_info(const cpae_lie *lie, int64_t *d, int64_t *k,
    int32_t *param);

/** Set the generators from g (k x d x d, len == k*d*d), for instance a
 *  known generator or one derived from data. They are normalised (and
 *  orthonormalised for k > 1). For CPAE_LIE_SKEW every G_j must be
 *  skew-symmetric to 1e-6 relative.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE,
 *          CPAE_E_INVALID (not skew, zero or linearly dependent
 *          generators); the generators are unchanged on failure.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_set(cpae_lie *lie, const float *g, int64_t len);

/** Copy the generators out (k x d x d floats, capacity cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_get(const cpae_lie *lie, float *g, int64_t cap);

/** Matrix exponential exp(sum_j theta_j G_j) (theta: k values) into e
 *  (d x d, capacity cap): Pade scaling and squaring (Higham 2005) in
 *  double. @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NUMERIC,
 *  CPAE_E_NOMEM. Thread-safe. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_expm(const cpae_lie *lie, const double *theta,
    int64_t n_theta, float *e, int64_t cap);

/** Orbit of x0 under generator j: row t of out (n_theta x d, capacity
 *  cap) is exp(thetas[t] G_j) x0. @return CPAE_OK, CPAE_E_NULL,
 *  CPAE_E_SIZE, CPAE_E_INVALID (j), CPAE_E_BUFFER_TOO_SMALL,
 *  CPAE_E_NONFINITE, CPAE_E_NUMERIC, CPAE_E_NOMEM. Thread-safe.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_orbit(const cpae_lie *lie, int64_t j,
    const float *x0, int64_t d, const double *thetas, int64_t n_theta,
    float *out, int64_t cap);

/** Compare generator j with a reference generator g_ref (d x d):
 *  *full = |<G_j, g_ref>| / (||G_j|| ||g_ref||); if points (n x d) is not
 *  NULL, *restricted is the same cosine of P G_j P and P g_ref P, P the
 *  orthogonal projector onto the span of the points (docs/math.md section 7;
 *  NaN when points is NULL). The span is the numerical one: right singular
 *  vectors of the points whose singular value exceeds
 *  s_max * max(n, d) * FLT_EPSILON (the matrix_rank convention of
 *  numpy/torch; the cut grows with n, about 7e-3 s_max at n = 60000, so
 *  pass a representative subset to keep weaker directions). Either output
 *  may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_INVALID,
 *          CPAE_E_NONFINITE, CPAE_E_NUMERIC, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_lie_cosine(const cpae_lie *lie, int64_t j,
    const float *g_ref, int64_t len, const float *points, int64_t n,
    double *full, double *restricted);

/** The generator of cyclic shifts of periodic signals of length d: the
 *  skew-symmetric circulant spectral-derivative matrix, so that
 *  exp(theta G) x shifts a band-limited x by theta samples (docs/math.md
 *  section 7; for even d the Nyquist mode has eigenvalue 0 and is left
 *  fixed, so odd integer shifts are exact only for signals without a
 *  Nyquist component; see docs/design.md).
 *  Written unnormalised into g (d x d, capacity cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_shift_generator(int64_t d, float *g, int64_t cap);
/** @} */

/** @addtogroup io
 * @{ */

/** Save a model together with its generators (format version 2,
 *  docs/format.md), atomically as cpae_model_save. `lie` may be NULL: the
 *  file is then exactly cpae_model_save's (version 1). The generators are
 *  stored in double with their kind and trainability, so a load gives
 *  bit-identical values. cpae_model_load reads the model part of either
 *  version. @return CPAE_OK, CPAE_E_NULL, CPAE_E_MISMATCH (lie's d is not
 *  the model's input width), CPAE_E_IO, CPAE_E_NOMEM. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save_lie(const cpae_model *model,
    const cpae_lie *lie, const char *path);

/** Exact size in bytes of cpae_model_save_lie's file.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_MISMATCH. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save_lie_size(const cpae_model *model,
    const cpae_lie *lie, int64_t *n);

/** Serialize a model and its generators (lie may be NULL) into buf
 *  (capacity cap); *written receives the size (also on
 *  CPAE_E_BUFFER_TOO_SMALL, when nothing is written).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_MISMATCH, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_save_lie_to_buffer(const cpae_model *model,
    const cpae_lie *lie, uint8_t *buf, int64_t cap, int64_t *written);

/** Load a model and its generators from a file of either version: *lie
 *  receives the generators (NULL when the file has none, e.g. every
 *  version-1 file). Saved generators must be finite, of unit Frobenius
 *  norm (to 1e-6) and, for CPAE_LIE_SKEW, exactly skew-symmetric, else
 *  CPAE_E_FORMAT. On failure neither output is written.
 *  @return as cpae_model_load. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_load_lie(const char *path, cpae_model **model,
    cpae_lie **lie);

/** Load a model and its generators from n bytes in memory.
 *  @return as cpae_model_load_from_buffer. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_load_lie_from_buffer(const uint8_t *buf,
    int64_t n, cpae_model **model, cpae_lie **lie);
/** @} */

/* ======================================================================
 * Region statistics and the generalization report
 * ====================================================================== */

/** @defgroup statistics Region statistics and the generalization report
 * How many regions a model puts along an orbit, in balls around the data,
 * and under a data set (docs/math.md sections 2 and 5). Segments are in
 * the Geometry section: their regions are all distinct (a region is
 * convex, so a segment cannot re-enter it), so cpae_path_n_regions is the
 * exact count of distinct regions along a segment.
 * Experimental: the functions and keys of this section may still change in
 * a minor release (report keys are only appended).
 * @{ */

/** Regions met along the orbit x(theta) = exp(theta G_j) x0 of generator j
 *  of `lie`, theta in [theta0, theta1], for a stack whose input width is
 *  the generators' d (CPAE_ENCODER or CPAE_AUTOENCODER, or CPAE_DECODER
 *  when d = h). Codes are read at n_samples equally spaced thetas; then,
 *  `refine` times, every gap whose end codes differ is bisected (a region
 *  between them shows up at the midpoint). *n_distinct is the number of
 *  distinct codes seen and *n_changes the number of code changes between
 *  consecutive thetas: both are LOWER BOUNDS on the orbit's true counts
 *  (an orbit, unlike a segment, may leave and re-enter a region, and a
 *  region narrower than the final spacing can be missed); report them
 *  with n_samples and refine. Orbit points are computed in double
 *  (cpae_lie_orbit) and rounded to float, as a user would pass them.
 *  @param n_samples in [2, 2^24]. @param refine in [0, 40].
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (stack, j, thetas,
 *          n_samples, refine), CPAE_E_SIZE (dim), CPAE_E_NONFINITE,
 *          CPAE_E_NUMERIC, CPAE_E_NOMEM. Since 0.3; experimental. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_orbit_regions(const cpae_model *model,
    int32_t stack, const cpae_lie *lie, int64_t j, const float *x0,
    int64_t dim, double theta0, double theta1, int64_t n_samples,
    int64_t refine, int64_t *n_distinct, int64_t *n_changes);

/** Regions in balls of growing radius against data points in the same
 *  balls (the poster's "far more regions in any ball than data points"):
 *  for each radii[k], regions[k] is cpae_model_count_regions_in_ball(model,
 *  stack, center, dim, radii[k], n_samples, seed) (a lower bound, with
 *  n_samples) and points[k] the number of rows of data (n x dim, the
 *  stack's input space) within distance radii[k] of center.
 *  @param cap capacity of regions and points, >= n_radii.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (a radius not finite or
 *          < 0), CPAE_E_SIZE, CPAE_E_NONFINITE, CPAE_E_BUFFER_TOO_SMALL,
 *          CPAE_E_LIMIT, CPAE_E_NOMEM. Since 0.3; experimental. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_ball_profile(const cpae_model *model,
    int32_t stack, const float *data, int64_t n, int64_t dim,
    const float *center, const double *radii, int64_t n_radii,
    int64_t n_samples, uint64_t seed, int64_t *regions, int64_t *points,
    int64_t cap);

/** The generalization report of a model on a data set, an immutable
 *  handle (cpae_report_create, cpae_report_destroy). */
typedef struct cpae_report cpae_report;

/** Quantities of a report (cpae_report_get). Values that do not apply
 *  (the Lie keys without generators, alignment when no pair has nonzero
 *  maps) are NaN. */
typedef enum cpae_report_key {
    CPAE_REPORT_N_SAMPLES = 0,       /**< n */
    CPAE_REPORT_DECODER_REGIONS = 1, /**< distinct decoder regions of E(x) */
    CPAE_REPORT_INPUT_REGIONS = 2,   /**< distinct autoencoder regions of x */
    CPAE_REPORT_DISTANCE_MIN = 3,    /**< latent boundary distance r(E(x)) */
    CPAE_REPORT_DISTANCE_MEDIAN = 4, /**< (decoder stack, docs/math.md s. 2) */
    CPAE_REPORT_DISTANCE_MAX = 5,
    CPAE_REPORT_DISTANCE_SUM = 6,    /**< the theorem's sum of radii */
    CPAE_REPORT_INPUT_DISTANCE_MIN = 7, /**< input-space r(x), AE stack */
    CPAE_REPORT_INPUT_DISTANCE_MEDIAN = 8,
    CPAE_REPORT_INPUT_DISTANCE_MAX = 9,
    CPAE_REPORT_INPUT_DISTANCE_SUM = 10,
    CPAE_REPORT_N_PAIRS = 11,        /**< nearest-neighbour pairs (i, nn(i))
                                          in different decoder regions */
    CPAE_REPORT_LIE_RESIDUAL = 12,   /**< sum over those pairs of
        min_theta ||A - (I + sum_j theta_j G_j) A'||_F^2, A = A^D(E(x_i)),
        A' = A^D(E(x_nn(i))) (docs/math.md section 3, plain local form) */
    CPAE_REPORT_LIE_RESIDUAL_FRACTION = 13, /**< residual sum / sum
        ||A - A'||_F^2: the part of the slope change G does not explain */
    CPAE_REPORT_ALIGNMENT = 14,      /**< mean over the pairs of
        ||U^T V||_F^2 / max(rank U, rank V), U, V orthonormal bases of the
        column spaces of A and (I + sum theta_j G_j) A' (1: the tangent
        spaces agree under G) */
    CPAE_REPORT_ALIGNMENT_WITHOUT_G = 15, /**< the same with theta = 0 */
    CPAE_REPORT_N_KEYS = 16
} cpae_report_key;

/** Build the report of docs/math.md section 5 for `model` on the data x
 *  (n x d): decoder regions occupied by the encodings, every sample's
 *  boundary distance in latent space (decoder stack at E(x), exactly
 *  cpae_model_boundary_distances on cpae_model_encode's output) and in
 *  input space (autoencoder stack), their min / median / max / sum; and,
 *  over the pairs of each sample with its nearest other sample in input
 *  space, skipping pairs in the same decoder region (residual 0), the Lie
 *  residual under the generators of `lie` (may be NULL: the Lie keys are
 *  then NaN) and the tangent alignment with and without G. Cost: O(n^2 d)
 *  for the neighbours and three d x h SVDs per pair.
 *  @param out receives the report; free with cpae_report_destroy.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (d, or generators of another
 *          size), CPAE_E_NONFINITE, CPAE_E_LIMIT (d h above 2^29),
 *          CPAE_E_NUMERIC, CPAE_E_NOMEM. Since 0.3; experimental. */
CPAE_API CPAE_NODISCARD int32_t cpae_report_create(const cpae_model *model,
    const cpae_lie *lie, const float *x, int64_t n, int64_t d,
    cpae_report **out);

/** Destroy a report (NULL is a no-op). Since 0.3; experimental. */
CPAE_API void cpae_report_destroy(cpae_report *report);

/** One quantity of the report (a cpae_report_key).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (unknown key). Since 0.3; experimental. */
CPAE_API CPAE_NODISCARD int32_t cpae_report_get(const cpae_report *report, int32_t key,
    double *value);

/** Per-sample boundary distances (n values, capacity r_cap): stack
 *  CPAE_DECODER for the latent ones, CPAE_AUTOENCODER for the input ones.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.3; experimental. */
CPAE_API CPAE_NODISCARD int32_t cpae_report_distances(const cpae_report *report,
    int32_t stack, double *r, int64_t r_cap);

/** The report as a JSON text (UTF-8, NUL-terminated, written by jansson;
 *  non-finite values are null). *len receives the size in bytes including
 *  the NUL. With buf NULL this is a size query; otherwise cap must be
 *  >= *len (else CPAE_E_BUFFER_TOO_SMALL, buf untouched).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NOMEM.
 *  Since 0.3; experimental. */
CPAE_API CPAE_NODISCARD int32_t cpae_report_json(const cpae_report *report, char *buf,
    int64_t cap, int64_t *len);
/** @} */

/* ======================================================================
 * Training
 * ====================================================================== */

/** @defgroup training Training
 * A trainer fits a model (and, for the Lie methods, its generators) to a
 * data set with one of the objectives of docs/math.md section 3. It BORROWS
 * the model and the generators: they must outlive the trainer and must
 * not be used by other threads while it trains. Hyperparameters are set
 * by key (cpae_trainer_set_param), so the set can grow without changing
 * the ABI; cpae_param_bounds tells each key's range and default.
 * THREAD SAFETY: a trainer and what it borrows need exclusive access.
 * Same seed, data, parameters and OpenBLAS thread count give
 * bit-identical weights.
 * @{ */

/** Training methods: each selects the default weights of the loss terms
 *  (all can be changed afterwards). */
typedef enum cpae_method {
    CPAE_METHOD_AE = 0,          /**< reconstruction only */
    CPAE_METHOD_DENOISING = 1,   /**< reconstruct x from x + noise */
    CPAE_METHOD_CONTRACTIVE = 2, /**< + lambda_J ||J_E||^2 */
    CPAE_METHOD_HOC = 3,         /**< contractive + higher-order term */
    CPAE_METHOD_LIE_LOCAL = 4,   /**< + Lie regularizer, local form */
    CPAE_METHOD_LIE_EXACT = 5    /**< + Lie regularizer, exact form */
} cpae_method;

/** Loss terms, in the order reported by training calls. */
typedef enum cpae_loss_term {
    CPAE_TERM_RECONSTRUCTION = 0, /**< (1/m) sum ||D(E(x~)) - x||^2 */
    CPAE_TERM_CONTRACTIVE = 1,    /**< (1/m) sum ||J_E||^2 */
    CPAE_TERM_HIGHER_ORDER = 2,   /**< (1/m) sum mean_k ||J_E(x)-J_E(x+e_k)||^2 */
    CPAE_TERM_LIE_LOCAL = 3,      /**< (1/(mK)) sum r_ik */
    CPAE_TERM_LIE_EXACT = 4,      /**< (1/m) sum r_i */
    CPAE_TERM_TOTAL = 5           /**< weighted sum (the objective) */
} cpae_loss_term;
/** Number of loss terms (cpae_loss_term values); also cpae_n_loss_terms().
 *  Compatibility rule (since 0.4): CPAE_TERM_TOTAL stays 5 and new terms
 *  are appended after it, so this count only grows. Functions that fill a
 *  terms array accept any capacity >= CPAE_TERM_TOTAL + 1 and write
 *  min(capacity, cpae_n_loss_terms()) values: a program built against an
 *  older header keeps working and simply does not see the newer terms. The
 *  progress callback's terms array holds cpae_n_loss_terms() values; read
 *  only the indices your header knows. */
#define CPAE_N_LOSS_TERMS 6
/** Returns CPAE_N_LOSS_TERMS. Thread-safe. Since 0.1. */
CPAE_API int64_t cpae_n_loss_terms(void);
/** Static name of a loss term ("reconstruction", ...; "unknown" if out of
 *  range). Thread-safe. Since 0.1. */
CPAE_API const char *cpae_loss_term_name(int32_t term);

/** Hyperparameter keys. Values are passed as double (integers and enums
 *  too). Numbers are fixed forever; 1000 and above are experimental. */
typedef enum cpae_param {
    CPAE_P_OPTIMIZER = 1,        /**< a cpae_optimizer (default Adam) */
    CPAE_P_LEARNING_RATE = 2,
    CPAE_P_MOMENTUM = 3,         /**< SGD momentum */
    CPAE_P_ADAM_BETA1 = 4,
    CPAE_P_ADAM_BETA2 = 5,
    CPAE_P_ADAM_EPS = 6,
    CPAE_P_WEIGHT_DECAY = 7,     /**< L2 on weights (not biases, not G) */
    CPAE_P_BATCH_SIZE = 8,
    CPAE_P_EPOCHS = 9,
    CPAE_P_SEED = 10,            /**< shuffling, noise and samplers */
    CPAE_P_PATIENCE = 11,        /**< early stopping epochs (0: off) */
    CPAE_P_GENERATOR_LR = 12,    /**< generator learning-rate factor */
    CPAE_P_STEPS = 13,           /**< budget in optimiser steps (0: use
                                      CPAE_P_EPOCHS); when > 0 training takes
                                      exactly this many steps, the last
                                      epoch possibly part-way. Since 0.2 */
    CPAE_P_VALIDATE_EVERY = 14,  /**< validate every N steps (0: at the end
                                      of every epoch); CPAE_P_PATIENCE
                                      counts validations. Since 0.2 */
    CPAE_P_DIVERGENCE_FACTOR = 15, /**< cpae_trainer_fit stops with
                                      CPAE_E_DIVERGED when the running mean
                                      of the batch loss (exponential, weight
                                      0.1) exceeds this factor times its
                                      lowest value and the training data's
                                      total variance (the training-mean
                                      predictor's loss; since 0.7), after
                                      10 steps, and restores the weights it
                                      started from (default 1e4; 0: only
                                      NaN / inf count). Since 0.4 */
    CPAE_P_PRECISION = 16,       /**< arithmetic of the training step's
                                      evaluation: 32 (default) runs the
                                      forward pass, tangent engine and loss
                                      terms in float (sgemm), 64 in double;
                                      the weights, generators, optimiser
                                      state and the exact form (expm,
                                      Frechet, theta solves) stay double in
                                      both, and so does all geometry.
                                      Since 0.6 */
    CPAE_P_W_RECONSTRUCTION = 20,
    CPAE_P_NOISE_SIGMA = 21,     /**< denoising: Gaussian std */
    CPAE_P_NOISE_MASK = 22,      /**< denoising: masking probability */
    CPAE_P_W_CONTRACTIVE = 23,   /**< lambda_J */
    CPAE_P_W_HIGHER_ORDER = 24,  /**< lambda_H */
    CPAE_P_HOC_SIGMA = 25,       /**< std of the HOC corruptions */
    CPAE_P_HOC_COPIES = 26,      /**< corruptions per sample n_c */
    CPAE_P_W_LIE_LOCAL = 30,     /**< lambda_lie, local form */
    CPAE_P_LIE_SAMPLER = 31,     /**< a cpae_lie_sampler (default data) */
    CPAE_P_LIE_NEIGHBOURS = 32,  /**< K */
    CPAE_P_LIE_DELTA = 33,       /**< ball radius in latent space */
    CPAE_P_LIE_FACET_EPS = 34,   /**< step (1 + eps) r past a facet */
    CPAE_P_LIE_FORM = 35,        /**< a cpae_lie_form (default plain; the
                                      tangent form of the exact term needs
                                      a CPAE_LIE_SKEW generator) */
    CPAE_P_W_LIE_EXACT = 40,     /**< lambda_lie, exact form */
    CPAE_P_LIE_THETA_MAX = 41,   /**< exact form theta range (0: from data) */
    CPAE_P_LIE_THETA_GRID = 42,  /**< exact form grid points (k > 1: total over the k axes) */
    CPAE_P_LIE_REANCHOR = 43,    /**< 1: new anchor every epoch */
    CPAE_P_LIE_ANCHOR = 44       /**< index of the anchor training sample */
} cpae_param;

/** Values of CPAE_P_OPTIMIZER (set as doubles). Since 0.4. */
typedef enum cpae_optimizer {
    CPAE_OPT_SGD = 0,  /**< SGD with momentum CPAE_P_MOMENTUM */
    CPAE_OPT_ADAM = 1  /**< Adam (CPAE_P_ADAM_BETA1/2, CPAE_P_ADAM_EPS) */
} cpae_optimizer;

/** Values of CPAE_P_LIE_SAMPLER: where the local form's neighbours come
 *  from (docs/math.md section 3). Since 0.4. */
typedef enum cpae_lie_sampler {
    CPAE_SAMPLER_DATA = 0,  /**< the K nearest training samples */
    CPAE_SAMPLER_BALL = 1,  /**< latent points at distance CPAE_P_LIE_DELTA */
    CPAE_SAMPLER_FACET = 2  /**< just past the K nearest decoder facets */
} cpae_lie_sampler;

/** Values of CPAE_P_LIE_FORM. Since 0.4. */
typedef enum cpae_lie_form {
    CPAE_FORM_PLAIN = 0,   /**< ||A - (I + theta G) A'||^2 */
    CPAE_FORM_TANGENT = 1  /**< the part normal to A''s column space */
} cpae_lie_form;

/** Range [*lo, *hi] and default of a key (the default for
 *  CPAE_METHOD_AE; methods change the weights' defaults). Any output may
 *  be NULL. @return CPAE_OK, CPAE_E_INVALID (unknown key). Thread-safe.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_param_bounds(int32_t key, double *lo, double *hi,
    double *default_value);

/** Opaque handle of a trainer; it borrows its model and generators. */
typedef struct cpae_trainer cpae_trainer;

/** Create a trainer for `model` (borrowed, modified by training) with the
 *  default hyperparameters of `method`. `lie` (borrowed) is required for
 *  the Lie methods, must have d equal to the model's input width, and is
 *  trained too unless it is CPAE_LIE_FIXED; it may be NULL otherwise.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (method), CPAE_E_MISMATCH
 *          (generator size), CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_create(cpae_model *model,
    cpae_lie *lie, int32_t method, cpae_trainer **out);

/** Destroy a trainer (NULL is a no-op); the model and generators stay.
 *  Since 0.1. */
CPAE_API void cpae_trainer_destroy(cpae_trainer *trainer);

/** Set a hyperparameter. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID
 *  (unknown key, value outside its bounds, not an integer where one is
 *  needed), CPAE_E_NONFINITE. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_param(cpae_trainer *trainer, int32_t key,
    double value);

/** Read a hyperparameter. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_get_param(const cpae_trainer *trainer,
    int32_t key, double *value);

/** Training data: n samples (n x d, copied). NaN or infinity anywhere is
 *  refused before training. Data neighbours for the Lie sampler are
 *  computed here (K nearest samples in input space).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE,
 *          CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_data(cpae_trainer *trainer, const float *x,
    int64_t n, int64_t d);

/** Optional validation data (copied). With it, cpae_trainer_fit measures
 *  the validation reconstruction error (1/n_v) sum ||D(E(x)) - x||^2 of the
 *  starting weights (step 0), at the end of every epoch (or every
 *  CPAE_P_VALIDATE_EVERY steps) and after the last step; the weights with
 *  the lowest error (the earliest on ties, possibly the starting ones) are
 *  restored at the end, and CPAE_P_PATIENCE > 0 stops after that many
 *  validations without improvement. @return as cpae_trainer_set_data.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_validation(cpae_trainer *trainer,
    const float *x, int64_t n, int64_t d);

/** Progress callback, called on the training thread after every step:
 *  epoch (from 0), step (global, from 1), the unweighted loss terms of the
 *  step (CPAE_N_LOSS_TERMS values, see cpae_loss_term), the validation
 *  error of the last finished epoch (NaN if none) and the elapsed seconds.
 *  Return 0 to continue, non-zero to stop (cpae_trainer_fit then returns
 *  CPAE_E_CANCELLED, keeping the weights of the last step). Must not
 *  unwind through libcpae. */
typedef int32_t (*cpae_progress_fn)(void *user_data, int64_t epoch,
    int64_t step, const double *terms, double validation, double seconds);

/** Install (or with fn NULL remove) the progress callback. In a
 *  data-parallel fit (cpae_trainer_set_parallel) each step's stop is
 *  agreed only when some process had a step callback at the fit's start,
 *  so the callback cannot change from inside that fit's callbacks.
 *  @return CPAE_OK, CPAE_E_NULL (trainer), CPAE_E_INVALID (from a
 *          callback of a running data-parallel fit; since 0.8). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_callback(cpae_trainer *trainer,
    cpae_progress_fn fn, void *user_data);

/** Train for CPAE_P_STEPS optimiser steps (or, if 0, CPAE_P_EPOCHS
 *  epochs) of seeded shuffled mini-batches.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (no data), CPAE_E_CANCELLED,
 *          CPAE_E_DIVERGED (a non-finite loss or weight: the model and
 *          generators are left at their last finite state; or a running
 *          loss grown by CPAE_P_DIVERGENCE_FACTOR: they are restored to
 *          their values before the fit),
 *          CPAE_E_NUMERIC, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_fit(cpae_trainer *trainer);

/** What the last cpae_trainer_fit did: *steps, the optimiser steps taken;
 *  *best_step, the step whose weights were restored by early stopping (0:
 *  the starting weights; -1: no validation data, or the fit was cancelled
 *  or diverged); *best_validation, their validation error (NaN if none).
 *  Any output may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_fit_info(const cpae_trainer *trainer,
    int64_t *steps, int64_t *best_step, double *best_validation);

/** Number of trainable values: model weights and biases, then the
 *  generators (k*d*d, unless fixed or absent).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_n_params(const cpae_trainer *trainer,
    int64_t *n);

/** Bytes of memory the trainer keeps between steps for them: the blocks
 *  its first step sized and every later step reuses (a step on the same
 *  shapes allocates nothing more), the gradient and undo rooms, and the
 *  single-precision copy of the model. Grows only when a step needs more
 *  (a larger batch, another method's keys).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.6. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_workspace_size(const cpae_trainer *trainer,
    int64_t *bytes);

/** Copy all trainable values into a flat vector (layout: for each encoder
 *  then decoder layer, W row-major then b; then G_1..G_k row-major).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_get_params(const cpae_trainer *trainer,
    float *params, int64_t cap);

/** Set all trainable values from a flat vector (len == n_params; the
 *  generators are renormalised). @return CPAE_OK, CPAE_E_NULL,
 *  CPAE_E_SIZE, CPAE_E_NONFINITE (nothing changed). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_params(cpae_trainer *trainer,
    const float *params, int64_t len);

/** Loss terms (terms: capacity n_terms >= CPAE_N_LOSS_TERMS) and, if grad
 *  is not NULL, the gradient of the total loss with respect to all
 *  trainable values (layout of cpae_trainer_get_params; capacity cap) for
 *  the batch x (m x d), without changing any weight. Noise and samplers
 *  draw from the trainer's generator. For the data sampler the batch's
 *  neighbours are taken among the training data (set_data first).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_BUFFER_TOO_SMALL,
 *          CPAE_E_NONFINITE, CPAE_E_NUMERIC, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_gradient(cpae_trainer *trainer, const float *x,
    int64_t m, int64_t d, double *terms, int64_t n_terms, float *grad,
    int64_t cap);

/** Apply an externally computed gradient (for example averaged over
 *  data-parallel workers) with the trainer's optimiser, as one step.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE (nothing
 *  changed). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_apply_gradient(cpae_trainer *trainer,
    const float *grad, int64_t len);

/** One optimiser step on the batch x (m x d); terms as for
 *  cpae_trainer_gradient. @return as cpae_trainer_gradient, plus
 *  CPAE_E_DIVERGED (step not applied). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_step(cpae_trainer *trainer, const float *x,
    int64_t m, int64_t d, double *terms, int64_t n_terms);

/** Sum `n` doubles in place across every process of a data-parallel fit
 *  (for example one MPI_Allreduce with MPI_SUM). Called on the training
 *  thread, by every process at the same points of the fit with the same n.
 *  Return 0 on success; non-zero fails the fit with CPAE_E_CALLBACK. Must
 *  not unwind through libcpae. Since 0.8. */
typedef int32_t (*cpae_reduce_fn)(void *user_data, double *values, int64_t n);

/** Make cpae_trainer_fit one process of a data-parallel fit over a
 *  training set of n_global samples: the n_local rows given to
 *  cpae_trainer_set_data are this process's, global_ids[i] (unique, in
 *  [0, n_global)) the global index of row i, and owned[i] != 0 (owned
 *  NULL: every row) says that this process evaluates row i; the owned rows
 *  of all processes must cover the set exactly once. Every process
 *  shuffles the global indices with the same seed, evaluates the owned
 *  rows of each global batch (each sample's random draws depend only on
 *  the step and its global index, so the shares add up to the whole
 *  batch's), and calls `reduce` on [status, overflow, terms, gradient]
 *  each step (and on one value, the callbacks' stop), so every process
 *  applies the same update and the
 *  weights stay identical everywhere. Validation (each process's
 *  validation rows, none on some processes if need be) is reduced the same
 *  way, so early stopping decides alike everywhere. A process that fails still reduces, so no process
 *  waits: it returns its own status and the others CPAE_E_REMOTE. The
 *  local form's data sampler and the exact form read the whole training
 *  set (neighbours, the anchor, the theta range): they need every process
 *  to hold all n_global rows in global order (global_ids[i] = i) and to
 *  own its share, else CPAE_E_INVALID at the fit. Call after
 *  cpae_trainer_set_data (ids and mask are copied; a later set_data drops
 *  them); reduce NULL returns to single-process training. A fit stopped
 *  by a callback stays resumable across this call (the resume checks the
 *  set's size and identity). Only
 *  cpae_trainer_fit and cpae_trainer_resume run in parallel:
 *  cpae_trainer_step and cpae_trainer_gradient stay this process's own.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (no data, n_local not the
 *          rows given, ids repeated or out of range),
 *          CPAE_E_NOMEM, CPAE_E_INVALID (from a callback). Since 0.8. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_parallel(cpae_trainer *trainer,
    int64_t n_local, int64_t n_global, const int64_t *global_ids, const uint8_t *owned,
    cpae_reduce_fn reduce, void *user_data);

/** Columns of a row of cpae_trainer_history (and of the epoch callback's
 *  row). Scales: the loss terms and the validation error are per sample,
 *  summed over the d coordinates, (1/m) sum_i ||D(E(x_i)) - x_i||^2 for
 *  reconstruction (cpae_loss_term); cpae_model_evaluate's MSE is per
 *  element, that value divided by d. Since 0.7. */
typedef enum cpae_history_column {
    CPAE_HISTORY_EPOCH = 0,      /**< the epoch, from 0 */
    CPAE_HISTORY_STEP = 1,       /**< optimiser steps taken by its end */
    CPAE_HISTORY_SECONDS = 2,    /**< elapsed seconds of the fit by its end
                                      (resumed fits add their runs) */
    CPAE_HISTORY_VALIDATION = 3, /**< the latest validation error at its end
                                      (per sample; NaN without validation
                                      data) */
    CPAE_HISTORY_TERMS = 4       /**< first of cpae_n_loss_terms() columns:
                                      the epoch's mean of each unweighted
                                      term (cpae_loss_term order) */
} cpae_history_column;

/** Epoch callback, called on the training thread at the end of every epoch
 *  (the last included, and an epoch cut short by early stopping or by a
 *  CPAE_P_STEPS budget), after that epoch's validation: epoch (from 0) and
 *  its history row (n_cols values, cpae_history_column). The trainer is
 *  then at the start of the next epoch, so a checkpoint saved here resumes
 *  there. Return 0 to continue, non-zero to stop (the fit returns
 *  CPAE_E_CANCELLED and can be resumed). Must not unwind through libcpae.
 *  Since 0.7. */
typedef int32_t (*cpae_epoch_fn)(void *user_data, int64_t epoch, const double *row,
    int64_t n_cols);

/** Install (or with fn NULL remove) the epoch callback.
 *  @return CPAE_OK, CPAE_E_NULL (trainer). Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_set_epoch_callback(cpae_trainer *trainer,
    cpae_epoch_fn fn, void *user_data);

/** The per-epoch history of the current or last fit (a new fit clears it,
 *  a resumed one continues it): one row per finished epoch (as the epoch
 *  callback sees them), plus the unfinished epoch of a fit that ended in
 *  an error (a cancelled fit's epoch gets its row when the resumed fit
 *  finishes it); *n_rows rows of *n_cols values
 *  (cpae_history_column), row-major into rows (capacity cap values).
 *  Query the size with rows NULL and cap 0 (CPAE_E_BUFFER_TOO_SMALL when
 *  rows are needed; *n_rows and *n_cols are always written).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (cap < 0),
 *          CPAE_E_BUFFER_TOO_SMALL. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_history(const cpae_trainer *trainer,
    double *rows, int64_t cap, int64_t *n_rows, int64_t *n_cols);

/** The best validation of the current or last fit: *epoch, the epoch in
 *  (or at whose end) it was measured, -1 for the starting weights; *step,
 *  the optimiser steps taken then (0: the starting weights); *validation,
 *  its error. Without validation data all three are -1, -1 and NaN. A
 *  finished fit restored these weights; a cancelled one kept its last.
 *  Any output may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_best_epoch(const cpae_trainer *trainer,
    int64_t *epoch, int64_t *step, double *validation);

/** Where the current or last fit stands: *resumable is 1 when a callback
 *  stopped it (or a checkpoint saved during it was loaded), *epoch the
 *  epoch it is in (from 0), *step the optimiser steps taken. Any output
 *  may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_fit_state(const cpae_trainer *trainer,
    int32_t *resumable, int64_t *epoch, int64_t *step);

/** Continue a fit that a callback stopped, or that a loaded checkpoint
 *  was saved during, from where it stood, to the end of its budget: the
 *  same data order, noise, samplers, optimiser state, early stopping and
 *  theta range, so the weights come out bit-identical to a fit that was
 *  never interrupted (same library build, data, thread count). The
 *  training data must be set again if the trainer is new (the same
 *  samples, in the same order).
 *  @return as cpae_trainer_fit; CPAE_E_INVALID (no interrupted fit, or
 *          called from a callback), CPAE_E_SIZE (data missing or of
 *          another size). Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_resume(cpae_trainer *trainer);

/** Save a checkpoint of everything training has made and will need to go
 *  on, atomically as cpae_model_save (docs/format.md, "trainer
 *  checkpoints"): the model and trainable generators (double), every
 *  hyperparameter, the optimiser's moments and step count, the random
 *  generator, and the fit's position (epoch, batch, data order, early
 *  stopping's best weights and patience, the divergence guard, the theta
 *  range, the history). The data are not saved; a checksum of the
 *  training and validation data is, and loading refuses other data for a
 *  resumable fit. Callable from the progress and epoch callbacks.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_IO, CPAE_E_NOMEM. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_save_checkpoint(const cpae_trainer *trainer,
    const char *path);

/** Exact size in bytes of a checkpoint of the trainer now.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_checkpoint_size(const cpae_trainer *trainer,
    int64_t *n);

/** Write a checkpoint into buf (capacity cap); *written receives the size
 *  (also on CPAE_E_BUFFER_TOO_SMALL, when nothing is written).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_save_checkpoint_to_buffer(
    const cpae_trainer *trainer, uint8_t *buf, int64_t cap, int64_t *written);

/** Restore a checkpoint into a trainer created for a model of the same
 *  layers (widths and activations), the same method and generators of the
 *  same size, kind and trainability: the model's weights, the generators,
 *  the hyperparameters, the optimiser and the fit's position are replaced;
 *  set the training (and validation) data before or after, then
 *  cpae_trainer_resume continues a fit the checkpoint was saved during.
 *  Everything is checked before anything changes: on failure the trainer,
 *  model and generators are untouched. The data a fit records are the
 *  whole training set's by global index (rows hashed with their index)
 *  and the validation rows as a set, so a checkpoint saved by any process
 *  of a data-parallel fit resumes on any number of processes, or in one
 *  trainer holding the whole set in global order, to the same weights up
 *  to summation order (since 0.8). On a trainer made a process of a
 *  data-parallel fit (cpae_trainer_set_parallel) the load is collective:
 *  every process must call it, each checks its own part (its rows against
 *  the fit's, together), and all load or none does (the others return
 *  CPAE_E_REMOTE). Checkpoints of version 1 (0.7) resume only in a
 *  single-process trainer that holds the fit's data when loading.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_IO, CPAE_E_FORMAT (not a
 *          checkpoint, truncated, corrupted), CPAE_E_VERSION,
 *          CPAE_E_MISMATCH (another model shape, method or generators; or
 *          training data set that differ from the checkpoint's; processes
 *          that loaded different checkpoints), CPAE_E_NONFINITE,
 *          CPAE_E_LIMIT, CPAE_E_INVALID (called from a callback),
 *          CPAE_E_REMOTE, CPAE_E_CALLBACK (the reducer failed),
 *          CPAE_E_NOMEM. Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_load_checkpoint(cpae_trainer *trainer,
    const char *path);

/** Restore a checkpoint from n bytes in memory.
 *  @return as cpae_trainer_load_checkpoint, plus CPAE_E_SIZE (n <= 0).
 *  Since 0.7. */
CPAE_API CPAE_NODISCARD int32_t cpae_trainer_load_checkpoint_from_buffer(
    cpae_trainer *trainer, const uint8_t *buf, int64_t n);
/** @} */

/* ======================================================================
 * Data sets and evaluation
 * ====================================================================== */

/** @defgroup data Data sets and evaluation
 * A data set is n samples of dimension d (row-major float) with optional
 * integer labels, loaded from a file or wrapping caller memory. Loaders read
 * gzip-compressed files transparently (zlib) and refuse malformed input with
 * CPAE_E_FORMAT and a message naming the file, line and column (a
 * non-numeric field, an empty field, a ragged row, NaN or infinity, an
 * empty file, a blank line followed by more data, a CSV header whose field
 * count differs from the rows, a wrong IDX magic or size, a truncated gzip
 * stream); they never skip a row. Details: docs/data.md.
 * THREAD SAFETY: const functions are thread-safe.
 * @{ */

/** File formats for cpae_dataset_load. */
typedef enum cpae_format {
    CPAE_FORMAT_AUTO = 0,       /**< from the name (a .gz suffix removed):
                                     idx<digit>, *-ubyte or *.idx as IDX;
                                     *.csv as CSV; anything else as UCR */
    CPAE_FORMAT_UCR = 1,        /**< UCR archive: one series per line, class
                                     label first; tab, comma or whitespace
                                     separated (2018 .tsv and older files) */
    CPAE_FORMAT_CSV = 2,        /**< comma-separated values, no labels */
    CPAE_FORMAT_CSV_HEADER = 3, /**< as CSV, first line is a header */
    CPAE_FORMAT_IDX = 4         /**< IDX images (MNIST, Fashion-MNIST):
                                     unsigned bytes, any number of dims;
                                     values as stored (0..255) */
} cpae_format;

/** Normalisations; statistics come from the data set they are fitted on
 *  (the training split) and are applied unchanged to others. */
typedef enum cpae_norm {
    CPAE_NORM_NONE = 0,
    CPAE_NORM_SERIES_Z = 1,   /**< each sample to mean 0, std 1 (no fitted
                                   statistics; constant rows become 0) */
    CPAE_NORM_FEATURE_Z = 2,  /**< each feature: (x - mean) / std of the
                                   fitted data (std 0 -> 1) */
    CPAE_NORM_MINMAX = 3      /**< each feature: (x - min) / (max - min) of
                                   the fitted data (range 0 -> 1) */
} cpae_norm;

/** Opaque handle of a data set. */
typedef struct cpae_dataset cpae_dataset;
/** Opaque handle of fitted normalisation statistics. */
typedef struct cpae_normalizer cpae_normalizer;

/** Default cap of cpae_dataset_load / cpae_dataset_load_idx: 1 GiB of
 *  decompressed bytes read, and as many bytes of stored floats (2^28
 *  values). Since 0.4. */
#define CPAE_DATASET_DEFAULT_LIMIT (INT64_C(1) << 30)
/** Largest cap a caller may set (64 GiB; the library's absolute limit of
 *  2^34 values). Since 0.4. */
#define CPAE_DATASET_MAX_LIMIT (INT64_C(1) << 36)

/** Load a data set from a file (gzip or plain), with the default cap
 *  CPAE_DATASET_DEFAULT_LIMIT (see cpae_dataset_load_limit).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (format), CPAE_E_IO,
 *          CPAE_E_FORMAT, CPAE_E_LIMIT, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_load(const char *path,
    int32_t format, cpae_dataset **out);

/** cpae_dataset_load with a caller-set cap: the load stops with
 *  CPAE_E_LIMIT as soon as more than max_bytes bytes have been read after
 *  decompression (a gzip bomb is refused early, not after filling memory)
 *  or the data would hold more than max_bytes / 4 values (an IDX header
 *  that declares more is refused before anything is allocated).
 *  @param max_bytes in [1, CPAE_DATASET_MAX_LIMIT].
 *  @return as cpae_dataset_load; CPAE_E_INVALID also for max_bytes.
 *  Since 0.4. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_load_limit(const char *path,
    int32_t format, int64_t max_bytes, cpae_dataset **out);

/** Load IDX images and (optionally, labels_path may be NULL) IDX labels;
 *  each image is flattened to one row. The counts must agree. Default cap
 *  CPAE_DATASET_DEFAULT_LIMIT per file.
 *  @return as cpae_dataset_load. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_load_idx(const char *images_path,
    const char *labels_path, cpae_dataset **out);

/** cpae_dataset_load_idx with a caller-set cap per file (as in
 *  cpae_dataset_load_limit). @return as cpae_dataset_load_limit.
 *  Since 0.4. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_load_idx_limit(
    const char *images_path, const char *labels_path, int64_t max_bytes,
    cpae_dataset **out);

/** Wrap caller memory without copying: x (n x d) and labels (n, may be
 *  NULL) are BORROWED and must outlive the data set; a normalisation
 *  applied to it copies first. NaN or infinity is refused.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE,
 *          CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_wrap(const float *x, int64_t n,
    int64_t d, const int32_t *labels, cpae_dataset **out);

/** Destroy a data set (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_dataset_destroy(cpae_dataset *ds);

/** Number of samples, dimension and whether labels are present. Any
 *  output may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_info(const cpae_dataset *ds, int64_t *n,
    int64_t *d, int32_t *has_labels);

/** Borrow the samples (n x d row-major), valid until the data set is
 *  destroyed or normalised. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_data(const cpae_dataset *ds, const float **x);

/** Copy the labels out (capacity cap >= n).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL, CPAE_E_INVALID
 *          (no labels). Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_labels(const cpae_dataset *ds, int32_t *labels,
    int64_t cap);

/** Split into a training and a validation part: a fraction `valid` of the
 *  samples (rounded, at least 1 and at most n - 1), chosen by a seeded
 *  shuffle with libcpae's generator, go to *validation; both keep the
 *  original order. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (valid not
 *  in (0, 1)), CPAE_E_SIZE (n < 2), CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_dataset_split(const cpae_dataset *ds,
    double valid, uint64_t seed, cpae_dataset **train,
    cpae_dataset **validation);

/** Fit normalisation statistics of `kind` on a data set (the training
 *  split). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_NOMEM.
 *  Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_normalizer_fit(const cpae_dataset *ds,
    int32_t kind, cpae_normalizer **out);

/** Destroy normalisation statistics (NULL is a no-op). Since 0.1. */
CPAE_API void cpae_normalizer_destroy(cpae_normalizer *norm);

/** Apply fitted statistics to a data set in place (a wrapped data set is
 *  copied first, the caller's memory is never written). The dimensions
 *  must match. @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE
 *  (a value would leave the float range; the data set is unchanged),
 *  CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_normalizer_apply(const cpae_normalizer *norm,
    cpae_dataset *ds);

/** Test reconstruction error of a model on n samples x (n x d), in the
 *  units of x (docs/math.md section 6): *mse, the mean squared error per
 *  element, (1/(n d)) sum ||D(E(x)) - x||^2; *rel, the mean relative error
 *  (1/n) sum ||D(E(x)) - x|| / ||x|| (samples with x = 0 are left out of
 *  the mean). Either output may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE,
 *          CPAE_E_NOMEM. Thread-safe. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_evaluate(const cpae_model *model, const float *x,
    int64_t n, int64_t d, double *mse, double *rel);
/** @} */

/* ======================================================================
 * Linear baselines
 * ====================================================================== */

/** @defgroup pca Linear baselines: PCA and the training mean
 * The references every comparison needs (docs/math.md section 6): PCA with
 * k components fitted on the training data, centred on the training mean
 * (the optimum of a linear autoencoder with bottleneck k), and the
 * training-mean predictor (k = 0). A fitted cpae_pca is a handle of
 * statistics; cpae_model_from_pca turns it into an ordinary model with
 * identity activations, so encode, reconstruct, cpae_model_evaluate, save
 * and every other model call work on the baselines unchanged.
 * cpae_model_init_pca starts a nonlinear autoencoder exactly at the PCA
 * solution (docs/training.md).
 * THREAD SAFETY: a fitted cpae_pca is immutable; its functions are
 * thread-safe.
 * @{ */

/** Opaque handle of a fitted PCA. */
typedef struct cpae_pca cpae_pca;

/** Fit PCA with k components to n samples x (n x d): the mean mu, and the
 *  first k right singular vectors of the centred data (LAPACK dgesvd, in
 *  double). Sign convention: the entry of largest magnitude of each
 *  component is positive (the first such entry on ties). k = 0 fits the
 *  mean only (the training-mean predictor).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (n or d < 1, n d > 2^34),
 *          CPAE_E_INVALID (k < 0 or k > min(n, d)), CPAE_E_NONFINITE,
 *          CPAE_E_LIMIT, CPAE_E_NUMERIC (the SVD did not converge),
 *          CPAE_E_NOMEM. Thread-safe. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_pca_fit(const float *x, int64_t n,
    int64_t d, int64_t k, cpae_pca **out);

/** Destroy a fitted PCA (NULL is a no-op). Since 0.2. */
CPAE_API void cpae_pca_destroy(cpae_pca *pca);

/** Dimension d, number of components k and the total variance of the
 *  fitted data (sum over the d features of the unbiased variances, so the
 *  explained fraction of component j is variances[j] / total). Any output
 *  may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_pca_info(const cpae_pca *pca, int64_t *d, int64_t *k,
    double *total_variance);

/** Copy the mean (d values, capacity cap) out.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_pca_mean(const cpae_pca *pca, float *mean, int64_t cap);

/** Copy the components out: k x d row-major, orthonormal rows, in order of
 *  decreasing explained variance (capacity cap >= k d; k = 0 copies
 *  nothing). @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_pca_components(const cpae_pca *pca, float *components,
    int64_t cap);

/** Copy the explained variances out: s_j^2 / (n - 1) for the singular
 *  values s_j of the centred data, decreasing (k values, capacity cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_pca_variances(const cpae_pca *pca, float *variances,
    int64_t cap);

/** A model holding the PCA map: encoder d -> max(k, 1) with z = V (x - mu),
 *  decoder x^ = V^T z + mu, identity activations (one region). For k = 0
 *  the latent has one unit with zero weights and x^ = mu: the
 *  training-mean predictor. @return CPAE_OK, CPAE_E_NULL, CPAE_E_NOMEM.
 *  Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_from_pca(const cpae_pca *pca,
    cpae_model **out);

/** PCA-informed initialisation: rewrite the weights of `model` so that
 *  D(E(x)) is the PCA reconstruction V^T V (x - mu) + mu on the data x
 *  (n x d) and on every point whose PCA coordinates stay within the
 *  margin. The first k units of every layer carry the k PCA coordinates,
 *  shifted on each nonlinear layer by off_j = max(0, -min c_j) + margin
 *  (max c_j - min c_j) (c_j: coordinate j over x) so that ReLU, leaky ReLU
 *  and abs act as the identity on them; a bottleneck with identity
 *  activation holds the PCA coordinates themselves. The other units keep
 *  their incoming weights, and their weights into carry units and into the
 *  output are zero, so training can grow nonlinear structure from the
 *  linear optimum. Needs every layer to have at least k units, activations
 *  among identity / ReLU / leaky ReLU / abs, and an identity output layer.
 *  Nothing changes on failure.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (n < 1, d wrong, a layer
 *          narrower than k), CPAE_E_MISMATCH (the PCA's d), CPAE_E_INVALID
 *          (k = 0, margin < 0 or not finite, an activation or output layer
 *          that cannot hold the map), CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *          Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_init_pca(cpae_model *model, const cpae_pca *pca,
    const float *x, int64_t n, int64_t d, double margin);
/** @} */

/* ======================================================================
 * Model selection: the training protocol
 * ====================================================================== */

/** @defgroup selection Model selection (the training protocol)
 * The protocol of docs/training.md, in the library so that every program
 * gets it: from the TRAINING data alone, a validation split is drawn by
 * seed; every candidate of a small hyperparameter grid is trained from the
 * same initial weights with a budget counted in optimiser steps
 * (CPAE_P_STEPS) and early stopping on that split (best weights restored,
 * the starting weights included); the candidate with the lowest
 * validation error wins (the earliest in grid order on ties); by default
 * it is then refitted on all the training data for exactly the number of
 * steps at which it was best. The function never sees test data, so a
 * test split cannot influence any choice; read it once, afterwards, with
 * cpae_model_evaluate.
 *
 * Each method starts with the grid fixed once for all data sets
 * (docs/training.md): learning rate {1e-4, 1e-3} times the method's own
 * strength (AE: weight decay {0, 1e-4, 1e-3}; denoising: sigma {0.05, 0.1,
 * 0.2}; contractive: lambda_J and HOC: lambda_H {1e-3, 1e-2, 1e-1}; Lie
 * local and exact: lambda_lie {0.01, 0.1, 1}), and the fixed keys
 * CPAE_P_STEPS 2000, CPAE_P_VALIDATE_EVERY 10, CPAE_P_PATIENCE 20,
 * CPAE_P_BATCH_SIZE 32. Every other trainer key keeps the method's default
 * unless set here.
 * THREAD SAFETY: a selection needs exclusive access; different selections
 * may run on different threads.
 * @{ */

/** Opaque handle of a model selection. */
typedef struct cpae_selection cpae_selection;

/** Initialisations of the candidates' models. */
typedef enum cpae_init {
    CPAE_INIT_RANDOM = 0, /**< He-uniform, as cpae_model_create */
    CPAE_INIT_PCA = 1     /**< cpae_model_init_pca on the run's training
                               data (k = the bottleneck width) */
} cpae_init;

/** Options of the protocol itself (values passed as double). */
typedef enum cpae_selection_option {
    CPAE_SEL_VALID_FRACTION = 1,    /**< fraction of the training data held
                                         out for validation (default 0.2) */
    CPAE_SEL_SEED = 2,              /**< seeds the split, the initial
                                         weights, the generators and the
                                         trainer (default 1) */
    CPAE_SEL_INIT = 3,              /**< a cpae_init (default PCA) */
    CPAE_SEL_INIT_MARGIN = 4,       /**< margin of cpae_model_init_pca
                                         (default 0.5) */
    CPAE_SEL_REFIT = 5,             /**< 1 (default): refit the winner on
                                         all the data for its best step
                                         count; 0: return the winner as
                                         trained on the training part */
    CPAE_SEL_GENERATORS = 6,        /**< Lie methods: k (default 1) */
    CPAE_SEL_GENERATOR_KIND = 7,    /**< a cpae_lie_param (default skew) */
    CPAE_SEL_HIDDEN_ACTIVATION = 8  /**< ReLU (default), leaky ReLU or abs */
} cpae_selection_option;

/** Called after each candidate (index 0..n_candidates-1) with its best
 *  validation error (NaN if its fit failed) and the step it was reached
 *  at, and once more after the refit with index == n_candidates and the
 *  winner's figures. Return non-zero to stop (CPAE_E_CANCELLED). */
typedef int32_t (*cpae_selection_fn)(void *user_data, int64_t candidate,
    int64_t n_candidates, double validation, int64_t best_step);

/** Create a selection for `method` (a cpae_method) on the mirrored
 *  architecture widths = d, h1, ..., h (as cpae_model_create_mirrored),
 *  with the method's fixed grid and the default options.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (method), CPAE_E_SIZE
 *          (widths), CPAE_E_NOMEM. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_create(int32_t method,
    const int64_t *widths, int64_t n_widths, cpae_selection **out);

/** Destroy a selection (NULL is a no-op). Since 0.2. */
CPAE_API void cpae_selection_destroy(cpae_selection *selection);

/** Set an option (cpae_selection_option).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (unknown option, out of
 *          range, not an integer where one is needed), CPAE_E_NONFINITE.
 *          Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_set_option(cpae_selection *selection,
    int32_t key, double value);

/** Read an option. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID.
 *  Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_get_option(const cpae_selection *selection,
    int32_t key, double *value);

/** Fix a trainer key (cpae_param, not CPAE_P_SEED) for every candidate;
 *  removes a grid axis on that key. Previous results are forgotten.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (unknown key, value out of
 *          the key's bounds), CPAE_E_NONFINITE, CPAE_E_LIMIT. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_set_param(cpae_selection *selection,
    int32_t key, double value);

/** Replace the grid axis of a trainer key with n values (n = 0 removes the
 *  axis and the key takes its fixed or default value; at most 16 values,
 *  8 axes). Candidates are the product of the axes, the first axis
 *  varying slowest. Previous results are forgotten.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_NONFINITE,
 *          CPAE_E_LIMIT. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_set_grid(cpae_selection *selection,
    int32_t key, const double *values, int64_t n);

/** Install (or with fn NULL remove) the progress callback.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_set_callback(cpae_selection *selection,
    cpae_selection_fn fn, void *user_data);

/** Number of candidates (the product of the grid axes' sizes).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_n_candidates(const cpae_selection *selection,
    int64_t *n);

/** The keys of the grid axes, in order (capacity cap; keys NULL with cap
 *  0 only sets *n_keys). @return CPAE_OK, CPAE_E_NULL,
 *  CPAE_E_BUFFER_TOO_SMALL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_grid_keys(const cpae_selection *selection,
    int32_t *keys, int64_t cap, int64_t *n_keys);

/** Run the protocol on the training data x (n x d, n >= 3, borrowed for
 *  the call) and return a new model (and, for the Lie methods, its new
 *  generators in *lie; lie may be NULL for the other methods, and *lie is
 *  set to NULL for them). Same options, grid and data give bit-identical
 *  results. A candidate whose fit fails (e.g. CPAE_E_DIVERGED) is left
 *  out; if all fail the call fails.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (d differs from widths[0],
 *          n < 3), CPAE_E_NONFINITE, CPAE_E_DIVERGED (no candidate
 *          trained), CPAE_E_CANCELLED, CPAE_E_NUMERIC, CPAE_E_NOMEM, or a
 *          status of the refit. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_fit(cpae_selection *selection,
    const float *x, int64_t n, int64_t d, cpae_model **model, cpae_lie **lie);

/** Candidate `index`: its grid values (one per axis, capacity cap; values
 *  may be NULL), and after a fit its best validation error (NaN before a
 *  fit or if it failed) and best step (-1 then). Either of validation,
 *  best_step may be NULL. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID
 *  (index), CPAE_E_BUFFER_TOO_SMALL. Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_candidate(const cpae_selection *selection,
    int64_t index, double *values, int64_t cap, double *validation,
    int64_t *best_step);

/** Index of the selected candidate of the last fit.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (no fit yet). Since 0.2. */
CPAE_API CPAE_NODISCARD int32_t cpae_selection_best(const cpae_selection *selection,
    int64_t *index);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* CPAE_H_6F1C2B9E4A */
