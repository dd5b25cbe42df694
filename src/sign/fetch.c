/*
 * fetch.c — a bundle from a URL (libcurl). https certificates and host
 * names are verified (libcurl's defaults, kept on purpose); http and file
 * serve tests and signed bundles on a trusted network: the signature, not
 * the transport, is what makes a bundle trusted.
 */
#define _GNU_SOURCE
#include "sign/internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool ward_sign_is_url(const char *s)
{
    return !strncmp(s, "https://", 8) || !strncmp(s, "http://", 7) || !strncmp(s, "file://", 7);
}

struct sink {
    FILE *f;
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t len = size * n;
    /* Returning short stops the transfer: a bundle is never this large. */
    if (s->len + len > WARD_BUNDLE_MAX_BYTES)
        return 0;
    s->len += len;
    return fwrite(p, 1, len, s->f);
}

int ward_sign_fetch(const char *url, const char *out, char *err, size_t errlen)
{
    if (!ward_sign_is_url(url)) {
        ward_errbuf_set(err, errlen, "%s: not an https, http or file URL", url);
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ward_errbuf_set(err, errlen, "%s: libcurl does not start", url);
        return -1;
    }
    struct sink s = {fopen(out, "we"), 0};
    CURL *c = curl_easy_init();
    char cerr[CURL_ERROR_SIZE] = "";
    int rc = -1;
    if (!s.f || !c) {
        ward_errbuf_set(err, errlen, "%s: %s", url, s.f ? "out of memory" : strerror(errno));
        goto out;
    }
    const char *ca = getenv("WARD_CA_FILE");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ward-bundle/1");
    if (ca && *ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        ward_errbuf_set(err, errlen, "%s: %s", url,
                        s.len > WARD_BUNDLE_MAX_BYTES / 2 && cc == CURLE_WRITE_ERROR
                            ? "larger than a bundle can be"
                            : (*cerr ? cerr : curl_easy_strerror(cc)));
        goto out;
    }
    rc = 0;
out:
    if (c)
        curl_easy_cleanup(c);
    if (s.f && fclose(s.f) != 0 && rc == 0) {
        ward_errbuf_set(err, errlen, "%s: %s", out, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(out);
    return rc;
}
