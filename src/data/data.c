/* data.c -- data sets: loading (UCR text, CSV, IDX; gzip or plain),
 * wrapping caller memory, splitting and normalisation. The formats, the
 * normalisations and the error messages are described in docs/data.md.
 *
 * Loaders trust nothing. Every file is read through zlib (plain files pass
 * through unchanged), a truncated or corrupted gzip stream is an error,
 * text is parsed field by field with strtod in the C locale and every field
 * must be a complete finite number, every row must have the width of the
 * first, and IDX sizes are checked against the library limit before
 * anything is allocated and against the bytes actually present while the
 * data is read. Buffers grow geometrically with the data that really
 * arrives, so a header that lies about its size costs nothing. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Largest data set, in float values (2^34, 64 GiB; less where size_t is
 * 32 bits). */
#if SIZE_MAX > 0xFFFFFFFFu
#define MAX_ELEMS ((int64_t)1 << 34)
#else
#define MAX_ELEMS ((int64_t)1 << 28)
#endif
/* Longest text line, in bytes. */
#define MAX_LINE ((size_t)1 << 31)
/* Bytes asked of zlib per call. */
#define CHUNK ((size_t)1 << 16)
/* Characters of a malformed field quoted in a message. */
#define SHOW_CHARS 40
/* IDX: first allocation in values; grows by doubling up to the header's
 * size as data actually arrives. */
#define IDX_FIRST_ALLOC ((int64_t)1 << 20)

struct cpae_dataset {
    int64_t n, d;
    const float *x;         /* current samples, n x d */
    float *own_x;           /* == x when owned, NULL when borrowed */
    const int32_t *labels;  /* n labels or NULL */
    int32_t *own_labels;    /* == labels when owned, NULL when borrowed */
};

struct cpae_normalizer {
    int32_t kind;
    int64_t d;
    double *shift; /* d values (feature kinds): mean or minimum */
    double *scale; /* d values (feature kinds): std or range, never 0 */
};

/* ------------------------------------------------------------- helpers */

static bool valid_norm(int32_t kind)
{
    return kind >= CPAE_NORM_NONE && kind <= CPAE_NORM_MINMAX;
}

/* A new data set owning n x d (uninitialised) floats and, if with_labels,
 * n labels. */
static int32_t ds_alloc(int64_t n, int64_t d, bool with_labels,
                        cpae_dataset **out, const char *fn)
{
    cpae_dataset *ds = calloc(1, sizeof *ds);
    float *x = malloc((size_t)(n * d) * sizeof(float));
    int32_t *lab = with_labels ? malloc((size_t)n * sizeof(int32_t)) : NULL;
    if (!ds || !x || (with_labels && !lab)) {
        free(ds);
        free(x);
        free(lab);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a data set of "
                          "%lld x %lld values", (long long)n, (long long)d);
    }
    ds->n = n;
    ds->d = d;
    ds->x = ds->own_x = x;
    ds->labels = ds->own_labels = lab;
    *out = ds;
    return CPAE_OK;
}

/* A data set taking ownership of x (n x d) and labels (may be NULL); on
 * failure both are freed. */
static int32_t ds_adopt(float *x, int32_t *labels, int64_t n, int64_t d,
                        cpae_dataset **out, const char *fn)
{
    cpae_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        free(x);
        free(labels);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a data set");
    }
    ds->n = n;
    ds->d = d;
    ds->x = ds->own_x = x;
    ds->labels = ds->own_labels = labels;
    *out = ds;
    return CPAE_OK;
}

/* Release the unused tail of a grown buffer (best effort). */
static void *shrink(void *p, size_t bytes)
{
    void *q = realloc(p, bytes > 0 ? bytes : 1);
    return q ? q : p;
}

/* ------------------------------------------------------ reading (zlib) */

/* A file read through zlib: gzip streams are decompressed, anything else
 * is passed through as it is. */
struct src {
    gzFile gz;
    const char *path;
    const char *fn;
    int64_t delivered; /* decompressed bytes handed out so far */
    int64_t limit;     /* cap on decompressed bytes (and 4 x values) */
};

/* The most values a load may store: its byte cap as floats, within the
 * library's absolute limit. */
static int64_t max_values(const struct src *s)
{
    int64_t v = s->limit / (int64_t)sizeof(float);
    return v < MAX_ELEMS ? v : MAX_ELEMS;
}

static int32_t src_open(struct src *s, const char *path, int64_t limit, const char *fn)
{
    s->gz = NULL;
    s->path = path;
    s->fn = fn;
    s->delivered = 0;
    s->limit = limit;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then
     * refuses it); it does not affect reads of regular files. */
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return cpae__fail_errno(errno, fn, "cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        (void)close(fd);
        return cpae__fail_errno(e, fn, "cannot stat", path);
    }
    if (!S_ISREG(sb.st_mode)) {
        (void)close(fd);
        return cpae__fail(CPAE_E_IO, fn, "'%s' is not a regular file", path);
    }
    s->gz = gzdopen(fd, "rb");
    if (!s->gz) {
        (void)close(fd);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot set up zlib to read '%s'",
                          path);
    }
    (void)gzbuffer(s->gz, 1u << 17);
    return CPAE_OK;
}

