/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lines.c -- text as the data loaders see it: a line reader over a byte
 * source, a field tokenizer, number parsing and the messages for fields
 * that are not usable numbers. Shared by the text formats (text.c); kept
 * apart from them so each format only decides what a row means.
 *
 * A line is capped at MAX_LINE bytes and grows geometrically with the bytes
 * that really arrive; a NUL byte is an error (binary data). Every field must
 * be a complete finite number, read with strtod in the C locale (set by the
 * caller); a message quotes the field with its line and column. */
#include "data/data.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Longest text line, in bytes. */
#define MAX_LINE ((size_t)1 << 31)
/* Characters of a malformed field quoted in a message. */
#define SHOW_CHARS 40

/* ---------------------------------------------------------------- lines */

static int32_t line_append(struct cpae__data_lines *r, const uint8_t *p, size_t k)
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
int32_t cpae__data_next_line(struct cpae__data_lines *r, bool *more)
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
            if ((st = cpae__data_src_read(&r->src, r->chunk, CPAE__DATA_CHUNK, &got)))
                return st;
            r->clen = got;
            r->cpos = 0;
            r->eof = got < CPAE__DATA_CHUNK;
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

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool cpae__data_is_blank_line(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

void cpae__data_tok_init(struct cpae__data_tok *t, char *line, size_t len, int sep)
{
    t->line = line;
    t->len = len;
    t->pos = 0;
    t->sep = sep;
    t->done = false;
}

bool cpae__data_tok_next(struct cpae__data_tok *t, char **s, char **e)
{
    char *l = t->line;
    if (t->sep == CPAE__DATA_SEP_SPACE) {
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

int64_t cpae__data_count_fields(char *line, size_t len, int sep)
{
    struct cpae__data_tok t;
    char *s, *e;
    int64_t k = 0;
    cpae__data_tok_init(&t, line, len, sep);
    while (cpae__data_tok_next(&t, &s, &e))
        k++;
    return k;
}

/* Fields of a CSV header line: commas outside double quotes, plus one. */
int64_t cpae__data_count_header_fields(const char *line, size_t len)
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
const char *cpae__data_show(const char *s, const char *e, char *buf, size_t cap)
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

/* --------------------------------------------------------------- numbers */

/* Parse [s, e) as a number: the whole field, finite (the caller has set
 * the C locale). Writes a NUL at e for strtod and restores the byte. */
int cpae__data_parse_num(char *s, char *e, double *v)
{
    if (s == e)
        return CPAE__DATA_NUM_EMPTY;
    char save = *e;
    *e = '\0';
    errno = 0;
    char *end;
    double r = strtod(s, &end);
    int err = errno;
    *e = save;
    if (end != e)
        return CPAE__DATA_NUM_BAD;
    if (isnan(r))
        return CPAE__DATA_NUM_NAN;
    if (isinf(r))
        return err == ERANGE ? CPAE__DATA_NUM_RANGE : CPAE__DATA_NUM_INF;
    *v = r;
    return CPAE__DATA_NUM_OK;
}

/* The message for a field that is not a usable number. */
int32_t cpae__data_field_error(const struct cpae__data_lines *r, int kind, char *s,
                               char *e, int64_t field)
{
    char q[64];
    long long col = (long long)(s - r->line + 1);
    long long ln = (long long)r->lineno;
    const char *p = r->src.path, *fn = r->src.fn;
    cpae__data_show(s, e, q, sizeof q);
    switch (kind) {
    case CPAE__DATA_NUM_EMPTY:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: empty field (field "
                          "%lld)", p, ln, col, (long long)field);
    case CPAE__DATA_NUM_NAN:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: NaN is not allowed: "
                          "'%s' (field %lld)", p, ln, col, q, (long long)field);
    case CPAE__DATA_NUM_INF:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: infinity is not "
                          "allowed: '%s' (field %lld)", p, ln, col, q,
                          (long long)field);
    case CPAE__DATA_NUM_RANGE:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: number out of range: "
                          "'%s' (field %lld)", p, ln, col, q, (long long)field);
    default:
        return cpae__fail(CPAE_E_FORMAT, fn, "%s:%lld:%lld: not a number: '%s' "
                          "(field %lld)", p, ln, col, q, (long long)field);
    }
}
