/*
 * compile.c — loading a rule set: parse, then one Hyperscan database of
 * each rule's longest content (its "fast pattern"). A scan of the new
 * bytes names the rules worth confirming; rules without a content are
 * confirmed on every packet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ids/hslib.h"
#include "ids/internal.h"

#define FILE_MAX (64u << 20)

void ids_rule_free(struct rule *r)
{
    ids_spec_free(&r->src);
    ids_spec_free(&r->sport);
    ids_spec_free(&r->dst);
    ids_spec_free(&r->dport);
    free(r->msg);
    free(r->classtype);
    free(r->program);
    for (size_t i = 0; i < r->n_contents; i++)
        free(r->contents[i].bytes);
    free(r->contents);
    for (size_t i = 0; i < r->n_pcres; i++)
        pcre2_code_free(r->pcres[i]);
    free(r->pcres);
    free(r->flowbits);
}

void ward_ids_free(ward_ids *ids)
{
    if (!ids)
        return;
    for (size_t i = 0; i < ids->n_rules; i++)
        ids_rule_free(&ids->rules[i]);
    free(ids->rules);
    for (size_t i = 0; i < ids->n_bits; i++)
        free(ids->bits[i]);
    free(ids->bits);
    if (ids->hs) {
        ids->hs->free_scratch(ids->scratch);
        ids->hs->free_database(ids->db);
    }
    free(ids->always);
    free(ids->cand);
    pcre2_match_data_free(ids->md);
    free(ids->thr);
    free(ids);
}

size_t ward_ids_count(const ward_ids *ids)
{
    return ids->n_rules;
}

/* A content as a Hyperscan expression: every byte escaped. */
static char *hs_literal(const struct content *c)
{
    char *e = malloc(c->len * 4 + 1), *o = e;
    if (!e)
        return NULL;
    for (size_t i = 0; i < c->len; i++)
        o += sprintf(o, "\\x%02x", c->bytes[i]);
    return e;
}

int ids_compile(ward_ids *ids, const char *name, char *err, size_t errlen)
{
    size_t n = ids->n_rules, n_hs = 0;
    char **exprs = calloc(n + 1, sizeof(*exprs));
    unsigned *flags = calloc(n + 1, sizeof(*flags)), *hs_ids = calloc(n + 1, sizeof(*hs_ids));
    ids->always = calloc(n + 1, sizeof(*ids->always));
    ids->cand = calloc(n + 1, 1);
    ids->md = pcre2_match_data_create(16, NULL);
    int rc = -1;
    if (!exprs || !flags || !hs_ids || !ids->always || !ids->cand || !ids->md) {
        snprintf(err, errlen, "%s: error: out of memory", name);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct rule *r = &ids->rules[i];
        for (size_t k = 0; k < r->n_contents; k++)
            if (!r->contents[k].neg &&
                (r->fast < 0 || r->contents[k].len > r->contents[r->fast].len))
                r->fast = (int32_t)k;
        if (r->fast < 0) {
            ids->always[ids->n_always++] = (uint32_t)i;
            continue;
        }
        const struct content *c = &r->contents[r->fast];
        if (!(exprs[n_hs] = hs_literal(c))) {
            snprintf(err, errlen, "%s: error: out of memory", name);
            goto out;
        }
        flags[n_hs] = HS_FLAG_SINGLEMATCH | (c->nocase ? HS_FLAG_CASELESS : 0);
        hs_ids[n_hs++] = (unsigned)i;
        if (c->len > ids->max_fast)
            ids->max_fast = c->len;
    }
    if (n_hs > 0) {
        char why[300];
        if (!(ids->hs = ids_hs(why, sizeof(why)))) {
            snprintf(err, errlen, "%s: error: hyperscan: %s", name, why);
            goto out;
        }
        hs_compile_error_t *ce = NULL;
        if (ids->hs->compile_multi((const char *const *)exprs, flags, hs_ids, (unsigned)n_hs,
                                   HS_MODE_BLOCK, NULL, (hs_database_t **)&ids->db,
                                   &ce) != HS_SUCCESS) {
            snprintf(err, errlen, "%s: error: hyperscan: %s", name, ce ? ce->message : "failed");
            ids->hs->free_compile_error(ce);
            goto out;
        }
        if (ids->hs->alloc_scratch(ids->db, (hs_scratch_t **)&ids->scratch) != HS_SUCCESS) {
            snprintf(err, errlen, "%s: error: hyperscan: no scratch space", name);
            goto out;
        }
    }
    rc = 0;
out:
    for (size_t i = 0; i < n_hs; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(hs_ids);
    return rc;
}

ward_ids *ward_ids_load_text(const char *name, const char *text, size_t len, char *err,
                             size_t errlen)
{
    static _Atomic uint64_t next_gen = 1;
    ward_ids *ids = calloc(1, sizeof(*ids));
    if (!ids) {
        snprintf(err, errlen, "%s: error: out of memory", name);
        return NULL;
    }
    ids->gen = next_gen++;
    if (ids_parse(ids, name, text, len, err, errlen) < 0 ||
        ids_compile(ids, name, err, errlen) < 0) {
        ward_ids_free(ids);
        return NULL;
    }
    return ids;
}

ward_ids *ward_ids_load_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: error: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
        snprintf(err, errlen, "%s: error: not a regular file of at most 64 MiB", path);
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *text = malloc(len + 1);
    while (text && got < len) {
        ssize_t r = read(fd, text + got, len - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!text || got != len) {
        snprintf(err, errlen, "%s: error: cannot read it", path);
        free(text);
        return NULL;
    }
    ward_ids *ids = ward_ids_load_text(path, text, len, err, errlen);
    free(text);
    return ids;
}

const char *ward_ids_action_name(enum ward_ids_action a)
{
    static const char *const names[] = {"none", "alert", "drop", "reject", "pass"};
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}