/* The failure zlib recorded on s (e: errno right after the failing call). */
static int32_t src_error(struct src *s, int e)
{
    int err = Z_OK;
    const char *msg = gzerror(s->gz, &err);
    /* zlib prefixes "<fd:N>: " for a descriptor opened with gzdopen. */
    const char *colon = msg ? strstr(msg, ": ") : NULL;
    if (msg && msg[0] == '<' && colon)
        msg = colon + 2;
    if (!msg)
        msg = "unknown zlib error";
    switch (err) {
    case Z_ERRNO:
        return cpae__fail_errno(e, s->fn, "cannot read", s->path);
    case Z_BUF_ERROR:
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated gzip stream "
                          "(unexpected end of file after %lld decompressed "
                          "bytes)", s->path, (long long)s->delivered);
    case Z_MEM_ERROR:
        return cpae__fail(CPAE_E_NOMEM, s->fn, "out of memory while "
                          "decompressing '%s'", s->path);
    default:
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': corrupted gzip stream "
                          "after %lld decompressed bytes (%s)", s->path,
                          (long long)s->delivered, msg);
    }
}

/* Read up to cap bytes into buf; *got < cap only at the end of the data.
 * A truncated or corrupted stream is an error, never a short read. */
static int32_t src_read(struct src *s, uint8_t *buf, size_t cap, size_t *got)
{
    size_t total = 0;
    while (total < cap) {
        size_t want = cap - total > CHUNK ? CHUNK : cap - total;
        errno = 0;
        int r = gzread(s->gz, buf + total, (unsigned)want);
        if (r < 0)
            return src_error(s, errno);
        if (r == 0)
            break;
        total += (size_t)r;
        s->delivered += r;
        if (s->delivered > s->limit) /* early: a decompression bomb stops here */
            return cpae__fail(CPAE_E_LIMIT, s->fn, "'%s': more than %lld bytes of "
                              "(decompressed) data, the load's limit", s->path,
                              (long long)s->limit);
    }
    *got = total;
    if (total < cap) { /* the end: was it a real one? */
        int err = Z_OK;
        (void)gzerror(s->gz, &err);
        if (err != Z_OK)
            return src_error(s, errno);
    }
    return CPAE_OK;
}

/* Close; with st == CPAE_OK also report an error found only at closing. */
static int32_t src_close(struct src *s, int32_t st)
{
    if (!s->gz)
        return st;
    int r = gzclose_r(s->gz);
    s->gz = NULL;
    if (st != CPAE_OK)
        return st;
    if (r == Z_BUF_ERROR)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated gzip stream "
                          "(unexpected end of file after %lld decompressed "
                          "bytes)", s->path, (long long)s->delivered);
    if (r == Z_ERRNO)
        return cpae__fail_errno(errno, s->fn, "cannot close", s->path);
    if (r != Z_OK)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': zlib error %d at close",
                          s->path, r);
    return CPAE_OK;
}

/* ---------------------------------------------------------------- lines */

struct lines {
    struct src src;
    uint8_t *chunk;
    size_t clen, cpos;
    bool eof;
    char *line;        /* current line, NUL-terminated, without "\r\n" */
    size_t len, cap;
    int64_t lineno;    /* 1-based number of the current line */
};

static int32_t line_append(struct lines *r, const uint8_t *p, size_t k)
{
    if (k > MAX_LINE - 1 - r->len)
        return cpae__fail(CPAE_E_LIMIT, r->src.fn, "%s:%lld: line longer than "
                          "%zu bytes", r->src.path, (long long)(r->lineno + 1),
                          MAX_LINE - 1);
    size_t need = r->len + k + 1;
    if (need > r->cap) {
        size_t c = r->cap < 256 ? 256 : r->cap;
        while (c < need)
            c = c > MAX_LINE / 2 ? MAX_LINE : 2 * c;
        char *nl = realloc(r->line, c);
        if (!nl)
            return cpae__fail(CPAE_E_NOMEM, r->src.fn, "cannot allocate %zu "
                              "bytes for line %lld of '%s'", c,
                              (long long)(r->lineno + 1), r->src.path);
        r->line = nl;
        r->cap = c;
    }
    if (k > 0)
        memcpy(r->line + r->len, p, k);
    r->len += k;
    return CPAE_OK;
}

/* The next line into r->line; *more is false at the end of the file. */
static int32_t next_line(struct lines *r, bool *more)
{
    int32_t st;
    bool any = false;
    r->len = 0;
    if ((st = line_append(r, NULL, 0)))
        return st;
    for (;;) {
        if (r->cpos == r->clen) {
            if (r->eof)
                break;
            size_t got;
            if ((st = src_read(&r->src, r->chunk, CHUNK, &got)))
                return st;
            r->clen = got;
            r->cpos = 0;
            r->eof = got < CHUNK;
            continue;
        }
        const uint8_t *p = r->chunk + r->cpos;
        size_t avail = r->clen - r->cpos;
        const uint8_t *nl = memchr(p, '\n', avail);
        size_t k = nl ? (size_t)(nl - p) : avail;
        if ((st = line_append(r, p, k)))
            return st;
        any = true;
        r->cpos += k + (nl ? 1 : 0);
        if (nl)
            break;
    }
    *more = any;
    if (!any)
        return CPAE_OK;
    r->lineno++;
    if (r->len > 0 && r->line[r->len - 1] == '\r')
        r->len--;
    r->line[r->len] = '\0';
    const char *nul = memchr(r->line, '\0', r->len);
    if (nul)
        return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: NUL byte in "
                          "a text file (binary data?)", r->src.path,
                          (long long)r->lineno, (long long)(nul - r->line + 1));
    return CPAE_OK;
}

