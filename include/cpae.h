/*
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
 * order, scaling) are in docs/design.md and the project's MATH.md.
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
 *   The soname is libcpae.so.CPAE_VERSION_MAJOR. Within one major version
 *   functions and enum values are only ever added, never changed or
 *   removed; handles stay opaque so their layout can change freely.
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
#define CPAE_VERSION_MAJOR 0
#define CPAE_VERSION_MINOR 1
#define CPAE_VERSION_PATCH 0
#define CPAE_VERSION_NUMBER \
    (CPAE_VERSION_MAJOR * 10000 + CPAE_VERSION_MINOR * 100 + CPAE_VERSION_PATCH)
#define CPAE_VERSION_STRING "0.1.0"

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
    CPAE_E_INTERNAL = 14           /**< internal error (please report) */
} cpae_status;

/** Static English text for a status code (never NULL; unknown codes give
 *  "unknown status"). Thread-safe. Since 0.1. */
CPAE_API const char *cpae_status_string(int32_t status);

/** Detail message of the last failing call on the calling thread, such as
 *  "cpae_model_encode: argument 4 (dim) is 3, the model's input width is 8".
 *  Empty string if no call has failed on this thread. The pointer is valid
 *  until the next libcpae call on this thread. Thread-safe (thread-local).
 *  Since 0.1. */
CPAE_API const char *cpae_last_error(void);

/** Copy the last error message of this thread into buf (capacity cap bytes,
 *  always NUL-terminated when cap > 0; truncated if needed).
 *  @param needed if not NULL, receives strlen(message) + 1.
 *  @return CPAE_OK, CPAE_E_NULL (buf NULL with cap > 0),
 *          CPAE_E_BUFFER_TOO_SMALL (message truncated). Since 0.1. */
CPAE_API int32_t cpae_last_error_copy(char *buf, int64_t cap, int64_t *needed);
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
    CPAE_ACT_IDENTITY = 0,
    CPAE_ACT_RELU = 1,
    CPAE_ACT_LEAKY_RELU = 2,
    CPAE_ACT_ABS = 3
} cpae_activation;

/** Default slope of the leaky ReLU for z <= 0. */
#define CPAE_DEFAULT_LEAKY_ALPHA 0.01
/** Returns CPAE_DEFAULT_LEAKY_ALPHA. Thread-safe. Since 0.1. */
CPAE_API double cpae_default_leaky_alpha(void);

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
CPAE_API int32_t cpae_layer_dims(const cpae_layer *layer, int64_t *n_in,
    int64_t *n_out);

/** Activation and leaky slope of a layer. Either output may be NULL.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_layer_activation(const cpae_layer *layer,
    int32_t *activation, double *alpha);

/** Copy weights in: W is n_out x n_in row-major, w_len == n_out * n_in.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (w_len wrong),
 *          CPAE_E_NONFINITE (layer unchanged). Since 0.1. */
CPAE_API int32_t cpae_layer_set_weights(cpae_layer *layer, const float *w,
    int64_t w_len);

/** Copy weights out into w (capacity w_cap >= n_out * n_in).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_layer_get_weights(const cpae_layer *layer, float *w,
    int64_t w_cap);

/** Copy biases in (b_len == n_out).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_NONFINITE. Since 0.1. */
CPAE_API int32_t cpae_layer_set_bias(cpae_layer *layer, const float *b,
    int64_t b_len);

/** Copy biases out into b (capacity b_cap >= n_out).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_layer_get_bias(const cpae_layer *layer, float *b,
    int64_t b_cap);

/** Apply the layer to n row-major inputs x (n x n_in) into y (n x n_out,
 *  capacity y_cap). @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM. Thread-safe.
 *  Since 0.1. */
CPAE_API int32_t cpae_layer_forward(const cpae_layer *layer, const float *x,
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
    CPAE_ENCODER = 0,
    CPAE_DECODER = 1,
    CPAE_AUTOENCODER = 2
} cpae_stack;

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
CPAE_API int32_t cpae_model_dims(const cpae_model *model, int64_t *d,
    int64_t *h);

/** Number of layers in a stack (CPAE_ENCODER or CPAE_DECODER; for
 *  CPAE_AUTOENCODER the sum). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID.
 *  Since 0.1. */
