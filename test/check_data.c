/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_data.c -- data sets: loaders, wrapping, splitting, normalisation
 * (docs/data.md). Public API only.
 *
 * Real files come from ../shared/data (relative to the repository root,
 * where the tests run); without that folder those tests print SKIP and
 * pass. They are checked against an independent reading of the files with
 * zlib and strtod here. Malformed files are generated at test time into a
 * mkdtemp directory, plain and gzipped. CPAE_SKIP_BIG=1 skips the MNIST
 * test (slow under valgrind). */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define DATA_DIR "../shared/data"

/* ------------------------------------------------------- temp directory */

static char tmpdir[64];
static char pathbuf[8][512];
static int pathslot;

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/cpae_check_data_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
}

/* Path of name in the temp directory (a few rotating static buffers). */
static const char *tpath(const char *name)
{
    char *p = pathbuf[pathslot++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static const char *write_bytes(const char *name, const void *data, size_t n)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    if (n > 0)
        ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    return write_bytes(name, text, strlen(text));
}

/* gzip-compressed with zlib's gzopen/gzwrite. */
static const char *write_gz(const char *name, const void *data, size_t n)
{
    const char *p = tpath(name);
    gzFile g = gzopen(p, "wb9");
    ck_assert_ptr_nonnull(g);
    if (n > 0)
        ck_assert_int_eq(gzwrite(g, data, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
    return p;
}

static const char *write_gz_text(const char *name, const char *text)
{
    return write_gz(name, text, strlen(text));
}

/* Cut the last `cut` bytes of a file. */
static void chop(const char *path, long cut)
{
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_gt(sb.st_size, cut);
    ck_assert_int_eq(truncate(path, sb.st_size - cut), 0);
}

/* ------------------------------------------------------------- asserts */

static cpae_dataset *SENTINEL(void)
{
    static int dummy;
    return (cpae_dataset *)(void *)&dummy;
}

/* The load fails with `status`; the message names the function, the file
 * and every non-NULL fragment; *out is left alone. */
static void expect_fail(int32_t got, cpae_dataset *out, int32_t status,
                        const char *path, const char *f1, const char *f2)
{
    const char *m = cpae_last_error();
    ck_assert_msg(got == status, "status %d (%s), expected %d: %s", (int)got,
                  cpae_status_string(got), (int)status, m);
    ck_assert_msg(strncmp(m, "cpae_dataset_load", 17) == 0, "message '%s'", m);
    if (path)
        ck_assert_msg(strstr(m, path) != NULL, "message '%s' lacks '%s'", m, path);
    if (f1)
        ck_assert_msg(strstr(m, f1) != NULL, "message '%s' lacks '%s'", m, f1);
    if (f2)
        ck_assert_msg(strstr(m, f2) != NULL, "message '%s' lacks '%s'", m, f2);
    ck_assert_ptr_eq(out, SENTINEL());
}

/* Load path with format; expect failure as for expect_fail. */
static void load_fails(const char *path, int32_t format, int32_t status,
                       const char *f1, const char *f2)
{
    cpae_dataset *ds = SENTINEL();
    int32_t st = cpae_dataset_load(path, format, &ds);
    expect_fail(st, ds, status, path, f1, f2);
}

/* "path:line" and "path:line:col" fragments. */
static const char *at(const char *path, int line, int col)
{
    static char b[4][600];
    static int k;
    char *p = b[k++ % 4];
    if (col > 0)
        snprintf(p, 600, "%s:%d:%d:", path, line, col);
    else
        snprintf(p, 600, "%s:%d:", path, line);
    return p;
}

static cpae_dataset *load_ok(const char *path, int32_t format, int64_t n,
                             int64_t d, int32_t has_labels)
{
    cpae_dataset *ds = NULL;
    CK_OK(cpae_dataset_load(path, format, &ds));
    ck_assert_str_eq(cpae_last_error(), "");
    int64_t gn, gd;
    int32_t hl;
    CK_OK(cpae_dataset_info(ds, &gn, &gd, &hl));
    ck_assert_int_eq(gn, n);
    ck_assert_int_eq(gd, d);
    ck_assert_int_eq(hl, has_labels);
    return ds;
}

static const float *data_of(const cpae_dataset *ds)
{
    const float *x = NULL;
    CK_OK(cpae_dataset_data(ds, &x));
    ck_assert_ptr_nonnull(x);
    return x;
}

static void expect_values(const cpae_dataset *ds, const float *want, int64_t k)
{
    const float *x = data_of(ds);
    for (int64_t i = 0; i < k; i++)
        ck_assert_msg(x[i] == want[i], "value %lld is %.9g, expected %.9g",
                      (long long)i, (double)x[i], (double)want[i]);
}

static void expect_labels(const cpae_dataset *ds, const int32_t *want, int64_t n)
{
    int32_t got[64];
    ck_assert_int_le(n, 64);
    CK_OK(cpae_dataset_labels(ds, got, 64));
    for (int64_t i = 0; i < n; i++)
        ck_assert_int_eq(got[i], want[i]);
}

/* --------------------------------------------- independent UCR reading */

static bool have_data(void)
{
    if (access(DATA_DIR, R_OK) == 0)
        return true;
    printf("SKIP: %s is absent; real-data tests skipped\n", DATA_DIR);
    return false;
}

struct ref {
    int64_t n, d;
    float *x;
    int32_t *labels;
};

/* Read a UCR .tsv.gz with gzgets/strtok_r/strtod, independently of the
 * library. */
static struct ref ref_read_ucr(const char *path)
{
    struct ref r = {0, 0, NULL, NULL};
    gzFile g = gzopen(path, "rb");
    ck_assert_ptr_nonnull(g);
    size_t cap_line = 1 << 20;
    char *line = malloc(cap_line);
    float *row = malloc(100000 * sizeof(float));
    int64_t cap = 0;
    ck_assert(line && row);
    while (gzgets(g, line, (int)cap_line)) {
        ck_assert_ptr_nonnull(strchr(line, '\n')); /* the line fitted */
        char *save = NULL, *tok = strtok_r(line, "\t\r\n", &save);
        if (!tok)
            continue;
        int32_t label = (int32_t)strtod(tok, NULL);
        int64_t k = 0;
        while ((tok = strtok_r(NULL, "\t\r\n", &save)) && k < 100000)
            row[k++] = (float)strtod(tok, NULL);
        if (r.n == 0)
            r.d = k;
        ck_assert_int_eq(k, r.d);
        if (r.n == cap) {
            cap = cap ? 2 * cap : 64;
            r.labels = realloc(r.labels, (size_t)cap * sizeof(int32_t));
            r.x = realloc(r.x, (size_t)(cap * r.d) * sizeof(float));
            ck_assert(r.labels && r.x);
        }
        r.labels[r.n] = label;
        memcpy(r.x + r.n * r.d, row, (size_t)r.d * sizeof(float));
        r.n++;
    }
    ck_assert_int_eq(gzclose(g), Z_OK);
    free(line);
    free(row);
    return r;
}

static void ref_free(struct ref *r)
{
    free(r->x);
    free(r->labels);
}

/* Load a real UCR file and compare it with the independent reading. */
static void check_ucr_file(const char *rel, int64_t n, int64_t d, int n_classes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DATA_DIR, rel);
    struct ref r = ref_read_ucr(path);
    ck_assert_int_eq(r.n, n);
    ck_assert_int_eq(r.d, d);
    cpae_dataset *ds = load_ok(path, CPAE_FORMAT_AUTO, n, d, 1);
    const float *x = data_of(ds);
    int64_t bad = -1;
    for (int64_t i = 0; i < n * d && bad < 0; i++)
        if (x[i] != r.x[i])
            bad = i;
    ck_assert_msg(bad < 0, "%s: value %lld is %.9g, expected %.9g", rel,
                  (long long)bad, (double)x[bad < 0 ? 0 : bad], (double)r.x[bad < 0 ? 0 : bad]);
    int32_t *lab = malloc((size_t)n * sizeof(int32_t));
    ck_assert_ptr_nonnull(lab);
    CK_ERR(cpae_dataset_labels(ds, lab, n - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_OK(cpae_dataset_labels(ds, lab, n));
    int counts[2][64] = {{0}};
    for (int64_t i = 0; i < n; i++) {
        ck_assert_int_eq(lab[i], r.labels[i]);
        ck_assert(lab[i] >= 0 && lab[i] < 64);
        counts[0][lab[i]]++;
        counts[1][r.labels[i]]++;
    }
    int classes = 0;
    for (int c = 0; c < 64; c++) {
        ck_assert_int_eq(counts[0][c], counts[1][c]);
        classes += counts[0][c] > 0;
    }
    ck_assert_int_eq(classes, n_classes);
    /* The same file through an explicit format gives the same data. */
    cpae_dataset *ds2 = load_ok(path, CPAE_FORMAT_UCR, n, d, 1);
    ck_assert_int_eq(memcmp(data_of(ds2), x, (size_t)(n * d) * sizeof(float)), 0);
    cpae_dataset_destroy(ds2);
    cpae_dataset_destroy(ds);
    free(lab);
    ref_free(&r);
}

/* ------------------------------------------------------------ real data */

START_TEST(test_real_cbf)
{
    if (!have_data())
        return;
    check_ucr_file("ucr/CBF/CBF_TRAIN.tsv.gz", 30, 128, 3);
    /* Row 0 by hand: label 1, first value -0.46427649 (zcat | head -1). */
    cpae_dataset *ds = load_ok(DATA_DIR "/ucr/CBF/CBF_TRAIN.tsv.gz",
                               CPAE_FORMAT_AUTO, 30, 128, 1);
    ck_assert(data_of(ds)[0] == (float)-0.46427649);
    int32_t lab[30];
    int counts[4] = {0};
    CK_OK(cpae_dataset_labels(ds, lab, 30));
    ck_assert_int_eq(lab[0], 1);
    for (int i = 0; i < 30; i++) {
        ck_assert(lab[i] >= 1 && lab[i] <= 3);
        counts[lab[i]]++;
    }
    ck_assert_int_eq(counts[1], 10);
    ck_assert_int_eq(counts[2], 12);
    ck_assert_int_eq(counts[3], 8);
    cpae_dataset_destroy(ds);
}
END_TEST

START_TEST(test_real_wine_synthetic)
{
    if (!have_data())
        return;
    check_ucr_file("ucr/Wine/Wine_TRAIN.tsv.gz", 57, 234, 2);
    check_ucr_file("ucr/SyntheticControl/SyntheticControl_TRAIN.tsv.gz", 300, 60, 6);
}
END_TEST

/* A real workflow: split, fit on the training part, apply to both. */
START_TEST(test_real_pipeline)
{
    if (!have_data())
        return;
    cpae_dataset *ds = load_ok(DATA_DIR "/ucr/SyntheticControl/SyntheticControl_TRAIN.tsv.gz",
                               CPAE_FORMAT_AUTO, 300, 60, 1);
    cpae_dataset *tr = NULL, *va = NULL;
    CK_OK(cpae_dataset_split(ds, 0.2, 42, &tr, &va));
    int64_t ntr, nva;
    CK_OK(cpae_dataset_info(tr, &ntr, NULL, NULL));
    CK_OK(cpae_dataset_info(va, &nva, NULL, NULL));
    ck_assert_int_eq(ntr, 240);
    ck_assert_int_eq(nva, 60);
    cpae_normalizer *nz = NULL;
    CK_OK(cpae_normalizer_fit(tr, CPAE_NORM_FEATURE_Z, &nz));
    CK_OK(cpae_normalizer_apply(nz, tr));
    CK_OK(cpae_normalizer_apply(nz, va));
    const float *x = data_of(tr);
    for (int64_t j = 0; j < 60; j++) {
        double s = 0.0, s2 = 0.0;
        for (int64_t i = 0; i < ntr; i++) {
            s += x[i * 60 + j];
            s2 += (double)x[i * 60 + j] * x[i * 60 + j];
        }
        ck_assert_double_eq_tol(s / (double)ntr, 0.0, 1e-5);
        ck_assert_double_eq_tol(s2 / (double)ntr, 1.0, 1e-4);
    }
    cpae_normalizer_destroy(nz);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(va);
    cpae_dataset_destroy(ds);
}
END_TEST

START_TEST(test_real_mnist)
{
    if (!have_data())
        return;
    const char *big = getenv("CPAE_SKIP_BIG");
    if (big && strcmp(big, "0") != 0) {
        printf("SKIP: MNIST test (CPAE_SKIP_BIG is set)\n");
        return;
    }
    const char *ip = DATA_DIR "/mnist/t10k-images-idx3-ubyte.gz";
    const char *lp = DATA_DIR "/mnist/t10k-labels-idx1-ubyte.gz";
    cpae_dataset *ds = NULL;
    CK_OK(cpae_dataset_load_idx(ip, lp, &ds));
    int64_t n, d;
    int32_t hl;
    CK_OK(cpae_dataset_info(ds, &n, &d, &hl));
    ck_assert_int_eq(n, 10000);
    ck_assert_int_eq(d, 784);
    ck_assert_int_eq(hl, 1);
    int32_t *lab = malloc(10000 * sizeof(int32_t));
    ck_assert_ptr_nonnull(lab);
    CK_OK(cpae_dataset_labels(ds, lab, 10000));
    const int want[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int counts[10] = {0};
    for (int i = 0; i < 10000; i++) {
        ck_assert(lab[i] >= 0 && lab[i] <= 9);
        counts[lab[i]]++;
    }
    for (int c = 0; c < 10; c++)
        ck_assert_int_eq(counts[c], want[c]);
    /* Independent reading of the raw bytes: header and every pixel. */
    gzFile g = gzopen(ip, "rb");
    ck_assert_ptr_nonnull(g);
    uint8_t head[16];
    ck_assert_int_eq(gzread(g, head, 16), 16);
    ck_assert_int_eq(head[2], 0x08);
    ck_assert_int_eq(head[3], 3);
    uint8_t *raw = malloc(10000 * 784);
    ck_assert_ptr_nonnull(raw);
    ck_assert_int_eq(gzread(g, raw, 10000 * 784), 10000 * 784);
    ck_assert_int_eq(gzclose(g), Z_OK);
    const float *x = data_of(ds);
    int64_t bad = 0;
    for (int64_t i = 0; i < 10000 * 784; i++)
        bad += x[i] != (float)raw[i];
    ck_assert_int_eq(bad, 0);
    g = gzopen(lp, "rb");
    ck_assert_ptr_nonnull(g);
    uint8_t *rawl = malloc(10000);
    ck_assert_ptr_nonnull(rawl);
    ck_assert_int_eq(gzread(g, head, 8), 8);
    ck_assert_int_eq(head[3], 1);
    ck_assert_int_eq(gzread(g, rawl, 10000), 10000);
    ck_assert_int_eq(gzclose(g), Z_OK);
    bad = 0;
    for (int i = 0; i < 10000; i++)
        bad += lab[i] != rawl[i];
    ck_assert_int_eq(bad, 0);
    free(rawl);
    cpae_dataset_destroy(ds);
    /* AUTO recognises the images file by its name (no labels). */
    ds = load_ok(ip, CPAE_FORMAT_AUTO, 10000, 784, 0);
    x = data_of(ds);
    bad = 0;
    for (int64_t i = 0; i < 10000 * 784; i++)
        bad += x[i] != (float)raw[i];
    ck_assert_int_eq(bad, 0);
    cpae_dataset_destroy(ds);
    free(raw);
    free(lab);
}
END_TEST

/* ------------------------------------------------------ text: good files */

START_TEST(test_ucr_tab_plain_and_gz)
{
    const char *text = "1\t0.5\t-0.25\t3\n2\t1e-3\t+4\t-5.5\n-1\t0\t0\t0\n";
    const float want[] = {0.5f, -0.25f, 3, 1e-3f, 4, -5.5f, 0, 0, 0};
    const int32_t labels[] = {1, 2, -1};
    const char *paths[2] = {write_text("a.tsv", text), write_gz_text("a.tsv.gz", text)};
    for (int k = 0; k < 2; k++) {
        cpae_dataset *ds = load_ok(paths[k], CPAE_FORMAT_AUTO, 3, 3, 1);
        expect_values(ds, want, 9);
        expect_labels(ds, labels, 3);
        cpae_dataset_destroy(ds);
    }
}
END_TEST

START_TEST(test_ucr_comma_and_space)
{
    /* Older UCR files: comma separated, or runs of spaces with labels
     * written as floating-point numbers. */
    const char *comma = "1,0.5,0.25\n2, 1.5 ,-2\n";
    cpae_dataset *ds = load_ok(write_text("old_comma", comma), CPAE_FORMAT_UCR, 2, 2, 1);
    const float w1[] = {0.5f, 0.25f, 1.5f, -2};
    const int32_t l1[] = {1, 2};
    expect_values(ds, w1, 4);
    expect_labels(ds, l1, 2);
    cpae_dataset_destroy(ds);

    const char *space = "  1.0000000e+00  -1.5000000e-01   2.5000000e+00\n"
                        " -1.0000000e+00   3.0000000e+00   4\n"
                        "   2   5  6   \n";
    const float w2[] = {-0.15f, 2.5f, 3, 4, 5, 6};
    const int32_t l2[] = {1, -1, 2};
    const char *paths[2] = {write_text("old_space", space),
                            write_gz_text("old_space.gz", space)};
    for (int k = 0; k < 2; k++) {
        ds = load_ok(paths[k], CPAE_FORMAT_AUTO, 3, 2, 1);
        expect_values(ds, w2, 6);
        expect_labels(ds, l2, 3);
        cpae_dataset_destroy(ds);
    }
    /* Earthquakes-style 0/1 labels. */
    ds = load_ok(write_text("eq.tsv", "0\t1\t2\n1\t3\t4\n"), CPAE_FORMAT_AUTO, 2, 2, 1);
    const int32_t l3[] = {0, 1};
    expect_labels(ds, l3, 2);
    cpae_dataset_destroy(ds);
}
END_TEST

START_TEST(test_crlf_and_trailing_blank_lines)
{
    const char *text = "1\t0.5\t0.25\r\n2\t1\t2\r\n\r\n  \r\n\n";
    const float want[] = {0.5f, 0.25f, 1, 2};
    const char *paths[2] = {write_text("crlf.tsv", text), write_gz_text("crlf.tsv.gz", text)};
    for (int k = 0; k < 2; k++) {
        cpae_dataset *ds = load_ok(paths[k], CPAE_FORMAT_AUTO, 2, 2, 1);
        expect_values(ds, want, 4);
        cpae_dataset_destroy(ds);
    }
    /* No newline at the end of the last line. */
    cpae_dataset *ds = load_ok(write_text("nonl.tsv", "1\t2\n3\t4"), CPAE_FORMAT_AUTO, 2, 1, 1);
    const float w2[] = {2, 4};
    expect_values(ds, w2, 2);
    cpae_dataset_destroy(ds);
}
END_TEST

START_TEST(test_csv)
{
    const char *text = "a,b,c\n1,2,3\n 4 , 5 ,6\n";
    const float want[] = {1, 2, 3, 4, 5, 6};
    const char *paths[2] = {write_text("h.csv", text), write_gz_text("h.csv.gz", text)};
    for (int k = 0; k < 2; k++) {
        cpae_dataset *ds = load_ok(paths[k], CPAE_FORMAT_CSV_HEADER, 2, 3, 0);
        expect_values(ds, want, 6);
        int32_t l[2];
        CK_ERR(cpae_dataset_labels(ds, l, 2), CPAE_E_INVALID);
        cpae_dataset_destroy(ds);
    }
    /* A quoted header name may contain a comma. */
    cpae_dataset *ds = load_ok(write_text("q.csv", "\"x, first\",y\n1,2\n"),
                               CPAE_FORMAT_CSV_HEADER, 1, 2, 0);
    cpae_dataset_destroy(ds);
    /* AUTO: .csv and .csv.gz are CSV without labels (first column is data). */
    const char *plain = "1,2\n3,4\n";
    ds = load_ok(write_text("p.csv", plain), CPAE_FORMAT_AUTO, 2, 2, 0);
    const float w2[] = {1, 2, 3, 4};
    expect_values(ds, w2, 4);
    cpae_dataset_destroy(ds);
    ds = load_ok(write_gz_text("p2.CSV.gz", plain), CPAE_FORMAT_AUTO, 2, 2, 0);
    expect_values(ds, w2, 4);
    cpae_dataset_destroy(ds);
    /* The same file as UCR: first column is the label. */
    ds = load_ok(tpath("p.csv"), CPAE_FORMAT_UCR, 2, 1, 1);
    cpae_dataset_destroy(ds);
    /* CSV is comma only: a tab-separated line is one non-numeric field. */
    const char *t = write_text("tab.csv", "1\t2\n");
    load_fails(t, CPAE_FORMAT_CSV, CPAE_E_FORMAT, at(t, 1, 1), "not a number: '1?2'");
    /* Header width must match the data. */
    const char *hw = write_text("hw.csv", "a,b,c\n1,2\n");
    load_fails(hw, CPAE_FORMAT_CSV_HEADER, CPAE_E_FORMAT, at(hw, 1, 0),
               "the header has 3 fields");
    const char *ho = write_text("ho.csv", "a,b\n");
    load_fails(ho, CPAE_FORMAT_CSV_HEADER, CPAE_E_FORMAT, "no data", "header");
}
END_TEST

/* A row longer than the 64 KiB read chunk, plain and gzipped. */
START_TEST(test_long_rows)
{
    const int d = 20000, n = 3;
    size_t cap = (size_t)n * d * 16 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < n; i++) {
        len += (size_t)sprintf(text + len, "%d", i + 1);
        for (int j = 0; j < d; j++)
            len += (size_t)sprintf(text + len, "\t%.6f", (i * d + j) * 0.001 - 3);
        text[len++] = '\n';
    }
    text[len] = '\0';
    const char *paths[2] = {write_text("long.tsv", text), write_gz_text("long.tsv.gz", text)};
    for (int k = 0; k < 2; k++) {
        cpae_dataset *ds = load_ok(paths[k], CPAE_FORMAT_AUTO, n, d, 1);
        const float *x = data_of(ds);
        int bad = 0;
        for (int i = 0; i < n * d; i++) {
            char b[32];
            snprintf(b, sizeof b, "%.6f", i * 0.001 - 3);
            bad += x[i] != (float)strtod(b, NULL);
        }
        ck_assert_int_eq(bad, 0);
        cpae_dataset_destroy(ds);
    }
    free(text);
}
END_TEST

/* ------------------------------------------------------- text: bad files */

START_TEST(test_not_a_number)
{
    const char *text = "1\t0.5\t0.25\n2\t0.5\tabc\n";
    const char *paths[2] = {write_text("nan1.tsv", text), write_gz_text("nan1.tsv.gz", text)};
    for (int k = 0; k < 2; k++)
        load_fails(paths[k], CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(paths[k], 2, 7),
                   "not a number: 'abc'");
    /* No silent partial parse: "1.5x" and "0.5.5" are refused. */
    const char *p = write_text("part.tsv", "1\t1.5x\t2\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 3), "'1.5x'");
    p = write_text("part2.tsv", "1\t2\n1\t0.5.5\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 2, 3), "'0.5.5'");
    /* Bad label. */
    p = write_text("lab.tsv", "x\t1\t2\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 1), "not a number: 'x'");
    p = write_text("lab2.tsv", "1\t1\n1.5\t1\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 2, 1), "not an integer");
    p = write_text("lab3.tsv", "3e10\t1\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 1), "int32");
    /* Empty field (two tabs), and a label without values. */
    p = write_text("empty.tsv", "1\t2\t3\n1\t\t3\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 2, 3), "empty field");
    p = write_text("only_label.tsv", "1\n2\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 0), "no values");
    /* A value beyond the float range. */
    p = write_text("big.tsv", "1\t1e39\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 3), "float range");
    p = write_text("huge.tsv", "1\t1e999\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 3), "out of range");
    /* A NUL byte: binary data in a text file. */
    p = write_bytes("nul.tsv", "1\t2\n1\t\0003\n", 9);
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 2, 3), "NUL");
    /* Space-separated file (detected from line 1) with a comma on line 2. */
    p = write_text("mixed", "1 2 3\n1 2,5 3\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 2, 3), "'2,5'");
}
END_TEST

START_TEST(test_ragged)
{
    const char *text = "1\t1\t2\t3\n2\t4\t5\t6\n3\t7\t8\n";
    const char *paths[2] = {write_text("rag.tsv", text), write_gz_text("rag.tsv.gz", text)};
    for (int k = 0; k < 2; k++)
        load_fails(paths[k], CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(paths[k], 3, 0),
                   "expected 3 values, found 2");
    const char *p = write_text("rag2.csv", "1,2\n3,4,5\n");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(p, 2, 0), "expected 2 values, found 3");
    /* A trailing separator is an empty field, not silently dropped. */
    p = write_text("trail.tsv", "1\t2\t3\t\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 7), "empty field");
}
END_TEST

START_TEST(test_nan_inf)
{
    const char *cases[][3] = {
        {"n.tsv", "1\t0.5\tnan\n", "NaN"},
        {"n2.tsv", "1\t0.5\t0.5\n2\t0.5\tNaN\n", "NaN"},
        {"i.tsv", "1\tinf\t0.5\n", "infinity"},
        {"i2.tsv", "1\t-Infinity\t0.5\n", "infinity"},
        {"i3.csv", "1,2,3\n4,5,-inf\n", "infinity"},
    };
    const int where[][2] = {{1, 7}, {2, 7}, {1, 3}, {1, 3}, {2, 5}};
    for (int c = 0; c < 5; c++) {
        const char *p = write_text(cases[c][0], cases[c][1]);
        load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(p, where[c][0], where[c][1]),
                   cases[c][2]);
        char gz[64];
        snprintf(gz, sizeof gz, "%s.gz", cases[c][0]);
        p = write_gz_text(gz, cases[c][1]);
        load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(p, where[c][0], where[c][1]),
                   cases[c][2]);
    }
    /* A NaN label too. */
    const char *p = write_text("nl.tsv", "nan\t1\n");
    load_fails(p, CPAE_FORMAT_UCR, CPAE_E_FORMAT, at(p, 1, 1), "NaN");
}
END_TEST

START_TEST(test_empty_and_blank)
{
    const char *p = write_text("empty.tsv", "");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "no data", NULL);
    p = write_gz("empty.tsv.gz", "", 0);
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "no data", NULL);
    p = write_text("ws.tsv", "  \n\t\n\r\n\n");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "no data", NULL);
    p = write_gz_text("ws.tsv.gz", "  \n\t\n\n");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "no data", NULL);
    p = write_text("ws.csv", "\n\n");
    load_fails(p, CPAE_FORMAT_CSV, CPAE_E_FORMAT, "no data", NULL);
    p = write_text("e.csv", "");
    load_fails(p, CPAE_FORMAT_CSV_HEADER, CPAE_E_FORMAT, "no data", NULL);
    /* A blank line inside the data would hide a missing row. */
    p = write_text("gap.tsv", "1\t2\n\n1\t3\n");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(p, 2, 0), "blank line");
    p = write_text("lead.tsv", "\n1\t3\n");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, at(p, 1, 0), "blank line");
}
END_TEST

START_TEST(test_io_errors)
{
    const char *p = tpath("does_not_exist.tsv");
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_IO, "No such file or directory", NULL);
    cpae_dataset *ds = SENTINEL();
    int32_t st = cpae_dataset_load_idx(p, NULL, &ds);
    ck_assert_int_eq(st, CPAE_E_IO);
    ck_assert_ptr_eq(ds, SENTINEL());
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), p));
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_dataset_load_idx"));
    /* A directory is not a data file. */
    load_fails(tmpdir, CPAE_FORMAT_UCR, CPAE_E_IO, "not a regular file", NULL);
}
END_TEST