/* --------------------------------------------------------------- fields */

enum { SEP_SPACE = ' ', SEP_TAB = '\t', SEP_COMMA = ',' };

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_blank_line(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* Splits a line into fields. SEP_SPACE: runs of white space separate
 * fields, leading and trailing white space is ignored. SEP_TAB / SEP_COMMA:
 * each separator ends a field ("a,,b" has an empty middle field) and white
 * space around a field is ignored. */
struct tok {
    char *line;
    size_t len, pos;
    int sep;
    bool done;
};

static void tok_init(struct tok *t, char *line, size_t len, int sep)
{
    t->line = line;
    t->len = len;
    t->pos = 0;
    t->sep = sep;
    t->done = false;
}

static bool tok_next(struct tok *t, char **s, char **e)
{
    char *l = t->line;
    if (t->sep == SEP_SPACE) {
        while (t->pos < t->len && is_space(l[t->pos]))
            t->pos++;
        if (t->pos == t->len)
            return false;
        size_t a = t->pos;
        while (t->pos < t->len && !is_space(l[t->pos]))
            t->pos++;
        *s = l + a;
        *e = l + t->pos;
        return true;
    }
    if (t->done)
        return false;
    size_t a = t->pos;
    char *p = memchr(l + a, t->sep, t->len - a);
    size_t b = p ? (size_t)(p - l) : t->len;
    t->pos = p ? b + 1 : t->len;
    t->done = !p;
    while (a < b && is_space(l[a]))
        a++;
    while (b > a && is_space(l[b - 1]))
        b--;
    *s = l + a;
    *e = l + b;
    return true;
}

static int64_t count_fields(char *line, size_t len, int sep)
{
    struct tok t;
    char *s, *e;
    int64_t k = 0;
    tok_init(&t, line, len, sep);
    while (tok_next(&t, &s, &e))
        k++;
    return k;
}

/* Fields of a CSV header line: commas outside double quotes, plus one. */
static int64_t count_header_fields(const char *line, size_t len)
{
    int64_t k = 1;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '"')
            quoted = !quoted;
        else if (line[i] == ',' && !quoted)
            k++;
    }
    return k;
}

/* The field [s, e) quoted for a message: at most SHOW_CHARS characters,
 * control characters as '?'. */
static const char *show(const char *s, const char *e, char *buf, size_t cap)
{
    size_t n = (size_t)(e - s), k = 0;
    for (; k < n && k < SHOW_CHARS && k + 4 < cap; k++) {
        unsigned char c = (unsigned char)s[k];
        buf[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (k < n && k + 4 < cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

enum { NUM_OK, NUM_EMPTY, NUM_BAD, NUM_NAN, NUM_INF, NUM_RANGE };

/* Parse [s, e) as a number: the whole field, finite (the caller has set
 * the C locale). Writes a NUL at e for strtod and restores the byte. */
static int parse_num(char *s, char *e, double *v)
{
    if (s == e)
        return NUM_EMPTY;
    char save = *e;
    *e = '\0';
    errno = 0;
    char *end;
    double r = strtod(s, &end);
    int err = errno;
    *e = save;
    if (end != e)
        return NUM_BAD;
    if (isnan(r))
        return NUM_NAN;
    if (isinf(r))
        return err == ERANGE ? NUM_RANGE : NUM_INF;
    *v = r;
    return NUM_OK;
}

/* The message for a field that is not a usable number. */
static int32_t field_error(const struct lines *r, int kind, char *s, char *e,
                           int64_t field)
{
    char q[64];
    long long col = (long long)(s - r->line + 1);
    long long ln = (long long)r->lineno;
    const char *p = r->src.path, *fn = r->src.fn;
    show(s, e, q, sizeof q);
    switch (kind) {
    case NUM_EMPTY:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: empty field (field "
                          "%lld)", p, ln, col, (long long)field);
    case NUM_NAN:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: NaN is not allowed: "
                          "'%s' (field %lld)", p, ln, col, q, (long long)field);
    case NUM_INF:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: infinity is not "
                          "allowed: '%s' (field %lld)", p, ln, col, q,
                          (long long)field);
    case NUM_RANGE:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: number out of range: "
                          "'%s' (field %lld)", p, ln, col, q, (long long)field);
    default:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: not a number: '%s' "
                          "(field %lld)", p, ln, col, q, (long long)field);
    }
}

/* ------------------------------------------------------------ text files */

/* Growing storage for parsed rows. */
struct rows {
    float *x;
    int32_t *labels;   /* only with labels */
    int64_t n, d, cap; /* rows stored, values per row, rows allocated */
};

