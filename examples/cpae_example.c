/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* cpae_example.c -- the smallest complete libcpae program.
 *
 * Builds a mirrored ReLU autoencoder (4 -> 8 -> 2 -> 8 -> 4), takes one
 * point x, and prints its autoencoder region code and the exact affine maps
 * of that region:
 *
 *     E(x) = A^E x + B^E,   D(z) = A^D z + B^D,
 *     D(E(x)) = A x + B  with  A = A^D A^E,  B = A^D B^E + B^D.
 *
 * It then checks that the composite map reproduces D(E(x)) at x and exits 1
 * if the relative error (max-norm) exceeds 1e-5. No libm needed: the
 * pkg-config flags alone link it.
 *
 * Build against an installed libcpae:
 *     cc -std=c11 -Wall -Wextra -Wpedantic -Werror cpae_example.c \
 *        $(pkg-config --cflags --libs cpae)
 * or, in the source tree, `make examples` (binary in build/examples/).
 *
 * Usage: cpae_example [-h]   (no arguments; exit status 2 on a bad command
 * line or a library error, 1 if the check fails)
 */
#include <cpae.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define D 4 /* input width d */
#define H 2 /* bottleneck width h */

/* Stop with the status text and this thread's detail message. */
#define CHECK(call)                                                          \
    do {                                                                     \
        int32_t st_ = (call);                                                \
        if (st_ != CPAE_OK) {                                                \
            fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__,         \
                    __LINE__, #call, cpae_status_string(st_),                \
                    cpae_last_error());                                      \
            exit(2);                                                         \
        }                                                                    \
    } while (0)

static double absd(double v) { return v < 0.0 ? -v : v; }

static void print_matrix(const char *name, const double *a, int rows, int cols)
{
    printf("%s (%d x %d):\n", name, rows, cols);
    for (int i = 0; i < rows; i++) {
        printf("   ");
        for (int j = 0; j < cols; j++)
            printf(" %10.6f", a[i * cols + j]);
        printf("\n");
    }
}

static void get_map(const cpae_affine *map, double *a, int64_t a_cap,
                    double *b, int64_t b_cap)
{
    CHECK(cpae_affine_get_slope_f64(map, a, a_cap));
    CHECK(cpae_affine_get_offset_f64(map, b, b_cap));
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: cpae_example [-h]\n"
               "Prints the region code and the exact affine maps of one point of a\n"
               "small ReLU autoencoder and checks D(E(x)) = A x + B (exit 1 if not).\n"
               "  -h, --help   this text\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c;
    opterr = 0; /* our own messages, and exit status 2 */
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (optopt)
            fprintf(stderr, "cpae_example: unknown option -%c\n", optopt);
        else
            fprintf(stderr, "cpae_example: unknown option %s\n", argv[optind - 1]);
        usage(stderr);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "cpae_example: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    if (cpae_version_number() != CPAE_VERSION_NUMBER) {
        fprintf(stderr, "header %s but library %s\n", CPAE_VERSION_STRING,
                cpae_version_string());
        return 1;
    }
    printf("libcpae %s\n", cpae_version_string());

    /* Encoder 4 -> 8 (ReLU) -> 2 (identity), decoder 2 -> 8 (ReLU) -> 4
     * (identity); He-uniform weights from seed 7, zero biases. */
    const int64_t widths[] = {D, 8, H};
    cpae_model *model = NULL;
    CHECK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 7, &model));

    /* Small non-zero biases make the offsets B^E, B^D interesting. */
    const float b_enc[8] = {0.1f, -0.2f, 0.05f, 0.3f, -0.1f, 0.2f, 0.0f, -0.05f};
    const float b_dec[8] = {-0.1f, 0.15f, 0.2f, -0.3f, 0.05f, 0.1f, -0.2f, 0.25f};
    CHECK(cpae_model_set_layer_params(model, CPAE_ENCODER, 0, NULL, 0, b_enc, 8));
    CHECK(cpae_model_set_layer_params(model, CPAE_DECODER, 0, NULL, 0, b_dec, 8));

    const float x[D] = {0.5f, -1.0f, 0.25f, 2.0f};
    printf("x = (%g, %g, %g, %g)\n", x[0], x[1], x[2], x[3]);

    /* Region code: encoder bits at x, then decoder bits at E(x). */
    cpae_code *code = NULL;
    CHECK(cpae_code_create(model, CPAE_AUTOENCODER, &code));
    CHECK(cpae_model_code(model, CPAE_AUTOENCODER, x, D, code));
    int64_t n_bits = 0, n_written = 0;
    uint8_t bytes[16];
    CHECK(cpae_code_info(code, &n_bits, NULL));
    CHECK(cpae_code_to_bytes(code, bytes, (int64_t)sizeof bytes, &n_written));
    printf("region code: %lld bits, bytes (hex):", (long long)n_bits);
    for (int64_t i = 0; i < n_written; i++)
        printf(" %02x", bytes[i]);
    printf("\nbits (bit 0 first; encoder | decoder): ");
    for (int64_t k = 0; k < n_bits; k++) {
        int32_t bit = 0;
        CHECK(cpae_code_bit(code, k, &bit));
        printf("%s%d", k == n_bits / 2 ? " | " : "", (int)bit);
    }
    printf("\n");

    /* The three maps of the region of x in one call. */
    cpae_affine *enc = NULL, *dec = NULL, *ae = NULL;
    CHECK(cpae_affine_create(model, CPAE_ENCODER, &enc));
    CHECK(cpae_affine_create(model, CPAE_DECODER, &dec));
    CHECK(cpae_affine_create(model, CPAE_AUTOENCODER, &ae));
    CHECK(cpae_model_region_maps(model, x, D, enc, dec, ae));

    double enc_a[H * D], enc_b[H], dec_a[D * H], dec_b[D], a[D * D], b[D];
    get_map(enc, enc_a, H * D, enc_b, H);
    get_map(dec, dec_a, D * H, dec_b, D);
    get_map(ae, a, D * D, b, D);
    print_matrix("A^E", enc_a, H, D);
    print_matrix("B^E", enc_b, H, 1);
    print_matrix("A^D", dec_a, D, H);
    print_matrix("B^D", dec_b, D, 1);
    print_matrix("A = A^D A^E", a, D, D);
    print_matrix("B = A^D B^E + B^D", b, D, 1);

    /* D(E(x)) from the network against A x + B from the region's map. */
    float y[D];
    CHECK(cpae_model_reconstruct(model, x, 1, D, y, D));
    double err = 0.0, scale = 0.0;
    printf("D(E(x))  vs  A x + B:\n");
    for (int i = 0; i < D; i++) {
        double ymap = b[i];
        for (int j = 0; j < D; j++)
            ymap += a[i * D + j] * (double)x[j];
        printf("    %10.6f  %10.6f\n", (double)y[i], ymap);
        if (absd(ymap - (double)y[i]) > err)
            err = absd(ymap - (double)y[i]);
        if (absd((double)y[i]) > scale)
            scale = absd((double)y[i]);
    }
    /* max |A x + B - D(E(x))| / max |D(E(x))| (absolute when D(E(x)) = 0) */
    double rel = scale > 0.0 ? err / scale : err;
    printf("relative error %.3e (%s)\n", rel, rel <= 1e-5 ? "ok" : "TOO LARGE");

    cpae_affine_destroy(ae);
    cpae_affine_destroy(dec);
    cpae_affine_destroy(enc);
    cpae_code_destroy(code);
    cpae_model_destroy(model);
    return rel <= 1e-5 ? 0 : 1;
}