START_TEST(test_truncated_gzip)
{
    /* Enough text that the deflate stream is longer than what is cut. */
    char text[8192];
    size_t len = 0;
    for (int i = 0; i < 200; i++)
        len += (size_t)sprintf(text + len, "%d\t%d.%d\t%d\n", i % 3 + 1, i, i * 7 % 10, -i);
    const char *p = write_gz("t.tsv.gz", text, len);
    cpae_dataset *ds = load_ok(p, CPAE_FORMAT_AUTO, 200, 2, 1);
    cpae_dataset_destroy(ds);
    chop(p, 10);
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "truncated gzip", NULL);
    /* Only the 8-byte trailer (CRC, size) damaged: still truncated. */
    p = write_gz("t2.tsv.gz", text, len);
    chop(p, 3);
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "truncated gzip", NULL);
    /* A corrupted CRC is caught too. */
    p = write_gz("t3.tsv.gz", text, len);
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, -8, SEEK_END), 0);
    int c = fgetc(f);
    ck_assert_int_eq(fseek(f, -8, SEEK_END), 0);
    fputc(c ^ 0xff, f);
    ck_assert_int_eq(fclose(f), 0);
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "gzip", NULL);
}
END_TEST

/* ------------------------------------------------------------------ IDX */

static size_t idx_header(uint8_t *b, uint8_t type, int ndims, const uint32_t *dims)
{
    b[0] = 0;
    b[1] = 0;
    b[2] = type;
    b[3] = (uint8_t)ndims;
    for (int i = 0; i < ndims; i++) {
        b[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        b[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        b[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        b[7 + 4 * i] = (uint8_t)dims[i];
    }
    return 4 + 4 * (size_t)ndims;
}

/* 3 images of 2 x 2 pixels and their labels, plain and gzipped. */
static void write_small_idx(const char *img, const char *lab, bool gz, int n_img,
                            int n_present, int n_lab)
{
    uint8_t b[256];
    uint32_t dims[3] = {(uint32_t)n_img, 2, 2};
    size_t k = idx_header(b, 0x08, 3, dims);
    for (int i = 0; i < 4 * n_present; i++)
        b[k++] = (uint8_t)(i * 20 + 3);
    if (gz)
        write_gz(img, b, k);
    else
        write_bytes(img, b, k);
    uint32_t ld = (uint32_t)n_lab;
    k = idx_header(b, 0x08, 1, &ld);
    for (int i = 0; i < n_lab; i++)
        b[k++] = (uint8_t)(9 - i);
    if (gz)
        write_gz(lab, b, k);
    else
        write_bytes(lab, b, k);
}

START_TEST(test_idx_small)
{
    for (int gz = 0; gz < 2; gz++) {
        const char *img = gz ? "s-images-idx3-ubyte.gz" : "s-images-idx3-ubyte";
        const char *lab = gz ? "s-labels-idx1-ubyte.gz" : "s-labels-idx1-ubyte";
        write_small_idx(img, lab, gz, 3, 3, 3);
        cpae_dataset *ds = NULL;
        CK_OK(cpae_dataset_load_idx(tpath(img), tpath(lab), &ds));
        int64_t n, d;
        int32_t hl;
        CK_OK(cpae_dataset_info(ds, &n, &d, &hl));
        ck_assert_int_eq(n, 3);
        ck_assert_int_eq(d, 4);
        ck_assert_int_eq(hl, 1);
        const float *x = data_of(ds);
        for (int i = 0; i < 12; i++)
            ck_assert(x[i] == (float)(i * 20 + 3));
        const int32_t wl[] = {9, 8, 7};
        expect_labels(ds, wl, 3);
        cpae_dataset_destroy(ds);
        /* Images only, and AUTO by name. */
        CK_OK(cpae_dataset_load_idx(tpath(img), NULL, &ds));
        CK_OK(cpae_dataset_info(ds, NULL, NULL, &hl));
        ck_assert_int_eq(hl, 0);
        cpae_dataset_destroy(ds);
        ds = load_ok(tpath(img), CPAE_FORMAT_AUTO, 3, 4, 0);
        cpae_dataset_destroy(ds);
        /* A labels file loaded as data: n x 1. */
        ds = load_ok(tpath(lab), CPAE_FORMAT_IDX, 3, 1, 0);
        const float w1[] = {9, 8, 7};
        expect_values(ds, w1, 3);
        cpae_dataset_destroy(ds);
    }
    /* Any number of dims: 2 x 3 x 2 x 1 -> 2 rows of 6; and 1 dim. */
    uint8_t b[64];
    uint32_t dims[4] = {2, 3, 2, 1};
    size_t k = idx_header(b, 0x08, 4, dims);
    for (int i = 0; i < 12; i++)
        b[k++] = (uint8_t)(255 - i);
    cpae_dataset *ds = load_ok(write_bytes("four.idx", b, k), CPAE_FORMAT_AUTO, 2, 6, 0);
    ck_assert(data_of(ds)[0] == 255.0f);
    ck_assert(data_of(ds)[11] == 244.0f);
    cpae_dataset_destroy(ds);
}
END_TEST

static void idx_fails(const char *images, const char *labels, int32_t status,
                      const char *name, const char *f1, const char *f2)
{
    cpae_dataset *ds = SENTINEL();
    int32_t st = cpae_dataset_load_idx(images, labels, &ds);
    expect_fail(st, ds, status, name, f1, f2);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_dataset_load_idx"));
}

START_TEST(test_idx_bad)
{
    uint8_t b[128];
    uint32_t dims[3] = {3, 2, 2};
    for (int gz = 0; gz < 2; gz++) {
        memset(b, 0, sizeof b);
        const char *(*w)(const char *, const void *, size_t) = gz ? write_gz : write_bytes;
        /* Wrong magic: text, and type byte 0x09 with non-zero lead bytes. */
        const char *p = w(gz ? "m.idx.gz" : "m.idx", "1\t2\t3\n", 6);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "magic", "0x3109");
        size_t k = idx_header(b, 0x08, 3, dims);
        b[1] = 0x01;
        p = w(gz ? "m2.idx.gz" : "m2.idx", b, k + 12);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "not an IDX file", "0x00010803");
        /* Unsupported element type (float). */
        memset(b, 0, sizeof b);
        k = idx_header(b, 0x0D, 3, dims);
        p = w(gz ? "f.idx.gz" : "f.idx", b, k + 48);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "0x0d", "not supported");
        /* More images declared than present: 3 declared, 2 present. */
        const char *img = gz ? "short-idx3-ubyte.gz" : "short-idx3-ubyte";
        const char *lab = gz ? "short-idx1-ubyte.gz" : "short-idx1-ubyte";
        write_small_idx(img, lab, gz, 3, 2, 3);
        idx_fails(tpath(img), tpath(lab), CPAE_E_FORMAT, tpath(img), "declares 12 bytes",
                  "8 are present");
        /* Label count mismatch. */
        img = gz ? "mm-idx3-ubyte.gz" : "mm-idx3-ubyte";
        lab = gz ? "mm-idx1-ubyte.gz" : "mm-idx1-ubyte";
        write_small_idx(img, lab, gz, 3, 3, 2);
        idx_fails(tpath(img), tpath(lab), CPAE_E_FORMAT, tpath(lab), "2 labels",
                  "3 images");
        /* A labels file with 3 dimensions. */
        idx_fails(tpath(img), tpath(img), CPAE_E_FORMAT, tpath(img), "1 dimension",
                  "has 3");
        /* A labels file that is truncated. */
        uint32_t ld = 3;
        k = idx_header(b, 0x08, 1, &ld);
        p = w(gz ? "lt-idx1.gz" : "lt-idx1", b, k + 1);
        idx_fails(tpath(img), p, CPAE_E_FORMAT, p, "declares 3 bytes", "1 are present");
        /* Bytes after the declared data. */
        k = idx_header(b, 0x08, 3, dims);
        p = w(gz ? "long.idx.gz" : "long.idx", b, k + 12 + 5);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "5 unexpected bytes", NULL);
        /* Truncated header: magic declares 3 dims, only 2 sizes present. */
        p = w(gz ? "th.idx.gz" : "th.idx", b, 4 + 8);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "truncated IDX header", NULL);
        p = w(gz ? "th2.idx.gz" : "th2.idx", b, 3);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "truncated IDX header", NULL);
        /* Zero dims, zero-sized dim, empty file. */
        uint8_t z[8] = {0, 0, 8, 0};
        p = w(gz ? "z.idx.gz" : "z.idx", z, 4);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "0 dimensions", NULL);
        uint32_t zd[2] = {0, 5};
        k = idx_header(b, 0x08, 2, zd);
        p = w(gz ? "zd.idx.gz" : "zd.idx", b, k);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "size 0", NULL);
        p = w(gz ? "e.idx.gz" : "e.idx", b, 0);
        idx_fails(p, NULL, CPAE_E_FORMAT, p, "no data", NULL);
    }
}
END_TEST