/* Room for one more row. */
static int32_t rows_reserve(struct rows *w, bool with_labels,
                            const struct lines *r)
{
    if (w->n < w->cap)
        return CPAE_OK;
    int64_t max_rows = max_values(&r->src) / w->d;
    if (w->n >= max_rows)
        return cpae__fail(CPAE_E_LIMIT, r->src.fn, "%s:%lld: more than %lld "
                          "values (%lld rows of %lld); the limit is %lld values",
                          r->src.path, (long long)r->lineno,
                          (long long)(max_rows * w->d), (long long)w->n,
                          (long long)w->d, (long long)max_values(&r->src));
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
        return SEP_TAB;
    if (memchr(line, ',', len))
        return SEP_COMMA;
    return SEP_SPACE;
}

/* Parse one non-blank line into row w->n (room reserved). */
static int32_t parse_row(struct lines *r, struct rows *w, int sep,
                         bool with_labels)
{
    struct tok t;
    char *s, *e;
    double v;
    int64_t field = 0, k = 0;
    float *row = w->x + w->n * w->d;
    tok_init(&t, r->line, r->len, sep);
    while (tok_next(&t, &s, &e)) {
        field++;
        int kind = parse_num(s, e, &v);
        if (kind != NUM_OK)
            return field_error(r, kind, s, e, field);
        long long col = (long long)(s - r->line + 1);
        char q[64];
        if (with_labels && field == 1) {
            if (v != floor(v))
                return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: the "
                                  "label is not an integer: '%s'", r->src.path,
                                  (long long)r->lineno, col, show(s, e, q, sizeof q));
            if (v < (double)INT32_MIN || v > (double)INT32_MAX)
                return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: the "
                                  "label is outside the int32 range: '%s'",
                                  r->src.path, (long long)r->lineno, col,
                                  show(s, e, q, sizeof q));
            w->labels[w->n] = (int32_t)v;
            continue;
        }
        float f = (float)v;
        if (isinf(f))
            return cpae__fail(CPAE_E_FORMAT, r->src.fn, "%s:%lld:%lld: number "
                              "outside the float range: '%s' (field %lld)",
                              r->src.path, (long long)r->lineno, col,
                              show(s, e, q, sizeof q), (long long)field);
        row[k++] = f;
    }
    return CPAE_OK;
}

static int32_t parse_text(struct lines *r, int32_t format, struct rows *w)
{
    const char *fn = r->src.fn, *path = r->src.path;
    bool with_labels = format == CPAE_FORMAT_UCR, more;
    int sep = format == CPAE_FORMAT_UCR ? 0 : SEP_COMMA;
    int64_t blank = 0, header_fields = -1;
    int32_t st;
    if (format == CPAE_FORMAT_CSV_HEADER) {
        if ((st = next_line(r, &more)))
            return st;
        if (!more)
            return cpae__fail(CPAE_E_FORMAT, fn, "'%s': no data (empty file)", path);
        if (is_blank_line(r->line, r->len))
            return cpae__fail(CPAE_E_FORMAT, fn, "%s:1: the header line is blank",
                              path);
        header_fields = count_header_fields(r->line, r->len);
    }
    for (;;) {
        if ((st = next_line(r, &more)))
            return st;
        if (!more)
            break;
        if (is_blank_line(r->line, r->len)) {
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
        int64_t nf = count_fields(r->line, r->len, sep);
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
            if (values > max_values(&r->src))
                return cpae__fail(CPAE_E_LIMIT, fn, "%s:%lld: %lld values in a "
                                  "row; the limit is %lld values", path,
                                  (long long)r->lineno, (long long)values,
                                  (long long)max_values(&r->src));
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
static int32_t load_text(const char *path, int32_t format, int64_t limit,
                         cpae_dataset **out, const char *fn)
{
    struct lines r;
    memset(&r, 0, sizeof r);
    struct rows w = {NULL, NULL, 0, 0, 0};
    int32_t st;
    if ((st = src_open(&r.src, path, limit, fn)))
        return st;
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    r.chunk = malloc(CHUNK);
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
    st = src_close(&r.src, st);
    free(r.chunk);
    free(r.line);
    if (st == CPAE_OK) {
        w.x = shrink(w.x, (size_t)(w.n * w.d) * sizeof(float));
        if (w.labels)
            w.labels = shrink(w.labels, (size_t)w.n * sizeof(int32_t));
        return ds_adopt(w.x, w.labels, w.n, w.d, out, fn);
    }
    free(w.x);
    free(w.labels);
    return st;
}

/* ------------------------------------------------------------ IDX files */

struct idx_head {
    int ndims;
    uint32_t dims[255];
    int64_t total; /* product of the dims */
};

static const char *idx_type_name(uint8_t t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "unknown type";
    }
}

/* "60000 x 28 x 28" */
static const char *dims_text(const struct idx_head *h, char *buf, size_t cap)
{
    /* cap >= 32: each entry takes at most 13 characters, "..." 4. */
    size_t k = 0;
    int i = 0;
    buf[0] = '\0';
    for (; i < h->ndims && k + 17 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lu", i ? " x " : "",
                              (unsigned long)h->dims[i]);
    if (i < h->ndims)
        memcpy(buf + k, "...", 4);
    return buf;
}

/* Read and check the header: magic 0x0000 08 NN, NN sizes, none 0, product
 * within the limit. */
static int32_t idx_header(struct src *s, struct idx_head *h)
{
    uint8_t b[4 * 255];
    size_t got;
    int32_t st;
    if ((st = src_read(s, b, 4, &got)))
        return st;
    if (got == 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': no data (empty file)",
                          s->path);
    if (got < 4)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated IDX header "
                          "(%zu of 4 magic bytes)", s->path, got);
    uint32_t magic = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                     (uint32_t)b[2] << 8 | b[3];
    if (b[0] != 0 || b[1] != 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': not an IDX file (magic "
                          "0x%08x; IDX magic numbers are 0x000008NN)", s->path,
                          magic);
    if (b[2] != 0x08)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': IDX element type 0x%02x "
                          "(%s) is not supported; only unsigned bytes (0x08)",
                          s->path, b[2], idx_type_name(b[2]));
    h->ndims = b[3];
    if (h->ndims == 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': IDX magic 0x%08x "
                          "declares 0 dimensions", s->path, magic);
    size_t need = 4 * (size_t)h->ndims;
    if ((st = src_read(s, b, need, &got)))
        return st;
    if (got < need)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated IDX header: %d "
                          "dimensions need %zu bytes of sizes, %zu present",
                          s->path, h->ndims, need, got);
    bool over = false;
    h->total = 1;
    for (int i = 0; i < h->ndims; i++) {
        const uint8_t *p = b + 4 * i;
        h->dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                     (uint32_t)p[2] << 8 | p[3];
        if (h->dims[i] == 0)
            return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': IDX dimension %d has "
                              "size 0", s->path, i);
        if (!over && !cpae__mul_ok(h->total, h->dims[i], &h->total))
            over = true;
    }
    if (over || h->total > max_values(s)) {
        char dt[128];
        return cpae__fail(CPAE_E_LIMIT, s->fn, "'%s': the IDX header declares "
                          "%s values; the limit is %lld values", s->path,
                          dims_text(h, dt, sizeof dt), (long long)max_values(s));
    }
    return CPAE_OK;
}

