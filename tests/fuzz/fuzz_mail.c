/*
 * fuzz_mail — libFuzzer target for the mail proxy's protocol state machines
 * (src/mail: session.c, state.c, smtp.c, pop3.c, imap.c). The input is a protocol
 * (its first byte) and a conversation: records of one byte saying who
 * speaks (client, server) or how a held message is decided (deliver,
 * refuse, deliver a replacement), one byte of length and the bytes. What the session queues for each side
 * is taken as if sent. It must never crash, never hold a message beyond
 * its bound, and always answer a held message's decision.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mail/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct mail_session s;
    mail_session_init(&s, (enum mail_proto)(data[0] % 3));
    size_t i = 1;
    while (i + 2 <= size && !s.failed) {
        uint8_t who = data[i] % 5;
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        const void *p = data + i;
        i += len;
        if (who == 0)
            mail_session_client(&s, p, len);
        else if (who == 1)
            mail_session_server(&s, p, len);
        else if (s.pending &&
                 mail_session_decide(&s, who != 3, who == 4 ? p : NULL, len, "refused") < 0 &&
                 !s.failed)
            abort(); /* a held message always takes its decision */
        if (s.msg.len > MAIL_MAX_MESSAGE || s.n_expect > MAIL_EXPECT_MAX)
            abort();
        s.to_client.len = s.to_server.len = 0; /* sent */
    }
    mail_session_free(&s);
    return 0;
}