START_TEST(test_idx_absurd_sizes)
{
    uint8_t b[64];
    memset(b, 0, sizeof b);
    /* Beyond the limit: LIMIT before any allocation. */
    uint32_t huge[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    size_t k = idx_header(b, 0x08, 3, huge);
    const char *p = write_bytes("huge.idx", b, k + 4);
    idx_fails(p, NULL, CPAE_E_LIMIT, p, "4294967295 x 4294967295 x 4294967295", "limit");
    uint32_t big[3] = {200000, 300, 300}; /* 1.8e10 > 2^34 */
    k = idx_header(b, 0x08, 3, big);
    p = write_gz("big.idx.gz", b, k + 4);
    idx_fails(p, NULL, CPAE_E_LIMIT, p, "200000 x 300 x 300", NULL);
    /* Within the default cap (2^28 values) but only 5 bytes present: refused
     * as truncated without allocating 1 GiB (the buffer grows with the data
     * that arrives). */
    uint32_t lie[3] = {16384, 16384, 1};
    k = idx_header(b, 0x08, 3, lie);
    p = write_bytes("lie.idx", b, k + 5);
    idx_fails(p, NULL, CPAE_E_FORMAT, p, "declares 268435456 bytes", "5 are present");
    p = write_gz("lie.idx.gz", b, k + 5);
    idx_fails(p, NULL, CPAE_E_FORMAT, p, "declares 268435456 bytes", "5 are present");
    /* Truncated gzip in an IDX file. */
    uint8_t img[16 + 3000];
    uint32_t dims[3] = {30, 10, 10};
    k = idx_header(img, 0x08, 3, dims);
    for (int i = 0; i < 3000; i++)
        img[k + (size_t)i] = (uint8_t)(i * 37 % 251);
    p = write_gz("tr-idx3-ubyte.gz", img, k + 3000);
    cpae_dataset *ds = load_ok(p, CPAE_FORMAT_AUTO, 30, 100, 0);
    cpae_dataset_destroy(ds);
    chop(p, 10);
    load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "truncated gzip", NULL);
}
END_TEST