/* Exactly h->total data bytes, then the end of the file. The values are
 * handed to put(ctx, offset, bytes, k) as they arrive; grow(ctx, need)
 * makes room for need values (called with increasing need). */
typedef int32_t (*idx_grow_fn)(void *ctx, int64_t need, const char *fn);
typedef void (*idx_put_fn)(void *ctx, int64_t at, const uint8_t *b, size_t k);

static int32_t idx_body(struct src *s, const struct idx_head *h,
                        uint8_t *chunk, idx_grow_fn grow, idx_put_fn put,
                        void *ctx)
{
    int64_t done = 0, room = 0;
    int32_t st;
    while (done < h->total) {
        if (done == room) {
            int64_t c = room == 0 ? IDX_FIRST_ALLOC : 2 * room;
            if (c > h->total)
                c = h->total;
            if ((st = grow(ctx, c, s->fn)))
                return st;
            room = c;
        }
        size_t want = (size_t)(room - done) > CHUNK ? CHUNK : (size_t)(room - done);
        size_t got;
        if ((st = src_read(s, chunk, want, &got)))
            return st;
        put(ctx, done, chunk, got);
        done += (int64_t)got;
        if (got < want) {
            char dt[128];
            return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated IDX data: "
                              "the header declares %lld bytes (%s), %lld are "
                              "present", s->path, (long long)h->total,
                              dims_text(h, dt, sizeof dt), (long long)done);
        }
    }
    int64_t extra = 0;
    for (;;) {
        size_t got;
        if ((st = src_read(s, chunk, CHUNK, &got)))
            return st;
        extra += (int64_t)got;
        if (got < CHUNK)
            break;
    }
    if (extra > 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': %lld unexpected bytes "
                          "after the %lld data bytes the IDX header declares",
                          s->path, (long long)extra, (long long)h->total);
    return CPAE_OK;
}

static int32_t grow_floats(void *ctx, int64_t need, const char *fn)
{
    float **x = ctx;
    float *p = realloc(*x, (size_t)need * sizeof(float));
    if (!p)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld values",
                          (long long)need);
    *x = p;
    return CPAE_OK;
}

static void put_floats(void *ctx, int64_t at, const uint8_t *b, size_t k)
{
    float *x = *(float **)ctx + at;
    for (size_t i = 0; i < k; i++)
        x[i] = (float)b[i];
}

static int32_t grow_labels(void *ctx, int64_t need, const char *fn)
{
    int32_t **l = ctx;
    int32_t *p = realloc(*l, (size_t)need * sizeof(int32_t));
    if (!p)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld labels",
                          (long long)need);
    *l = p;
    return CPAE_OK;
}

static void put_labels(void *ctx, int64_t at, const uint8_t *b, size_t k)
{
    int32_t *l = *(int32_t **)ctx + at;
    for (size_t i = 0; i < k; i++)
        l[i] = b[i];
}

/* Images: one row per entry of the first dimension. */
static int32_t idx_images(const char *path, int64_t limit, uint8_t *chunk, float **x,
                          int64_t *n, int64_t *d, const char *fn)
{
    struct src s;
    struct idx_head h;
    int32_t st;
    if ((st = src_open(&s, path, limit, fn)))
        return st;
    if (!(st = idx_header(&s, &h))) {
        *n = h.dims[0];
        *d = h.total / h.dims[0];
        st = idx_body(&s, &h, chunk, grow_floats, put_floats, x);
    }
    return src_close(&s, st);
}