CPAE_API int32_t cpae_model_n_layers(const cpae_model *model, int32_t stack,
    int64_t *n_layers);

/** Describe layer `index` of a stack (CPAE_ENCODER or CPAE_DECODER). Any
 *  output may be NULL. @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID
 *  (stack or index out of range). Since 0.1. */
CPAE_API int32_t cpae_model_layer_info(const cpae_model *model, int32_t stack,
    int64_t index, int64_t *n_in, int64_t *n_out, int32_t *activation,
    double *alpha);

/** Copy weights (n_out x n_in, row-major) and biases (n_out) of one layer
 *  out of the model. Either of w / b may be NULL to skip it.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_BUFFER_TOO_SMALL.
 *  Since 0.1. */
CPAE_API int32_t cpae_model_get_layer_params(const cpae_model *model,
    int32_t stack, int64_t index, float *w, int64_t w_cap, float *b,
    int64_t b_cap);

/** Copy weights and biases of one layer into the model. Either of w / b may
 *  be NULL to leave it unchanged; lengths must match exactly. Nothing is
 *  changed if any check fails.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID, CPAE_E_SIZE,
 *          CPAE_E_NONFINITE. Since 0.1. */
CPAE_API int32_t cpae_model_set_layer_params(cpae_model *model, int32_t stack,
    int64_t index, const float *w, int64_t w_len, const float *b,
    int64_t b_len);

/** A copy of layer `index` of a stack as a new layer handle (caller
 *  destroys it). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID,
 *  CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_get_layer(const cpae_model *model,
    int32_t stack, int64_t index, cpae_layer **out);

/** Total number of trainable parameters (weights and biases).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_model_n_params(const cpae_model *model,
    int64_t *n_params);

/** Bytes of memory the model handle holds (for accounting).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_model_sizeof(const cpae_model *model, int64_t *bytes);

/** Attach an opaque pointer for bindings (not owned, not saved). Since 0.1.
 *  @return CPAE_OK, CPAE_E_NULL. */
CPAE_API int32_t cpae_model_set_user_data(cpae_model *model, void *user_data);
/** Read the pointer set by cpae_model_set_user_data (NULL by default).
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_model_get_user_data(const cpae_model *model,
    void **user_data);

/** Encode n inputs x (n x d) into z (n x h, capacity z_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (n < 1 or dim != d),
 *          CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM.
 *  Thread-safe. Since 0.1. */
CPAE_API int32_t cpae_model_encode(const cpae_model *model, const float *x,
    int64_t n, int64_t dim, float *z, int64_t z_cap);

/** Decode n latent points z (n x h) into x (n x d, capacity x_cap).
 *  @return as cpae_model_encode. Thread-safe. Since 0.1. */
CPAE_API int32_t cpae_model_decode(const cpae_model *model, const float *z,
    int64_t n, int64_t dim, float *x, int64_t x_cap);

/** Reconstruct n inputs: y = D(E(x)) (n x d, capacity y_cap), computed in
 *  double without rounding the latent code to float.
 *  @return as cpae_model_encode. Thread-safe. Since 0.1. */