START_TEST(test_auto_names)
{
    const char *text = "1,2\n3,4\n";
    /* UCR names: label first. */
    const char *ucr[] = {"a.tsv", "a.txt", "a_TRAIN", "a.TSV.gz", "rapidxml.tsv"};
    for (int i = 0; i < 5; i++) {
        cpae_dataset *ds = load_ok(write_text(ucr[i], text), CPAE_FORMAT_AUTO, 2, 1, 1);
        cpae_dataset_destroy(ds);
    }
    const char *csv[] = {"b.csv", "b.CSV", "b.csv.gz"};
    for (int i = 0; i < 3; i++) {
        cpae_dataset *ds = load_ok(write_text(csv[i], text), CPAE_FORMAT_AUTO, 2, 2, 0);
        cpae_dataset_destroy(ds);
    }
    /* IDX names: text content then fails with the IDX magic message. */
    const char *idx[] = {"c-idx3-ubyte", "c.idx1-ubyte.gz", "c.idx", "c-ubyte"};
    for (int i = 0; i < 4; i++) {
        const char *p = write_text(idx[i], text);
        load_fails(p, CPAE_FORMAT_AUTO, CPAE_E_FORMAT, "not an IDX file", NULL);
    }
}
END_TEST

/* ------------------------------------------------- arguments and access */

