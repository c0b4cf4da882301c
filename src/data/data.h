/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* data.h -- what the files of the data wing share: the data-set handle, the
 * zlib-backed byte source with its byte limit, the line reader and field
 * tokenizer, and the two parsers the public loaders call. The wing is a
 * side wing: it includes only core/ and data/, and nothing else in the
 * library includes it. Only cpae_ symbols are exported, so everything
 * here is cpae__data_ prefixed. Internal; never installed.
 *
 * The files: source.c (reading through zlib), lines.c (lines, fields,
 * numbers and their messages), text.c (UCR and CSV), idx.c (IDX images
 * and labels), dataset.c (the public cpae_dataset_* handle, loading entry
 * points, split) and normalizer.c (cpae_normalizer_*). Formats, limits and
 * messages are described in docs/data.md.
 *
 * Loaders trust nothing. Every file is read through zlib (plain files pass
 * through unchanged), a truncated or corrupted gzip stream is an error,
 * text is parsed field by field with strtod in the C locale and every field
 * must be a complete finite number, every row must have the width of the
 * first, and IDX sizes are checked against the library limit before
 * anything is allocated and against the bytes actually present while the
 * data is read. Buffers grow geometrically with the data that really
 * arrives, so a header that lies about its size costs nothing. */
#ifndef CPAE_DATA_H
#define CPAE_DATA_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Bytes asked of zlib per call, and the size of every read buffer. */
#define CPAE__DATA_CHUNK ((size_t)1 << 16)

/* ---------------------------------------------------------------- handle */

struct cpae_dataset {
    int64_t n, d;
    const float *x;         /* current samples, n x d */
    float *own_x;           /* == x when owned, NULL when borrowed */
    const int32_t *labels;  /* n labels or NULL */
    int32_t *own_labels;    /* == labels when owned, NULL when borrowed */
};

/* A data set taking ownership of x (n x d) and labels (may be NULL); on
 * failure both are freed (dataset.c). */
int32_t cpae__data_adopt(float *x, int32_t *labels, int64_t n, int64_t d,
                         cpae_dataset **out, const char *fn);

/* ------------------------------------------------------- source (zlib) */

/* A file read through zlib: gzip streams are decompressed, anything else
 * is passed through as it is. */
struct cpae__data_src {
    gzFile gz;
    const char *path;
    const char *fn;
    int64_t delivered; /* decompressed bytes handed out so far */
    int64_t limit;     /* cap on decompressed bytes (and 4 x values) */
};

/* The most values a load may store (its byte cap as floats, within the
 * library's absolute limit). */
int64_t cpae__data_max_values(const struct cpae__data_src *s);
/* Open a regular file for reading with at most limit decompressed bytes;
 * fn names the public function in messages. */
int32_t cpae__data_src_open(struct cpae__data_src *s, const char *path, int64_t limit,
                            const char *fn);
/* Read up to cap bytes; *got < cap only at the end of the data. */
int32_t cpae__data_src_read(struct cpae__data_src *s, uint8_t *buf, size_t cap,
                            size_t *got);
/* Close; with st == CPAE_OK also report an error found only at closing. */
int32_t cpae__data_src_close(struct cpae__data_src *s, int32_t st);

/* ------------------------------------------------------ lines and fields */

/* Text read line by line from a source. */
struct cpae__data_lines {
    struct cpae__data_src src;
    uint8_t *chunk;    /* CPAE__DATA_CHUNK bytes, allocated by the caller */
    size_t clen, cpos;
    bool eof;
    char *line;        /* current line, NUL-terminated, without "\r\n" */
    size_t len, cap;
    int64_t lineno;    /* 1-based number of the current line */
};

/* The next line into r->line; *more is false at the end of the file. */
int32_t cpae__data_next_line(struct cpae__data_lines *r, bool *more);

/* Field separators. */
enum {
    CPAE__DATA_SEP_SPACE = ' ',
    CPAE__DATA_SEP_TAB = '\t',
    CPAE__DATA_SEP_COMMA = ','
};

/* Splits a line into fields. CPAE__DATA_SEP_SPACE: runs of white space
 * separate fields, leading and trailing white space is ignored.
 * CPAE__DATA_SEP_TAB / CPAE__DATA_SEP_COMMA: each separator ends a field
 * ("a,,b" has an empty middle field) and white space around a field is
 * ignored. */
struct cpae__data_tok {
    char *line;
    size_t len, pos;
    int sep;
    bool done;
};

void cpae__data_tok_init(struct cpae__data_tok *t, char *line, size_t len, int sep);
/* The next field as [*s, *e); false after the last. */
bool cpae__data_tok_next(struct cpae__data_tok *t, char **s, char **e);
int64_t cpae__data_count_fields(char *line, size_t len, int sep);
/* Fields of a CSV header line: commas outside double quotes, plus one. */
int64_t cpae__data_count_header_fields(const char *line, size_t len);
bool cpae__data_is_blank_line(const char *s, size_t len);

/* The field [s, e) quoted for a message in buf: at most SHOW_CHARS
 * (lines.c) characters, control characters as '?'. Returns buf. */
const char *cpae__data_show(const char *s, const char *e, char *buf, size_t cap);

/* What cpae__data_parse_num found. */
enum {
    CPAE__DATA_NUM_OK,
    CPAE__DATA_NUM_EMPTY,
    CPAE__DATA_NUM_BAD,
    CPAE__DATA_NUM_NAN,
    CPAE__DATA_NUM_INF,
    CPAE__DATA_NUM_RANGE
};

/* Parse [s, e) as a number: the whole field, finite (the caller has set
 * the C locale). */
int cpae__data_parse_num(char *s, char *e, double *v);
/* The message for a field that is not a usable number (kind from
 * cpae__data_parse_num; field counts from 1). */
int32_t cpae__data_field_error(const struct cpae__data_lines *r, int kind, char *s,
                               char *e, int64_t field);

/* --------------------------------------------------------------- parsers */

/* UCR, CSV or CSV_HEADER file into a new data set (text.c). */
int32_t cpae__data_load_text(const char *path, int32_t format, int64_t limit,
                             cpae_dataset **out, const char *fn);
/* IDX images and, when labels_path is not NULL, labels (idx.c). */
int32_t cpae__data_load_idx(const char *images_path, const char *labels_path,
                            int64_t limit, cpae_dataset **out, const char *fn);

#endif
