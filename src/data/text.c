/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* text.c -- the text formats: UCR (label first, then the values; tab,
 * comma or white-space separated, detected from the first data line), CSV
 * (values only, comma separated) and CSV with a header line. Lines and
 * fields come from lines.c; this file decides what a row means: every row
 * must have the width of the first, labels must be integers in the int32
 * range, values must fit a float, blank lines are allowed only at the end.
 * Rows are stored in a buffer that grows geometrically with the data that
 * really arrives, up to the load's limit (docs/data.md). */
#include "data/data.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Release the unused tail of a grown buffer (best effort). */
static void *shrink(void *p, size_t bytes)
{
    void *q = realloc(p, bytes > 0 ? bytes : 1);
    return q ? q : p;
}

/* Growing storage for parsed rows. */
struct rows {
    float *x;
    int32_t *labels;   /* only with labels */
    int64_t n, d, cap; /* rows stored, values per row, rows allocated */
};

/* Room for one more row. */
static int32_t rows_reserve(struct rows *w, bool with_labels,
                            const struct cpae__data_lines *r)
{
    if (w->n < w->cap)
        return CPAE_OK;
    int64_t max_rows = cpae__data_max_values(&r->src) / w->d;
    if (w->n >= max_rows)
        return cpae__fail(CPAE_E_LIMIT, r->src.fn, "%s:%lld: more than %lld "
                          "values (%lld rows of %lld); the limit is %lld values",
                          r->src.path, (long long)r->lineno,
                          (long long)(max_rows * w->d), (long long)w->n,
                          (long long)w->d,
                          (long long)cpae__data_max_values(&r->src));
    int64_t c = w->cap < 16 ? 16 : w->cap * 2;
    if (c > max_rows)
        c = max_rows;
    float *x = realloc(w->x, (size_t)(c * w->d) * sizeof(float));
    if (!x)
        return cpae__fail(CPAE_E_NOMEM, r->src.fn, "cannot allocate %lld x %lld "
                          "values while reading '%s'", (long long)c,
                          (long long)w->d, r->src.path);
    w->x = x;
    if (with_labels) {
        int32_t *l = realloc(w->labels, (size_t)c * sizeof(int32_t));
        if (!l)
            return cpae__fail(CPAE_E_NOMEM, r->src.fn, "cannot allocate %lld "
                              "labels while reading '%s'", (long long)c,
                              r->src.path);
        w->labels = l;
    }
    w->cap = c;
    return CPAE_OK;
}

/* The separator of a UCR file, from its first data line: tab if there is
 * one, else comma if there is one, else runs of white space. */
static int detect_sep(const char *line, size_t len)
{
    if (memchr(line, '\t', len))
        return CPAE__DATA_SEP_TAB;
    if (memchr(line, ',', len))
        return CPAE__DATA_SEP_COMMA;
    return CPAE__DATA_SEP_SPACE;
}

/* Parse one non-blank line into row w->n (room reserved). */
static int32_t parse_row(struct cpae__data_lines *r, struct rows *w, int sep,
                         bool with_labels)
{
    struct cpae__data_tok t;
    char *s, *e;
    double v;
    int64_t field = 0, k = 0;
    float *row = w->x + w->n * w->d;
    cpae__data_tok_init(&t, r->line, r->len, sep);
    while (cpae__data_tok_next(&t, &s, &e)) {
        field++;
        int kind = cpae__data_parse_num(s, e, &v);
        if (kind != CPAE__DATA_NUM_OK)
            return cpae__data_field_error(r, kind, s, e, field);
        long long col = (long long)(s - r->line + 1);
        char q[64];
        if (with_labels && field == 1) {
            if (v != floor(v))
                return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: the "
                                  "label is not an integer: '%s'", r->src.path,
                                  (long long)r->lineno, col,
                                  cpae__data_show(s, e, q, sizeof q));
            if (v < (double)INT32_MIN || v > (double)INT32_MAX)
                return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: the "
                                  "label is outside the int32 range: '%s'",
                                  r->src.path, (long long)r->lineno, col,
                                  cpae__data_show(s, e, q, sizeof q));
            w->labels[w->n] = (int32_t)v;
            continue;
        }
        float f = (float)v;
        if (isinf(f))
            return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: number "
                              "outside the float range: '%s' (field %lld)",
                              r->src.path, (long long)r->lineno, col,
                              cpae__data_show(s, e, q, sizeof q),
                              (long long)field);
        row[k++] = f;
    }
    return CPAE_OK;
}