START_TEST(test_arguments)
{
    cpae_dataset *ds = SENTINEL();
    const char *p = write_text("ok.tsv", "1\t2\n");
    CK_ERR(cpae_dataset_load(NULL, CPAE_FORMAT_AUTO, &ds), CPAE_E_NULL);
    CK_ERR(cpae_dataset_load(p, CPAE_FORMAT_AUTO, NULL), CPAE_E_NULL);
    CK_ERR(cpae_dataset_load(p, 5, &ds), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_load(p, -1, &ds), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_load_idx(NULL, NULL, &ds), CPAE_E_NULL);
    CK_ERR(cpae_dataset_load_idx(p, NULL, NULL), CPAE_E_NULL);
    ck_assert_ptr_eq(ds, SENTINEL());

    float x[6] = {1, 2, 3, 4, 5, 6};
    int32_t lab[3] = {7, 8, 9};
    CK_ERR(cpae_dataset_wrap(NULL, 3, 2, lab, &ds), CPAE_E_NULL);
    CK_ERR(cpae_dataset_wrap(x, 3, 2, lab, NULL), CPAE_E_NULL);
    CK_ERR(cpae_dataset_wrap(x, 0, 2, lab, &ds), CPAE_E_SIZE);
    CK_ERR(cpae_dataset_wrap(x, 3, 0, lab, &ds), CPAE_E_SIZE);
    CK_ERR(cpae_dataset_wrap(x, -3, 2, lab, &ds), CPAE_E_SIZE);
    CK_ERR(cpae_dataset_wrap(x, INT64_MAX / 2, 4, lab, &ds), CPAE_E_SIZE);
    x[4] = NAN;
    CK_ERR(cpae_dataset_wrap(x, 3, 2, lab, &ds), CPAE_E_NONFINITE);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "[4]"));
    x[4] = -INFINITY;
    CK_ERR(cpae_dataset_wrap(x, 3, 2, lab, &ds), CPAE_E_NONFINITE);
    x[4] = 5;
    ck_assert_ptr_eq(ds, SENTINEL());

    CK_OK(cpae_dataset_wrap(x, 3, 2, lab, &ds));
    ck_assert_str_eq(cpae_last_error(), "");
    int64_t n = 0, d = 0;
    int32_t hl = 0;
    CK_ERR(cpae_dataset_info(NULL, &n, &d, &hl), CPAE_E_NULL);
    CK_OK(cpae_dataset_info(ds, NULL, NULL, NULL));
    CK_OK(cpae_dataset_info(ds, &n, &d, &hl));
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(d, 2);
    ck_assert_int_eq(hl, 1);
    const float *px = NULL;
    CK_ERR(cpae_dataset_data(NULL, &px), CPAE_E_NULL);
    CK_ERR(cpae_dataset_data(ds, NULL), CPAE_E_NULL);
    CK_OK(cpae_dataset_data(ds, &px));
    ck_assert_ptr_eq(px, x); /* borrowed, not copied */
    int32_t got[3] = {0};
    CK_ERR(cpae_dataset_labels(NULL, got, 3), CPAE_E_NULL);
    CK_ERR(cpae_dataset_labels(ds, NULL, 3), CPAE_E_NULL);
    CK_ERR(cpae_dataset_labels(ds, got, 2), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_dataset_labels(ds, got, -1), CPAE_E_BUFFER_TOO_SMALL);
    CK_OK(cpae_dataset_labels(ds, got, 3));
    ck_assert_int_eq(got[2], 9);
    cpae_dataset_destroy(ds);

    CK_OK(cpae_dataset_wrap(x, 2, 3, NULL, &ds));
    CK_OK(cpae_dataset_info(ds, &n, &d, &hl));
    ck_assert_int_eq(hl, 0);
    CK_ERR(cpae_dataset_labels(ds, got, 3), CPAE_E_INVALID);

    cpae_normalizer *nz = (cpae_normalizer *)(void *)SENTINEL();
    CK_ERR(cpae_normalizer_fit(NULL, CPAE_NORM_FEATURE_Z, &nz), CPAE_E_NULL);
    CK_ERR(cpae_normalizer_fit(ds, CPAE_NORM_FEATURE_Z, NULL), CPAE_E_NULL);
    CK_ERR(cpae_normalizer_fit(ds, 4, &nz), CPAE_E_INVALID);
    CK_ERR(cpae_normalizer_fit(ds, -1, &nz), CPAE_E_INVALID);
    ck_assert_ptr_eq(nz, (cpae_normalizer *)(void *)SENTINEL());
    CK_OK(cpae_normalizer_fit(ds, CPAE_NORM_MINMAX, &nz));
    CK_ERR(cpae_normalizer_apply(NULL, ds), CPAE_E_NULL);
    CK_ERR(cpae_normalizer_apply(nz, NULL), CPAE_E_NULL);
    cpae_dataset *other = NULL;
    CK_OK(cpae_dataset_wrap(x, 3, 2, NULL, &other));
    CK_ERR(cpae_normalizer_apply(nz, other), CPAE_E_SIZE);
    ck_assert_ptr_eq(data_of(other), x); /* unchanged, still borrowed */
    cpae_normalizer_destroy(nz);
    cpae_dataset_destroy(other);

    cpae_dataset *tr = SENTINEL(), *va = SENTINEL();
    CK_ERR(cpae_dataset_split(NULL, 0.5, 1, &tr, &va), CPAE_E_NULL);
    CK_ERR(cpae_dataset_split(ds, 0.5, 1, NULL, &va), CPAE_E_NULL);
    CK_ERR(cpae_dataset_split(ds, 0.5, 1, &tr, NULL), CPAE_E_NULL);
    CK_ERR(cpae_dataset_split(ds, 0.5, 1, &tr, &tr), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_split(ds, 0.0, 1, &tr, &va), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_split(ds, 1.0, 1, &tr, &va), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_split(ds, -0.2, 1, &tr, &va), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_split(ds, NAN, 1, &tr, &va), CPAE_E_INVALID);
    CK_ERR(cpae_dataset_split(ds, INFINITY, 1, &tr, &va), CPAE_E_INVALID);
    cpae_dataset *one = NULL;
    CK_OK(cpae_dataset_wrap(x, 1, 6, NULL, &one));
    CK_ERR(cpae_dataset_split(one, 0.5, 1, &tr, &va), CPAE_E_SIZE);
    ck_assert_ptr_eq(tr, SENTINEL());
    ck_assert_ptr_eq(va, SENTINEL());
    cpae_dataset_destroy(one);
    cpae_dataset_destroy(ds);

    /* Destroy functions accept NULL. */
    cpae_dataset_destroy(NULL);
    cpae_normalizer_destroy(NULL);
}
END_TEST

