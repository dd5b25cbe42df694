/*
 * ids/parse.h — the rule parser's position and variables, shared by the
 * rule parser (parse.c, options.c) and the address/port parser
 * (netspec.c).
 */
#ifndef WARD_IDS_PARSE_H
#define WARD_IDS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "ids/internal.h"

/* ipvar / portvar NAME VALUE lines, and the built-in defaults. */
struct ids_var {
    char *name, *value;
    bool ports;
};

struct ids_lex {
    const char *name; /* file name for errors */
    unsigned line;
    const char *opt; /* the option being parsed, NULL in the header */
    char *err;
    size_t errlen;
    struct ids_var *vars;
    size_t n_vars;
    ward_ids *ids;
};

/* "name:line:col: error: [option 'x': ]..." into L->err; col counts from
 * 0 here. Returns -1. */
int ids_fail(struct ids_lex *L, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const struct ids_var *ids_var_find(const struct ids_lex *L, const char *name, bool ports);
/* One address (ports false) or port set: tok[0, n), at column col. */
int ids_spec_parse(struct ids_lex *L, const char *tok, size_t n, size_t col, bool ports,
                   struct spec *out);
/* One option "name[:value]" of rule r. name/value point into the line;
 * vcol: the value's column. */
int ids_option(struct ids_lex *L, struct rule *r, const char *name, size_t ncol, const char *value,
               size_t vlen, size_t vcol);
/* After the last option: what a rule as a whole needs. */
int ids_rule_check(struct ids_lex *L, struct rule *r, size_t col);

#endif