CPAE_API int32_t cpae_model_reconstruct(const cpae_model *model,
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
CPAE_API int32_t cpae_model_code(const cpae_model *model, int32_t stack,
    const float *point, int64_t dim, cpae_code *code);

/** Number of bytes of one packed code of `stack` (ceil(bits / 8)).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID. Since 0.1. */
CPAE_API int32_t cpae_model_code_bytes(const cpae_model *model, int32_t stack,
    int64_t *n_bytes);

/** Packed codes of n points (n x dim) into `codes`, an n x n_bytes byte
 *  array (n_bytes from cpae_model_code_bytes; capacity codes_cap bytes).
 *  @return as cpae_model_encode. Thread-safe. Since 0.1. */
CPAE_API int32_t cpae_model_codes(const cpae_model *model, int32_t stack,
    const float *points, int64_t n, int64_t dim, uint8_t *codes,
    int64_t codes_cap);

/** Number of distinct regions (codes of `stack`) among n points.
 *  @return as cpae_model_encode. Thread-safe. Since 0.1. */
CPAE_API int32_t cpae_model_count_regions(const cpae_model *model,
    int32_t stack, const float *points, int64_t n, int64_t dim,
    int64_t *n_regions);

/** Number of bits (non-identity units) and which stack the code is for.
 *  Either output may be NULL. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_code_info(const cpae_code *code, int64_t *n_bits,
    int32_t *stack);

/** Value (0 or 1) of bit `index`. @return CPAE_OK, CPAE_E_NULL,
 *  CPAE_E_INVALID (index out of range). Since 0.1. */
CPAE_API int32_t cpae_code_bit(const cpae_code *code, int64_t index,
    int32_t *bit);

/** *equal = 1 if a and b have the same length and bits, else 0.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_code_equal(const cpae_code *a, const cpae_code *b,
    int32_t *equal);

/** 64-bit hash (FNV-1a over the packed bytes and the length); equal codes
 *  hash equally on every platform. @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_code_hash(const cpae_code *code, uint64_t *hash);

/** Number of differing bits between two codes of the same length.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_MISMATCH (lengths differ).
 *  Since 0.1. */
CPAE_API int32_t cpae_code_hamming(const cpae_code *a, const cpae_code *b,
    int64_t *distance);

/** Number of bits set (active units). @return CPAE_OK, CPAE_E_NULL.
 *  Since 0.1. */
CPAE_API int32_t cpae_code_popcount(const cpae_code *code, int64_t *count);

/** Export the packed bits into buf (capacity cap bytes); *written receives
 *  ceil(n_bits / 8). Unused high bits of the last byte are zero.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_code_to_bytes(const cpae_code *code, uint8_t *buf,
    int64_t cap, int64_t *written);

/** Set the code's bits from packed bytes (n == ceil(n_bits / 8); unused
 *  high bits must be zero). @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_FORMAT. Since 0.1. */
CPAE_API int32_t cpae_code_from_bytes(cpae_code *code, const uint8_t *buf,
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
CPAE_API int32_t cpae_model_affine(const cpae_model *model, int32_t stack,
    const float *point, int64_t dim, cpae_affine *map);

/** All three maps of the autoencoder region of x at once: encoder map at x
 *  into enc (h x d), decoder map at E(x) into dec (d x h), composite into
 *  ae (d x d). Any of enc / dec / ae may be NULL to skip it.
 *  @return as cpae_model_affine. Thread-safe on the model. Since 0.1. */
CPAE_API int32_t cpae_model_region_maps(const cpae_model *model,
    const float *x, int64_t dim, cpae_affine *enc, cpae_affine *dec,
    cpae_affine *ae);

/** Shape of a map. Either output may be NULL. @return CPAE_OK, CPAE_E_NULL.
 *  Since 0.1. */
CPAE_API int32_t cpae_affine_dims(const cpae_affine *map, int64_t *n_out,
    int64_t *n_in);

/** Copy the slope A (n_out x n_in, row-major) into a (capacity a_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_affine_get_slope(const cpae_affine *map, float *a,
    int64_t a_cap);

/** Copy the offset B (n_out) into b (capacity b_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_affine_get_offset(const cpae_affine *map, float *b,
    int64_t b_cap);

/** Slope in double precision (n_out x n_in), for exactness checks.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_affine_get_slope_f64(const cpae_affine *map, double *a,
    int64_t a_cap);

/** Offset in double precision (n_out).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_affine_get_offset_f64(const cpae_affine *map, double *b,
    int64_t b_cap);

/** Apply the map to n points p (n x n_in) into y (n x n_out, capacity
 *  y_cap): y = A p + B. @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_BUFFER_TOO_SMALL, CPAE_E_NONFINITE, CPAE_E_NOMEM. Thread-safe.
 *  Since 0.1. */
CPAE_API int32_t cpae_affine_apply(const cpae_affine *map, const float *p,
    int64_t n, int64_t dim, float *y, int64_t y_cap);

/** Composition out = outer o inner: A = A_outer A_inner,
 *  B = A_outer B_inner + B_outer. `out` must already have shape
 *  outer.n_out x inner.n_in (for instance a map created for
 *  CPAE_AUTOENCODER when composing a decoder map with an encoder map).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (shapes do not chain).
 *  Since 0.1. */
CPAE_API int32_t cpae_affine_compose(const cpae_affine *outer,
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
CPAE_API int32_t cpae_model_boundary_distance(const cpae_model *model,
    int32_t stack, const float *point, int64_t dim, double *r, int64_t *unit,
    float *normal, int64_t normal_cap);

/** Boundary distances of n points (n x dim) into r (capacity r_cap >= n).
 *  @return as cpae_model_boundary_distance. Since 0.1. */
CPAE_API int32_t cpae_model_boundary_distances(const cpae_model *model,
    int32_t stack, const float *points, int64_t n, int64_t dim, double *r,
    int64_t r_cap);

/** Regions crossed by a segment, as an immutable result handle. */
typedef struct cpae_path cpae_path;

/** Exact ordered list of the regions of `stack` crossed by the segment
 *  p(t) = p + t (q - p), t in [0, 1]. Region k covers [t_k, t_{k+1}) with
 *  t_0 = 0; consecutive regions differ. Crossings are found analytically
 *  (each pre-activation is affine in t inside a region), not by sampling.
 *  Regions thinner than about 1e-12 in t may be merged into a neighbour.
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
CPAE_API int32_t cpae_path_n_regions(const cpae_path *path,
    int64_t *n_regions);

/** Start parameters t_k of the regions (n_regions values, t_0 = 0, strictly
 *  increasing, all < 1) into t (capacity t_cap).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_path_params(const cpae_path *path, double *t,
    int64_t t_cap);

/** Code of region k into `code` (created for the path's stack and model
 *  shape). @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (k out of range),
 *  CPAE_E_MISMATCH. Since 0.1. */
CPAE_API int32_t cpae_path_code(const cpae_path *path, int64_t k,
    cpae_code *code);

/** All region codes packed, n_regions x n_bytes (see cpae_model_code_bytes),
 *  into codes (capacity codes_cap bytes).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_path_codes(const cpae_path *path, uint8_t *codes,
    int64_t codes_cap);

/** Number of distinct regions of `stack` among n_samples points drawn
 *  uniformly in the ball B(center, rho) with libcpae's generator seeded by
 *  seed (a lower bound on the true count; report it with n_samples).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (rho not finite or < 0),
 *          CPAE_E_SIZE, CPAE_E_NONFINITE, CPAE_E_NOMEM. Since 0.1. */
CPAE_API int32_t cpae_model_count_regions_in_ball(const cpae_model *model,
    int32_t stack, const float *center, int64_t dim, double rho,
    int64_t n_samples, uint64_t seed, int64_t *n_regions);
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

/** Save atomically to `path`: the bytes go to a temporary file in the same
 *  directory, which is flushed to disk (fsync) and renamed over `path`; an
 *  existing file is never left half-written.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_IO, CPAE_E_NOMEM. Since 0.1. */
CPAE_API int32_t cpae_model_save(const cpae_model *model, const char *path);

/** Exact size in bytes of the serialized model.
 *  @return CPAE_OK, CPAE_E_NULL. Since 0.1. */
CPAE_API int32_t cpae_model_save_size(const cpae_model *model, int64_t *n);

/** Serialize into buf (capacity cap); *written receives the size.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_BUFFER_TOO_SMALL. Since 0.1. */
CPAE_API int32_t cpae_model_save_to_buffer(const cpae_model *model,
    uint8_t *buf, int64_t cap, int64_t *written);

/** Serialize through a write callback (in one or more calls).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_CALLBACK, CPAE_E_NOMEM. Since 0.1. */
CPAE_API int32_t cpae_model_save_to_callback(const cpae_model *model,
    cpae_write_fn write, void *user_data);

/** Load a model from a file.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_IO, CPAE_E_FORMAT, CPAE_E_VERSION,
 *          CPAE_E_LIMIT, CPAE_E_NONFINITE, CPAE_E_NOMEM. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_load(const char *path,
    cpae_model **out);

/** Load a model from n bytes in memory (the buffer is only read).
 *  @return as cpae_model_load, without CPAE_E_IO. Since 0.1. */
CPAE_API CPAE_NODISCARD int32_t cpae_model_load_from_buffer(
    const uint8_t *buf, int64_t n, cpae_model **out);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* CPAE_H_6F1C2B9E4A */