/* Labels: one dimension, n_images entries. */
static int32_t idx_labels(const char *path, const char *images_path, int64_t limit,
                          int64_t n_images, uint8_t *chunk, int32_t **labels,
                          const char *fn)
{
    struct src s;
    struct idx_head h;
    int32_t st;
    if ((st = src_open(&s, path, limit, fn)))
        return st;
    if (!(st = idx_header(&s, &h))) {
        if (h.ndims != 1)
            st = cpae__fail(CPAE_E_FORMAT, fn, "'%s': an IDX labels file has 1 "
                            "dimension, this one has %d", path, h.ndims);
        else if (h.total != n_images)
            st = cpae__fail(CPAE_E_FORMAT, fn, "'%s' holds %lld labels but '%s' "
                            "holds %lld images", path, (long long)h.total,
                            images_path, (long long)n_images);
        else
            st = idx_body(&s, &h, chunk, grow_labels, put_labels, labels);
    }
    return src_close(&s, st);
}

static int32_t load_idx(const char *images_path, const char *labels_path, int64_t limit,
                        cpae_dataset **out, const char *fn)
{
    float *x = NULL;
    int32_t *labels = NULL;
    int64_t n = 0, d = 0;
    int32_t st;
    uint8_t *chunk = malloc(CHUNK);
    if (!chunk)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a read buffer");
    st = idx_images(images_path, limit, chunk, &x, &n, &d, fn);
    if (!st && labels_path)
        st = idx_labels(labels_path, images_path, limit, n, chunk, &labels, fn);
    free(chunk);
    if (st) {
        free(x);
        free(labels);
        return st;
    }
    return ds_adopt(x, labels, n, d, out, fn);
}

/* ---------------------------------------------------------------- loading */

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t k = strlen(suffix);
    return len >= k && strncasecmp(s + len - k, suffix, k) == 0;
}

/* AUTO: the file name without a ".gz" suffix decides: "idx" followed by a
 * digit (idx1, idx3), or a name ending in "-ubyte" or ".idx", is IDX;
 * ".csv" is CSV; anything else is UCR text. */
static int32_t format_from_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (ends_with_ci(base, len, ".gz"))
        len -= 3;
    if (ends_with_ci(base, len, "-ubyte") || ends_with_ci(base, len, ".idx"))
        return CPAE_FORMAT_IDX;
    for (size_t i = 0; i + 3 < len; i++)
        if (strncasecmp(base + i, "idx", 3) == 0 && base[i + 3] >= '0' &&
            base[i + 3] <= '9')
            return CPAE_FORMAT_IDX;
    if (ends_with_ci(base, len, ".csv"))
        return CPAE_FORMAT_CSV;
    return CPAE_FORMAT_UCR;
}

static int32_t check_limit(int64_t max_bytes, const char *fn)
{
    if (max_bytes < 1 || max_bytes > CPAE_DATASET_MAX_LIMIT)
        return cpae__fail(CPAE_E_INVALID, fn, "max_bytes is %lld; must be in [1, %lld]",
                          (long long)max_bytes, (long long)CPAE_DATASET_MAX_LIMIT);
    return CPAE_OK;
}

int32_t cpae_dataset_load_limit(const char *path, int32_t format, int64_t max_bytes,
                                cpae_dataset **out)
{
    static const char fn[] = "cpae_dataset_load";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = check_limit(max_bytes, fn)))
        return st;
    if (format < CPAE_FORMAT_AUTO || format > CPAE_FORMAT_IDX)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown format %d", (int)format);
    if (format == CPAE_FORMAT_AUTO)
        format = format_from_name(path);
    if (format == CPAE_FORMAT_IDX)
        return load_idx(path, NULL, max_bytes, out, fn);
    return load_text(path, format, max_bytes, out, fn);
}

int32_t cpae_dataset_load(const char *path, int32_t format, cpae_dataset **out)
{
    return cpae_dataset_load_limit(path, format, CPAE_DATASET_DEFAULT_LIMIT, out);
}

int32_t cpae_dataset_load_idx_limit(const char *images_path, const char *labels_path,
                                    int64_t max_bytes, cpae_dataset **out)
{
    static const char fn[] = "cpae_dataset_load_idx";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(images_path, fn, "images_path")) ||
        (st = cpae__check_ptr(out, fn, "out")) || (st = check_limit(max_bytes, fn)))
        return st;
    return load_idx(images_path, labels_path, max_bytes, out, fn);
}

int32_t cpae_dataset_load_idx(const char *images_path, const char *labels_path,
                              cpae_dataset **out)
{
    return cpae_dataset_load_idx_limit(images_path, labels_path, CPAE_DATASET_DEFAULT_LIMIT,
                                       out);
}

/* -------------------------------------------------------- data set access */

