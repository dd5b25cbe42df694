/*
 * policy/internal.h — the policy module's private structures.
 */
#ifndef WARD_POLICY_INTERNAL_H
#define WARD_POLICY_INTERNAL_H

#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- Growing string buffer ----------------------------------------------- */

struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};
void sb_putc(struct sbuf *b, char c);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* ---- Arena: everything a load builds lives here and dies with it --------- */

struct arena {
    struct arena_block *head;
    bool oom;
};
void *arena_alloc(struct arena *a, size_t n); /* zeroed; NULL sets a->oom */
char *arena_strdup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

/* Grows an arena array geometrically: a pointer to the new slot (zeroed), or
 * NULL when out of memory. Appending n elements costs O(n) time and memory. */
void *arena_push(struct arena *a, void *vec_ptr, size_t *n, size_t *cap, size_t size);

/* Name -> index, on the arena: lookups of zones, lists and filter names stay
 * constant-time however many a policy defines. */
struct nmap {
    const char **keys;
    size_t *vals;
    size_t cap, n;
};
bool nmap_put(struct arena *a, struct nmap *m, const char *key, size_t val);
bool nmap_get(const struct nmap *m, const char *key, size_t *val);

/* ---- Sources and tokens -------------------------------------------------- */

struct source {
    const char *path; /* as shown in messages */
    const char *text; /* NUL-terminated */
    size_t len;
    const char *root; /* the policy tree the file belongs to (realpath) */
    bool quiet;       /* never quote its lines (it failed a check before parsing) */
    int cur_line;     /* diag's cursor: errors come mostly in order, so */
    size_t cur_off;   /* finding a line is linear over a whole run */
};

enum tok_type { T_EOF, T_WORD, T_STRING, T_MACRO, T_LBRACE, T_RBRACE, T_COMMA, T_EQ, T_BANG };

struct token {
    enum tok_type type;
    const char *text; /* words, strings (unescaped), macro names */
    int line, col;
    bool bol; /* the first token of its line (a statement starts here) */
    bool bad; /* the lexer reported it (an unterminated string) */
    int src;  /* index into load.srcs */
};

/* ---- The load -------------------------------------------------------------- */

struct zone_def {
    const char *name;
    ward_cidr *cidrs;
    size_t n;
};

enum list_kind { LIST_PORTS, LIST_DOMAINS };
struct list_def {
    const char *name;
    enum list_kind kind;
    ward_range *ranges;
    const char **strs;
    size_t n;
};

/* Who may own a policy file (root and the caller are always trusted), or
 * that nobody is asked (fuzzing, in-memory policies). Kept by the handle,
 * read by files.c. */
struct secrecy {
    uid_t trusted[8];
    size_t n_trusted;
    bool skip;
};
bool secrecy_trusts(const struct secrecy *s, uid_t uid);
/* policy.c: the callout names ward_policy_allow_callouts gave (or NULL). */
const char *const *policy_extra_callouts(const ward_policy *p);

struct load {
    ward_policy *pol;
    const struct secrecy *secrecy; /* the handle's: who may own the files */
    ward_engine *e;
    ward_settings settings;
    ward_policy_extras extras;
    unsigned set_seen; /* bit per setting: each may be set once */
    bool defaults_seen[WARD_LAYER_COUNT];
    struct arena arena;
    struct sbuf diag;
    size_t errors;
    bool stopped; /* WARD_POLICY_MAX_ERRORS reached: the load ends here */
    size_t bytes; /* read so far, every file of the load together */

    struct source *srcs;
    size_t n_srcs;
    const char **stack; /* realpaths of files being parsed: include loops */
    size_t depth;

    struct zone_def *zones;
    size_t n_zones, cap_zones;
    struct nmap zone_index;
    struct list_def *lists;
    size_t n_lists, cap_lists;
    struct nmap list_index;
    struct nmap filter_names;
    struct fstate *fstate; /* parser.c's scratch for one filter's conditions */

    /* One rule added to a live engine (ward_policy_add_rule). */
    bool control;              /* app rules: the defaults below apply */
    uint32_t default_provider; /* of a rule that names none */
    uint64_t session;          /* what a `session` lifetime belongs to */
    int64_t last_rule;         /* the id app_rule appended */
    int64_t last_filter;       /* the id stmt_filter added */
    bool force_dynamic;        /* a filter without a lifetime gets `session`'s */
    struct nmap fallbacks;     /* app path -> enum ward_app_fallback given in this load */
    /* Top-level files from this index on hold the learned rules (0: none),
     * whose pin may replace the administrator's: the user vouched for a
     * changed binary. */
    size_t learned_from;
    size_t top; /* the top-level file being parsed */
};

/* limits.c: a rate ("2mbit": bits a second), a size ("10GB": bytes), a
 * quota period ("day": enum ward_quota_period, -1 if none). */
bool limit_rate_word(const char *s, uint64_t *bits);
bool limit_size_word(const char *s, uint64_t *bytes);

/* mail.c: the words of mail rules, in their enums' order. */
extern const char *const mail_what_words[];
extern const char *const mail_outcome_words[];
extern const char *const mail_tls_proto_words[];
int limit_period_word(const char *s);

/* lexer.c: tokens of one source; lexical errors are reported through diag. */
struct token *lex_source(struct load *ld, int src, size_t *n_out);

/* diag.c */
void diag_at(struct load *ld, const struct token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_pos(struct load *ld, int src, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diag_plain(struct load *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* file:line:col without quoting the line (what is there is not fit to show). */
void diag_pos_quiet(struct load *ld, int src, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The nearest candidate within a small edit distance, or NULL. */
const char *suggest(const char *word, const char *const *candidates);

/* files.c: reading a policy file with pfctl's secrecy checks. Returns the
 * index of the new source, or -1 after reporting why (at `at` if given). */
int source_open(struct load *ld, const char *path, const char *root, const struct token *at);
/* Directory include: the matching names in name order (arena strings). */
const char **dir_glob(struct load *ld, const char *dir, const char *pattern, size_t *n,
                      const struct token *at);
/* Refuses (and reports) a source that is not text: NUL or other control
 * bytes, or invalid UTF-8. Nothing of it is quoted. */
bool source_is_text(struct load *ld, int src);

/* parser.c: parses and applies one source to ld->e. */
void parse_source(struct load *ld, int src);
/* One application rule ("allow out tcp port 443 ...") for app_id, appended
 * to ld->e when it has no error; its id in ld->last_rule. */
bool parse_one_rule(struct load *ld, int src, uint64_t app_id, const char *path);
/* One `filter ...`, `sublayer ...` or `provider ...` statement added to
 * ld->e: its id in *id, its WARD_OBJ_* kind in *kind. */
bool parse_one_object(struct load *ld, int src, int *kind, int64_t *id);

/* words.c: the words both the parser and the printer use. */
const char *layer_word(enum ward_layer l);
int layer_from_word(const char *w);
bool layer_is_inbound(enum ward_layer l);
int proto_number(const char *w); /* a protocol's name, or -1 */
/* The order conditions are given to the engine (and printed in). */
int policy_field_rank(enum ward_field f);

/* policy.c */
void policy_commit_zones(ward_policy *p, const struct zone_def *z, size_t n);

#endif