static int32_t parse_text(struct cpae__data_lines *r, int32_t format, struct rows *w)
{
    const char *fn = r->src.fn, *path = r->src.path;
    bool with_labels = format == CPAE_FORMAT_UCR, more;
    int sep = format == CPAE_FORMAT_UCR ? 0 : CPAE__DATA_SEP_COMMA;
    int64_t blank = 0, header_fields = -1;
    int32_t st;
    if (format == CPAE_FORMAT_CSV_HEADER) {
        if ((st = cpae__data_next_line(r, &more)))
            return st;
        if (!more)
            return cpae__fail(CPAE_E_FORMAT, fn, "'%s': no data (empty file)", path);
        if (cpae__data_is_blank_line(r->line, r->len))
            return cpae__fail(CPAE_E_FORMAT, fn, "%s:1: the header line is blank",
                              path);
        header_fields = cpae__data_count_header_fields(r->line, r->len);
    }
    for (;;) {
        if ((st = cpae__data_next_line(r, &more)))
            return st;
        if (!more)
            break;
        if (cpae__data_is_blank_line(r->line, r->len)) {
            if (!blank)
                blank = r->lineno;
            continue;
        }
        if (blank)
            return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld: blank line before "
                              "more data on line %lld (blank lines are allowed "
                              "only at the end)", path, (long long)blank,
                              (long long)r->lineno);
        if (!sep)
            sep = detect_sep(r->line, r->len);
        int64_t nf = cpae__data_count_fields(r->line, r->len, sep);
        int64_t values = nf - (with_labels ? 1 : 0);
        if (w->d == 0) {
            if (values < 1)
                return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld: a label and no "
                                  "values", path, (long long)r->lineno);
            if (header_fields >= 0 && header_fields != values)
                return cpae__fail(CPAE_E_FORMAT, fn, "%s:1: the header has %lld "
                                  "fields, line %lld has %lld values", path,
                                  (long long)header_fields, (long long)r->lineno,
                                  (long long)values);
            if (values > cpae__data_max_values(&r->src))
                return cpae__fail(CPAE_E_LIMIT, fn, "%s:%lld: %lld values in a "
                                  "row; the limit is %lld values", path,
                                  (long long)r->lineno, (long long)values,
                                  (long long)cpae__data_max_values(&r->src));
            w->d = values;
        } else if (values != w->d) {
            return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld: expected %lld values, "
                              "found %lld", path, (long long)r->lineno,
                              (long long)w->d, (long long)values);
        }
        if ((st = rows_reserve(w, with_labels, r)) ||
            (st = parse_row(r, w, sep, with_labels)))
            return st;
        w->n++;
    }
    if (w->n == 0) {
        const char *why = r->lineno == 0 ? "empty file"
                          : format != CPAE_FORMAT_CSV_HEADER ? "only blank lines"
                          : blank ? "only a header line and blank lines"
                          : "only a header line";
        return cpae__fail(CPAE_E_FORMAT, fn, "'%s': no data (%s)", path, why);
    }
    return CPAE_OK;
}

/* UCR, CSV or CSV_HEADER file into a new data set. Numbers are read in the
 * C locale whatever the caller's locale is (this thread only). */
int32_t cpae__data_load_text(const char *path, int32_t format, int64_t limit,
                         cpae_dataset **out, const char *fn)
{
    struct cpae__data_lines r;
    memset(&r, 0, sizeof r);
    struct rows w = {NULL, NULL, 0, 0, 0};
    int32_t st;
    if ((st = cpae__data_src_open(&r.src, path, limit, fn)))
        return st;
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    r.chunk = malloc(CPAE__DATA_CHUNK);
    if (!c_loc || !r.chunk) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate buffers to read '%s'",
                        path);
    } else {
        locale_t old = uselocale(c_loc);
        st = parse_text(&r, format, &w);
        (void)uselocale(old);
    }
    if (c_loc)
        freelocale(c_loc);
    st = cpae__data_src_close(&r.src, st);
    free(r.chunk);
    free(r.line);
    if (st == CPAE_OK) {
        w.x = shrink(w.x, (size_t)(w.n * w.d) * sizeof(float));
        if (w.labels)
            w.labels = shrink(w.labels, (size_t)w.n * sizeof(int32_t));
        return cpae__data_adopt(w.x, w.labels, w.n, w.d, out, fn);
    }
    free(w.x);
    free(w.labels);
    return st;
}