int32_t cpae_dataset_wrap(const float *x, int64_t n, int64_t d,
                          const int32_t *labels, cpae_dataset **out)
{
    static const char fn[] = "cpae_dataset_wrap";
    cpae__clear_error();
    int32_t st;
    int64_t nd;
    if ((st = cpae__check_ptr(x, fn, "x")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (n < 1 || d < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n is %lld and d is %lld; both must be "
                          ">= 1", (long long)n, (long long)d);
    if (!cpae__mul_ok(n, d, &nd) || (uint64_t)nd > SIZE_MAX / sizeof(float))
        return cpae__fail(CPAE_E_SIZE, fn, "n x d = %lld x %lld overflows",
                          (long long)n, (long long)d);
    if ((st = cpae__check_finite_f(x, nd, fn, "x")))
        return st;
    cpae_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a data set");
    ds->n = n;
    ds->d = d;
    ds->x = x;
    ds->labels = labels;
    *out = ds;
    return CPAE_OK;
}

void cpae_dataset_destroy(cpae_dataset *ds)
{
    if (!ds)
        return;
    free(ds->own_x);
    free(ds->own_labels);
    free(ds);
}

int32_t cpae_dataset_info(const cpae_dataset *ds, int64_t *n, int64_t *d,
                          int32_t *has_labels)
{
    static const char fn[] = "cpae_dataset_info";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")))
        return st;
    if (n)
        *n = ds->n;
    if (d)
        *d = ds->d;
    if (has_labels)
        *has_labels = ds->labels != NULL;
    return CPAE_OK;
}

int32_t cpae_dataset_data(const cpae_dataset *ds, const float **x)
{
    static const char fn[] = "cpae_dataset_data";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) || (st = cpae__check_ptr(x, fn, "x")))
        return st;
    *x = ds->x;
    return CPAE_OK;
}

int32_t cpae_dataset_labels(const cpae_dataset *ds, int32_t *labels, int64_t cap)
{
    static const char fn[] = "cpae_dataset_labels";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) ||
        (st = cpae__check_ptr(labels, fn, "labels")))
        return st;
    if (!ds->labels)
        return cpae__fail(CPAE_E_INVALID, fn, "the data set has no labels");
    if ((st = cpae__check_cap(cap, ds->n, fn, "labels")))
        return st;
    memcpy(labels, ds->labels, (size_t)ds->n * sizeof(int32_t));
    return CPAE_OK;
}

/* ---------------------------------------------------------------- split */

/* Copy the rows i with in_valid[i] == want, in order, into a new set. */
static int32_t take_rows(const cpae_dataset *ds, const bool *in_valid, bool want,
                         int64_t count, cpae_dataset **out, const char *fn)
{
    cpae_dataset *p = NULL;
    int32_t st;
    if ((st = ds_alloc(count, ds->d, ds->labels != NULL, &p, fn)))
        return st;
    int64_t k = 0;
    for (int64_t i = 0; i < ds->n; i++) {
        if (in_valid[i] != want)
            continue;
        memcpy(p->own_x + k * ds->d, ds->x + i * ds->d, (size_t)ds->d * sizeof(float));
        if (ds->labels)
            p->own_labels[k] = ds->labels[i];
        k++;
    }
    *out = p;
    return CPAE_OK;
}

int32_t cpae_dataset_split(const cpae_dataset *ds, double valid, uint64_t seed,
                           cpae_dataset **train, cpae_dataset **validation)
{
    static const char fn[] = "cpae_dataset_split";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) ||
        (st = cpae__check_ptr(train, fn, "train")) ||
        (st = cpae__check_ptr(validation, fn, "validation")))
        return st;
    if (train == validation)
        return cpae__fail(CPAE_E_INVALID, fn, "train and validation point to the "
                          "same handle");
    if (!(valid > 0.0 && valid < 1.0)) /* also refuses NaN */
        return cpae__fail(CPAE_E_INVALID, fn, "valid is %g; it must be in (0, 1)",
                          valid);
    int64_t n = ds->n;
    if (n < 2)
        return cpae__fail(CPAE_E_SIZE, fn, "the data set has %lld sample; a split "
                          "needs at least 2", (long long)n);
    int64_t n_valid = (int64_t)floor(valid * (double)n + 0.5);
    if (n_valid < 1)
        n_valid = 1;
    if (n_valid > n - 1)
        n_valid = n - 1;
    int64_t *idx = malloc((size_t)n * sizeof(int64_t));
    bool *in_valid = calloc((size_t)n, sizeof(bool));
    if (!idx || !in_valid) {
        free(idx);
        free(in_valid);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld indices",
                          (long long)n);
    }
    /* Fisher-Yates: idx is a seeded permutation; its first n_valid entries
     * form the validation part. */
    cpae_rng rng;
    cpae__rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(cpae__rng_next(&rng) % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    for (int64_t i = 0; i < n_valid; i++)
        in_valid[idx[i]] = true;
    free(idx);
    cpae_dataset *tr = NULL, *va = NULL;
    if (!(st = take_rows(ds, in_valid, false, n - n_valid, &tr, fn)) &&
        (st = take_rows(ds, in_valid, true, n_valid, &va, fn))) {
        cpae_dataset_destroy(tr);
    }
    free(in_valid);
    if (st)
        return st;
    *train = tr;
    *validation = va;
    return CPAE_OK;
}

/* --------------------------------------------------------- normalisation */

