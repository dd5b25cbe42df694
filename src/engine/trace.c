/*
 * trace.c — the explain trace: every step of one classification, each with
 * a sentence a person can read, and its formatting as indented text.
 */
#define _POSIX_C_SOURCE 200809L
#include "engine/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ward_trace {
    ward_trace_step *steps;
    size_t n, cap;
    bool oom; /* a step could not be recorded: the formatted trace says so */
};

ward_trace *ward_trace_new(void)
{
    return calloc(1, sizeof(ward_trace));
}

void trace_reset(ward_trace *t)
{
    for (size_t i = 0; i < t->n; i++)
        free((char *)t->steps[i].text);
    t->n = 0;
    t->oom = false;
}

void ward_trace_free(ward_trace *t)
{
    if (!t)
        return;
    trace_reset(t);
    free(t->steps);
    free(t);
}

void trace_add(ward_trace *t, const ward_trace_step *step, const char *fmt, ...)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        ward_trace_step *v = realloc(t->steps, cap * sizeof(*v));
        if (!v) {
            t->oom = true;
            return;
        }
        t->steps = v;
        t->cap = cap;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ward_trace_step *s = &t->steps[t->n];
    *s = *step;
    if (!(s->text = strdup(buf))) {
        t->oom = true;
        return;
    }
    t->n++;
}

ward_trace_step *trace_step_mut(ward_trace *t, size_t i)
{
    return &t->steps[i];
}

ward_trace_step *trace_last(ward_trace *t)
{
    return t->n ? &t->steps[t->n - 1] : NULL;
}

size_t ward_trace_count(const ward_trace *t)
{
    return t->n;
}

const ward_trace_step *ward_trace_at(const ward_trace *t, size_t i)
{
    return i < t->n ? &t->steps[i] : NULL;
}

static const char *outcome_tag(const ward_trace_step *s)
{
    if (s->kind != WARD_STEP_SUBLAYER)
        return "";
    switch (s->outcome) {
    case WARD_OUT_OVERRIDDEN:
        return " [later overridden]";
    default:
        return "";
    }
}

size_t ward_trace_format(const ward_trace *t, char *buf, size_t len)
{
    size_t need = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ward_trace_step *s = &t->steps[i];
        const char *indent = "";
        switch (s->kind) {
        case WARD_STEP_SUBLAYER_START:
        case WARD_STEP_FINAL:
            indent = "";
            break;
        case WARD_STEP_SUBLAYER:
            indent = "  => ";
            break;
        case WARD_STEP_CHECK:
            indent = i == 0 ? "" : "  ";
            break;
        default:
            indent = "  ";
        }
        int n = snprintf(need < len ? buf + need : NULL, need < len ? len - need : 0, "%s%s%s\n",
                         indent, s->text, outcome_tag(s));
        if (n > 0)
            need += (size_t)n;
    }
    if (t->oom) {
        int n = snprintf(need < len ? buf + need : NULL, need < len ? len - need : 0,
                         "(trace incomplete: out of memory)\n");
        if (n > 0)
            need += (size_t)n;
    }
    if (len && need >= len)
        buf[len - 1] = '\0';
    return need;
}