/* ---------------------------------------------------------------- split */

/* xoshiro256** seeded by splitmix64, as the header documents. */
struct ref_rng {
    uint64_t s[4];
};
static uint64_t ref_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t ref_next(struct ref_rng *r)
{
    uint64_t *s = r->s, out = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return out;
}

/* Rows i have x[i*d] = i and label 100 + i. Returns the ids of the part. */
static void part_ids(const cpae_dataset *ds, int64_t d, int64_t *ids, int64_t *n)
{
    int32_t hl;
    CK_OK(cpae_dataset_info(ds, n, NULL, &hl));
    ck_assert_int_eq(hl, 1);
    const float *x = data_of(ds);
    int32_t lab[1000];
    ck_assert_int_le(*n, 1000);
    CK_OK(cpae_dataset_labels(ds, lab, 1000));
    for (int64_t i = 0; i < *n; i++) {
        ids[i] = (int64_t)x[i * d];
        for (int64_t j = 1; j < d; j++)
            ck_assert(x[i * d + j] == (float)(ids[i] * 10 + j));
        ck_assert_int_eq(lab[i], 100 + ids[i]); /* labels follow */
        if (i > 0)
            ck_assert_int_gt(ids[i], ids[i - 1]); /* original order */
    }
}

static cpae_dataset *numbered(int64_t n, int64_t d, float **x, int32_t **lab)
{
    *x = malloc((size_t)(n * d) * sizeof(float));
    *lab = malloc((size_t)n * sizeof(int32_t));
    ck_assert(*x && *lab);
    for (int64_t i = 0; i < n; i++) {
        (*x)[i * d] = (float)i;
        for (int64_t j = 1; j < d; j++)
            (*x)[i * d + j] = (float)(i * 10 + j);
        (*lab)[i] = (int32_t)(100 + i);
    }
    cpae_dataset *ds = NULL;
    CK_OK(cpae_dataset_wrap(*x, n, d, *lab, &ds));
    return ds;
}