int32_t cpae_normalizer_fit(const cpae_dataset *ds, int32_t kind,
                            cpae_normalizer **out)
{
    static const char fn[] = "cpae_normalizer_fit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (!valid_norm(kind))
        return cpae__fail(CPAE_E_INVALID, fn, "unknown normalisation %d", (int)kind);
    cpae_normalizer *nz = calloc(1, sizeof *nz);
    if (!nz)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a normalizer");
    nz->kind = kind;
    nz->d = ds->d;
    if (kind == CPAE_NORM_NONE || kind == CPAE_NORM_SERIES_Z) {
        *out = nz; /* no fitted statistics */
        return CPAE_OK;
    }
    int64_t n = ds->n, d = ds->d;
    const float *x = ds->x;
    nz->shift = calloc((size_t)d, sizeof(double));
    nz->scale = calloc((size_t)d, sizeof(double));
    double *lo = malloc((size_t)d * sizeof(double));
    double *hi = malloc((size_t)d * sizeof(double));
    if (!nz->shift || !nz->scale || !lo || !hi) {
        free(lo);
        free(hi);
        cpae_normalizer_destroy(nz);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate statistics for %lld "
                          "features", (long long)d);
    }
    for (int64_t j = 0; j < d; j++)
        lo[j] = hi[j] = x[j];
    for (int64_t i = 0; i < n; i++) {
        const float *row = x + i * d;
        for (int64_t j = 0; j < d; j++) {
            double v = row[j];
            nz->shift[j] += v; /* sum, for the mean */
            if (v < lo[j])
                lo[j] = v;
            if (v > hi[j])
                hi[j] = v;
        }
    }
    if (kind == CPAE_NORM_MINMAX) {
        for (int64_t j = 0; j < d; j++) {
            nz->shift[j] = lo[j];
            nz->scale[j] = hi[j] > lo[j] ? hi[j] - lo[j] : 1.0;
        }
    } else { /* feature z: mean, then the population std (two passes) */
        for (int64_t j = 0; j < d; j++)
            nz->shift[j] /= (double)n;
        for (int64_t i = 0; i < n; i++) {
            const float *row = x + i * d;
            for (int64_t j = 0; j < d; j++) {
                double r = row[j] - nz->shift[j];
                nz->scale[j] += r * r;
            }
        }
        for (int64_t j = 0; j < d; j++) {
            double sd = sqrt(nz->scale[j] / (double)n);
            if (hi[j] == lo[j]) { /* constant: exact, so it maps to 0 */
                nz->shift[j] = lo[j];
                sd = 0.0;
            }
            nz->scale[j] = sd > 0.0 ? sd : 1.0;
        }
    }
    free(lo);
    free(hi);
    *out = nz;
    return CPAE_OK;
}

void cpae_normalizer_destroy(cpae_normalizer *norm)
{
    if (!norm)
        return;
    free(norm->shift);
    free(norm->scale);
    free(norm);
}

/* Each row to mean 0 and population std 1; constant rows to 0. */
static void series_z(const float *x, float *y, int64_t n, int64_t d)
{
    for (int64_t i = 0; i < n; i++) {
        const float *row = x + i * d;
        float *out = y + i * d;
        double sum = 0.0, lo = row[0], hi = row[0];
        for (int64_t j = 0; j < d; j++) {
            sum += row[j];
            lo = row[j] < lo ? row[j] : lo;
            hi = row[j] > hi ? row[j] : hi;
        }
        double mean = sum / (double)d, ss = 0.0;
        for (int64_t j = 0; j < d; j++)
            ss += (row[j] - mean) * (row[j] - mean);
        double sd = sqrt(ss / (double)d);
        if (hi == lo || !(sd > 0.0)) {
            memset(out, 0, (size_t)d * sizeof(float));
            continue;
        }
        /* |(x - mean) / sd| <= sqrt(d): never overflows. */
        for (int64_t j = 0; j < d; j++)
            out[j] = (float)((row[j] - mean) / sd);
    }
}

int32_t cpae_normalizer_apply(const cpae_normalizer *norm, cpae_dataset *ds)
{
    static const char fn[] = "cpae_normalizer_apply";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(norm, fn, "norm")) || (st = cpae__check_ptr(ds, fn, "ds")))
        return st;
    if (ds->d != norm->d)
        return cpae__fail(CPAE_E_SIZE, fn, "the data set has dimension %lld, the "
                          "normalizer was fitted on dimension %lld",
                          (long long)ds->d, (long long)norm->d);
    if (norm->kind == CPAE_NORM_NONE)
        return CPAE_OK;
    int64_t n = ds->n, d = ds->d;
    const float *x = ds->x;
    bool feature = norm->kind != CPAE_NORM_SERIES_Z;
    /* Statistics fitted elsewhere can send other data outside the float
     * range: check everything before changing anything. */
    for (int64_t i = 0; feature && i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = (x[i * d + j] - norm->shift[j]) / norm->scale[j];
            if (isinf((float)v))
                return cpae__fail(CPAE_E_NONFINITE, fn, "sample %lld, feature "
                                  "%lld: the normalised value %g is outside the "
                                  "float range; the data set is unchanged",
                                  (long long)i, (long long)j, v);
        }
    float *y = ds->own_x;
    if (!y) { /* borrowed: never write the caller's memory */
        y = malloc((size_t)(n * d) * sizeof(float));
        if (!y)
            return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a copy of %lld x "
                              "%lld values", (long long)n, (long long)d);
    }
    if (feature) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < d; j++)
                y[i * d + j] = (float)((x[i * d + j] - norm->shift[j]) / norm->scale[j]);
    } else {
        series_z(x, y, n, d);
    }
    ds->own_x = y;
    ds->x = y;
    return CPAE_OK;
}
