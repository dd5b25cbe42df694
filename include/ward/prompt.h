/*
 * ward/prompt.h — a question to the user and its answer.
 *
 * When no rule decides a program's connection, wardd holds it and asks;
 * the answer says what to do (allow or deny), for which destinations (its
 * scope) and for how long (its duration), and is learned as an application
 * rule (src/service). The control protocol carries these values; it does
 * not define them.
 */
#ifndef WARD_PROMPT_H
#define WARD_PROMPT_H

#include <stdint.h>

#include "ward/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an answer reaches. */
enum ward_scope {
    WARD_SCOPE_DESTINATION, /* this remote address (or domain) and port */
    WARD_SCOPE_PORT,        /* this remote port, any address */
    WARD_SCOPE_ANY,         /* any destination */
};

/* How long an answer lasts. */
enum ward_duration {
    WARD_DUR_ONCE,
    WARD_DUR_MINUTES,       /* `minutes` minutes */
    WARD_DUR_UNTIL_EXIT,    /* until the program (pid, start time) exits */
    WARD_DUR_UNTIL_RESTART, /* until wardd restarts */
    WARD_DUR_FOREVER,       /* a persistent learned rule */
};

typedef struct ward_answer {
    enum ward_action action; /* PERMIT or BLOCK */
    enum ward_scope scope;
    enum ward_duration duration;
    uint32_t minutes; /* WARD_DUR_MINUTES: 1 .. 525600 */
} ward_answer;

#ifdef __cplusplus
}
#endif
#endif /* WARD_PROMPT_H */