START_TEST(test_split)
{
    const int64_t n = 101, d = 3;
    float *x;
    int32_t *lab;
    cpae_dataset *ds = numbered(n, d, &x, &lab);
    const double fracs[] = {0.3, 0.5, 0.001, 0.999, 0.2};
    const int64_t want_valid[] = {30, 51, 1, 100, 20}; /* round(f n), clamped */
    for (int c = 0; c < 5; c++) {
        for (uint64_t seed = 0; seed < 3; seed++) {
            cpae_dataset *tr = NULL, *va = NULL;
            CK_OK(cpae_dataset_split(ds, fracs[c], seed, &tr, &va));
            int64_t ti[1000], vi[1000], nt, nv;
            part_ids(tr, d, ti, &nt);
            part_ids(va, d, vi, &nv);
            ck_assert_int_eq(nv, want_valid[c]);
            ck_assert_int_eq(nt + nv, n);
            /* Disjoint and covering. */
            int seen[101] = {0};
            for (int64_t i = 0; i < nt; i++)
                seen[ti[i]]++;
            for (int64_t i = 0; i < nv; i++)
                seen[vi[i]]++;
            for (int64_t i = 0; i < n; i++)
                ck_assert_int_eq(seen[i], 1);
            /* Exactly the documented algorithm: Fisher-Yates with
             * next % (i + 1); the first n_valid indices are validation. */
            struct ref_rng r;
            uint64_t sx = seed;
            for (int k = 0; k < 4; k++)
                r.s[k] = ref_splitmix(&sx);
            int64_t idx[101];
            for (int64_t i = 0; i < n; i++)
                idx[i] = i;
            for (int64_t i = n - 1; i > 0; i--) {
                int64_t j = (int64_t)(ref_next(&r) % (uint64_t)(i + 1));
                int64_t t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
            int inv[101] = {0};
            for (int64_t i = 0; i < nv; i++)
                inv[idx[i]] = 1;
            for (int64_t i = 0; i < nv; i++)
                ck_assert_int_eq(inv[vi[i]], 1);
            /* Deterministic: the same seed gives the same parts. */
            cpae_dataset *tr2 = NULL, *va2 = NULL;
            CK_OK(cpae_dataset_split(ds, fracs[c], seed, &tr2, &va2));
            ck_assert_int_eq(memcmp(data_of(tr), data_of(tr2), (size_t)(nt * d) * sizeof(float)), 0);
            ck_assert_int_eq(memcmp(data_of(va), data_of(va2), (size_t)(nv * d) * sizeof(float)), 0);
            cpae_dataset_destroy(tr);
            cpae_dataset_destroy(va);
            cpae_dataset_destroy(tr2);
            cpae_dataset_destroy(va2);
        }
    }
    /* Different seeds give different parts. */
    cpae_dataset *a1, *a2, *b1, *b2;
    CK_OK(cpae_dataset_split(ds, 0.5, 1, &a1, &a2));
    CK_OK(cpae_dataset_split(ds, 0.5, 2, &b1, &b2));
    ck_assert_int_ne(memcmp(data_of(a2), data_of(b2), 51 * 3 * sizeof(float)), 0);
    cpae_dataset_destroy(a1);
    cpae_dataset_destroy(a2);
    cpae_dataset_destroy(b1);
    cpae_dataset_destroy(b2);
    /* n = 2: one each, whatever the fraction. */
    cpae_dataset *two = NULL, *tr, *va;
    CK_OK(cpae_dataset_wrap(x, 2, 3, lab, &two));
    CK_OK(cpae_dataset_split(two, 0.01, 5, &tr, &va));
    int64_t nt, nv;
    CK_OK(cpae_dataset_info(tr, &nt, NULL, NULL));
    CK_OK(cpae_dataset_info(va, &nv, NULL, NULL));
    ck_assert_int_eq(nt, 1);
    ck_assert_int_eq(nv, 1);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(va);
    /* Without labels the parts have none. */
    cpae_dataset *nl = NULL;
    CK_OK(cpae_dataset_wrap(x, 10, 3, NULL, &nl));
    CK_OK(cpae_dataset_split(nl, 0.3, 5, &tr, &va));
    int32_t hl;
    CK_OK(cpae_dataset_info(va, &nv, NULL, &hl));
    ck_assert_int_eq(nv, 3);
    ck_assert_int_eq(hl, 0);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(va);
    cpae_dataset_destroy(nl);
    cpae_dataset_destroy(two);
    /* The source is untouched. */
    for (int64_t i = 0; i < n; i++)
        ck_assert(x[i * d] == (float)i);
    cpae_dataset_destroy(ds);
    free(x);
    free(lab);
}
END_TEST

/* -------------------------------------------------------- normalisation */

static void column_stats(const float *x, int64_t n, int64_t d, int64_t j,
                         double *mean, double *sd, double *lo, double *hi)
{
    double s = 0.0, ss = 0.0;
    *lo = *hi = x[j];
    for (int64_t i = 0; i < n; i++) {
        double v = x[i * d + j];
        s += v;
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++)
        ss += (x[i * d + j] - *mean) * (x[i * d + j] - *mean);
    *sd = sqrt(ss / (double)n);
}

START_TEST(test_feature_z_uses_training_statistics)
{
    enum { N = 200, M = 150, D = 5 };
    static float train[N * D], test1[M * D], test2[M * D], train_copy[N * D];
    uint64_t s = 12345;
    for (int i = 0; i < N * D; i++)
        train[i] = (float)(5.0 + 2.0 * tu_uniform(&s) + (i % D));
    for (int i = 0; i < M * D; i++) {
        test1[i] = (float)(100.0 + 10.0 * tu_uniform(&s));
        test2[i] = (float)(-50.0 + 30.0 * tu_uniform(&s));
    }
    memcpy(train_copy, train, sizeof train);
    /* The statistics the test expects, computed here from train only. */
    double mean[D], sd[D], lo, hi;
    for (int j = 0; j < D; j++)
        column_stats(train, N, D, j, &mean[j], &sd[j], &lo, &hi);

    cpae_dataset *tr = NULL, *te1 = NULL, *te2 = NULL, *tr2 = NULL;
    CK_OK(cpae_dataset_wrap(train, N, D, NULL, &tr));
    CK_OK(cpae_dataset_wrap(test1, M, D, NULL, &te1));
    CK_OK(cpae_dataset_wrap(test2, M, D, NULL, &te2));
    cpae_normalizer *nz = NULL;
    CK_OK(cpae_normalizer_fit(tr, CPAE_NORM_FEATURE_Z, &nz));
    CK_OK(cpae_normalizer_apply(nz, tr));
    CK_OK(cpae_normalizer_apply(nz, te1));
    const float *y = data_of(tr), *t1 = data_of(te1);
    for (int j = 0; j < D; j++) {
        double m, sdv, a, b;
        column_stats(y, N, D, j, &m, &sdv, &a, &b);
        ck_assert_double_eq_tol(m, 0.0, 1e-6); /* training part: ~0 */
        ck_assert_double_eq_tol(sdv, 1.0, 1e-5);
        column_stats(t1, M, D, j, &m, &sdv, &a, &b);
        ck_assert_msg(fabs(m) > 10.0, "test mean %g should not be ~0", m);
        for (int i = 0; i < M; i++) /* exactly the train statistics */
            ck_assert_double_eq_tol(t1[i * D + j], (test1[i * D + j] - mean[j]) / sd[j], 1e-4);
    }
    /* Changing other data and applying the normalizer to it does not change
     * the fitted statistics: train gives the same output afterwards. */
    for (int i = 0; i < M * D; i++)
        test1[i] *= -3.0f;
    static float test1_mod[M * D];
    memcpy(test1_mod, test1, sizeof test1);
    CK_OK(cpae_normalizer_apply(nz, te2));
    cpae_dataset *te1b = NULL;
    CK_OK(cpae_dataset_wrap(test1, M, D, NULL, &te1b));
    CK_OK(cpae_normalizer_apply(nz, te1b));
    CK_OK(cpae_dataset_wrap(train_copy, N, D, NULL, &tr2));
    CK_OK(cpae_normalizer_apply(nz, tr2));
    ck_assert_int_eq(memcmp(data_of(tr2), data_of(tr), sizeof train), 0);
    /* Caller memory was never written (all four sets were wrapped). */
    ck_assert_int_eq(memcmp(train, train_copy, sizeof train), 0);
    ck_assert_int_eq(memcmp(test1, test1_mod, sizeof test1), 0);
    ck_assert_ptr_ne(data_of(te1b), test1);
    cpae_normalizer_destroy(nz);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(tr2);
    cpae_dataset_destroy(te1);
    cpae_dataset_destroy(te1b);
    cpae_dataset_destroy(te2);
}
END_TEST

START_TEST(test_wrap_apply_never_writes_caller)
{
    float x[12], keep[12];
    uint64_t s = 7;
    tu_fill(x, 12, 3.0, &s);
    memcpy(keep, x, sizeof x);
    for (int32_t kind = CPAE_NORM_NONE; kind <= CPAE_NORM_MINMAX; kind++) {
        cpae_dataset *ds = NULL;
        CK_OK(cpae_dataset_wrap(x, 4, 3, NULL, &ds));
        cpae_normalizer *nz = NULL;
        CK_OK(cpae_normalizer_fit(ds, kind, &nz));
        CK_OK(cpae_normalizer_apply(nz, ds));
        const float *y = data_of(ds);
        if (kind == CPAE_NORM_NONE)
            ck_assert_ptr_eq(y, x);
        else
            ck_assert_ptr_ne(y, x);
        /* Applying twice works on the library's own copy. */
        CK_OK(cpae_normalizer_apply(nz, ds));
        ck_assert_int_eq(memcmp(x, keep, sizeof x), 0);
        cpae_normalizer_destroy(nz);
        cpae_dataset_destroy(ds);
    }
}
END_TEST

START_TEST(test_series_z)
{
    enum { N = 6, D = 50 };
    float x[N * D];
    uint64_t s = 99;
    for (int i = 0; i < N * D; i++)
        x[i] = (float)(i / D * 10.0 + (1 + i / D) * tu_uniform(&s));
    for (int j = 0; j < D; j++)
        x[3 * D + j] = 4.25f; /* a constant row */
    cpae_dataset *ds = NULL, *other = NULL;
    CK_OK(cpae_dataset_wrap(x, N, D, NULL, &ds));
    cpae_normalizer *nz = NULL;
    CK_OK(cpae_normalizer_fit(ds, CPAE_NORM_SERIES_Z, &nz));
    CK_OK(cpae_normalizer_apply(nz, ds));
    const float *y = data_of(ds);
    for (int i = 0; i < N; i++) {
        double m = 0.0, ss = 0.0;
        for (int j = 0; j < D; j++)
            m += y[i * D + j];
        m /= D;
        for (int j = 0; j < D; j++)
            ss += (y[i * D + j] - m) * (y[i * D + j] - m);
        ck_assert_double_eq_tol(m, 0.0, 1e-6);
        if (i == 3) {
            for (int j = 0; j < D; j++)
                ck_assert(y[i * D + j] == 0.0f);
        } else {
            ck_assert_double_eq_tol(sqrt(ss / D), 1.0, 1e-5); /* population std */
        }
    }
    /* No fitted statistics: another data set of the same width is
     * normalised by its own rows. */
    float z[D];
    for (int j = 0; j < D; j++)
        z[j] = (float)(1000 + j);
    CK_OK(cpae_dataset_wrap(z, 1, D, NULL, &other));
    CK_OK(cpae_normalizer_apply(nz, other));
    double m = 0.0;
    for (int j = 0; j < D; j++)
        m += data_of(other)[j];
    ck_assert_double_eq_tol(m / D, 0.0, 1e-6);
    cpae_normalizer_destroy(nz);
    cpae_dataset_destroy(ds);
    cpae_dataset_destroy(other);
}
END_TEST

START_TEST(test_minmax_and_constant_features)
{
    enum { N = 40, D = 4 };
    float x[N * D], t[2 * D] = {-100, 5, 0.5f, 7, 100, 5, 0.5f, 8};
    uint64_t s = 3;
    for (int i = 0; i < N; i++) {
        x[i * D + 0] = (float)(10 * tu_uniform(&s));
        x[i * D + 1] = 5.0f; /* constant feature */
        x[i * D + 2] = (float)(0.1 * tu_uniform(&s));
        x[i * D + 3] = (float)(1e6 + 1e3 * tu_uniform(&s));
    }
    cpae_dataset *ds = NULL, *te = NULL;
    CK_OK(cpae_dataset_wrap(x, N, D, NULL, &ds));
    cpae_normalizer *mm = NULL, *fz = NULL;
    CK_OK(cpae_normalizer_fit(ds, CPAE_NORM_MINMAX, &mm));
    CK_OK(cpae_normalizer_fit(ds, CPAE_NORM_FEATURE_Z, &fz));
    double lo[D], hi[D], mean[D], sd[D];
    for (int j = 0; j < D; j++)
        column_stats(x, N, D, j, &mean[j], &sd[j], &lo[j], &hi[j]);
    CK_OK(cpae_normalizer_apply(mm, ds));
    const float *y = data_of(ds);
    for (int j = 0; j < D; j++) {
        double a, b, m, v;
        column_stats(y, N, D, j, &m, &v, &a, &b);
        ck_assert(a >= 0.0 && b <= 1.0);
        ck_assert_double_eq(a, 0.0);
        ck_assert_double_eq(b, j == 1 ? 0.0 : 1.0); /* range 0 -> 1 */
    }
    /* Other data: (x - min) / range of the fitted data, outside [0, 1]. */
    CK_OK(cpae_dataset_wrap(t, 2, D, NULL, &te));
    CK_OK(cpae_normalizer_apply(mm, te));
    const float *u = data_of(te);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < D; j++) {
            double range = hi[j] > lo[j] ? hi[j] - lo[j] : 1.0;
            ck_assert_double_eq_tol(u[i * D + j], (t[i * D + j] - lo[j]) / range,
                                    1e-6 * fabs((t[i * D + j] - lo[j]) / range) + 1e-6);
        }
    ck_assert(u[0] < 0.0f && u[D] > 1.0f);
    cpae_dataset_destroy(te);
    /* Feature z on a constant feature: std 0 -> 1, so train maps to 0 and
     * other data to x - c. */
    cpae_dataset *again = NULL;
    CK_OK(cpae_dataset_wrap(x, N, D, NULL, &again));
    CK_OK(cpae_normalizer_apply(fz, again));
    for (int i = 0; i < N; i++)
        ck_assert(data_of(again)[i * D + 1] == 0.0f);
    CK_OK(cpae_dataset_wrap(t, 2, D, NULL, &te));
    CK_OK(cpae_normalizer_apply(fz, te));
    ck_assert(data_of(te)[1] == 0.0f);
    ck_assert(data_of(te)[D + 3] == (float)((8 - mean[3]) / sd[3]));
    cpae_dataset_destroy(te);
    cpae_dataset_destroy(again);
    cpae_normalizer_destroy(mm);
    cpae_normalizer_destroy(fz);
    cpae_dataset_destroy(ds);
}
END_TEST

/* Loaded (owned) data sets are normalised in place; statistics fitted on a
 * tiny range can push other data beyond float: refused, nothing changed. */
START_TEST(test_apply_owned_and_overflow)
{
    const char *p = write_text("own.tsv", "1\t1\t2\n2\t3\t6\n1\t5\t10\n");
    cpae_dataset *ds = load_ok(p, CPAE_FORMAT_UCR, 3, 2, 1);
    const float *before = data_of(ds);
    cpae_normalizer *nz = NULL;
    CK_OK(cpae_normalizer_fit(ds, CPAE_NORM_MINMAX, &nz));
    CK_OK(cpae_normalizer_apply(nz, ds));
    ck_assert_ptr_eq(data_of(ds), before); /* in place */
    const float want[] = {0, 0, 0.5f, 0.5f, 1, 1};
    expect_values(ds, want, 6);
    const int32_t wl[] = {1, 2, 1};
    expect_labels(ds, wl, 3);
    cpae_normalizer_destroy(nz);
    cpae_dataset_destroy(ds);

    float tiny[4] = {0, 0, 1e-30f, 1e-30f}, big[2] = {1e10f, 1};
    cpae_dataset *a = NULL, *b = NULL;
    CK_OK(cpae_dataset_wrap(tiny, 2, 2, NULL, &a));
    CK_OK(cpae_dataset_wrap(big, 1, 2, NULL, &b));
    CK_OK(cpae_normalizer_fit(a, CPAE_NORM_MINMAX, &nz));
    CK_ERR(cpae_normalizer_apply(nz, b), CPAE_E_NONFINITE);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_normalizer_apply"));
    ck_assert_ptr_eq(data_of(b), big);
    ck_assert(big[0] == 1e10f);
    cpae_normalizer_destroy(nz);
    cpae_dataset_destroy(a);
    cpae_dataset_destroy(b);
}
END_TEST

/* ---------------------------------------------------------------- suite */

/* Caller-set caps: a gzip bomb (64 MiB of "1\n" in about 64 KiB) stops at
 * the cap on decompressed bytes, early; an IDX header declaring more values
 * than the cap allows is refused before allocating; a bad cap is refused;
 * within the cap the same files load. */
START_TEST(test_load_limits)
{
    size_t n = (size_t)64 << 20;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i += 2) {
        text[i] = '1';
        text[i + 1] = '\n';
    }
    const char *bomb = write_gz("bomb.csv.gz", text, n);
    /* The same bytes as one line of comma-separated ones: no value is
     * stored before the line ends, so the byte cap is what stops it. */
    for (size_t i = 1; i < n; i += 2)
        text[i] = ',';
    text[n - 1] = '\n';
    const char *line = write_gz("line.csv.gz", text, n);
    free(text);
    cpae_dataset *ds = SENTINEL();
    expect_fail(cpae_dataset_load_limit(line, CPAE_FORMAT_CSV, 1 << 20, &ds), ds,
                CPAE_E_LIMIT, line, "1048576 bytes", NULL);
    /* Lines of one value: the value cap (max_bytes / 4) stops it. */
    ds = SENTINEL();
    expect_fail(cpae_dataset_load_limit(bomb, CPAE_FORMAT_CSV, 1 << 20, &ds), ds,
                CPAE_E_LIMIT, bomb, "262144 values", NULL);
    CK_OK(cpae_dataset_load_limit(bomb, CPAE_FORMAT_CSV, (int64_t)n * 2, &ds));
    int64_t rows, d;
    CK_OK(cpae_dataset_info(ds, &rows, &d, NULL));
    ck_assert_int_eq(rows, (int64_t)(n / 2));
    cpae_dataset_destroy(ds);
    /* IDX: 1000 images of 100 x 100 declared, a 1 MiB cap holds 2^18 values. */
    uint8_t b[64];
    uint32_t dims[3] = {1000, 100, 100};
    size_t k = idx_header(b, 0x08, 3, dims);
    const char *idx = write_bytes("big-images-idx3-ubyte", b, k);
    ds = SENTINEL();
    expect_fail(cpae_dataset_load_idx_limit(idx, NULL, 1 << 20, &ds), ds, CPAE_E_LIMIT, idx,
                "limit", NULL);
    ds = SENTINEL();
    expect_fail(cpae_dataset_load_limit(idx, CPAE_FORMAT_AUTO, 0, &ds), ds, CPAE_E_INVALID,
                NULL, "max_bytes", NULL);
    expect_fail(cpae_dataset_load_limit(idx, CPAE_FORMAT_AUTO, CPAE_DATASET_MAX_LIMIT + 1, &ds),
                ds, CPAE_E_INVALID, NULL, "max_bytes", NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("text");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ucr_tab_plain_and_gz);
    tcase_add_test(tc, test_ucr_comma_and_space);
    tcase_add_test(tc, test_crlf_and_trailing_blank_lines);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_long_rows);
    tcase_add_test(tc, test_auto_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("idx");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_idx_small);
    suite_add_tcase(s, tc);

    tc = tcase_create("sets");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_feature_z_uses_training_statistics);
    tcase_add_test(tc, test_wrap_apply_never_writes_caller);
    tcase_add_test(tc, test_series_z);
    tcase_add_test(tc, test_minmax_and_constant_features);
    suite_add_tcase(s, tc);

    tc = tcase_create("real");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_real_cbf);
    tcase_add_test(tc, test_real_wine_synthetic);
    tcase_add_test(tc, test_real_pipeline);
    tcase_add_test(tc, test_real_mnist);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_not_a_number);
    tcase_add_test(tc, test_ragged);
    tcase_add_test(tc, test_nan_inf);
    tcase_add_test(tc, test_empty_and_blank);
    tcase_add_test(tc, test_io_errors);
    tcase_add_test(tc, test_truncated_gzip);
    tcase_add_test(tc, test_load_limits);
    tcase_add_test(tc, test_idx_bad);
    tcase_add_test(tc, test_idx_absurd_sizes);
    tcase_add_test(tc, test_arguments);
    tcase_add_test(tc, test_apply_owned_and_overflow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
