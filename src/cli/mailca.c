/* cli/mailca.c — `ward mail-ca`: the local CA of the mail proxy's TLS
 * (docs/MAILTLS.md), made if it is not there yet. Prints its
 * certificate's path (or, with --pem, the certificate), which the user
 * imports into the mail client as a trusted authority; --issue HOST also
 * issues (or finds) the leaf for HOST and prints its file's path. */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "mailtls/mailtls.h"

static int print_file(const char *path)
{
    FILE *f = fopen(path, "re");
    char buf[4096];
    size_t n;
    if (!f) {
        perror(path);
        return 1;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

int cmd_mailca(int argc, char **argv)
{
    const char *env = getenv("WARD_MAIL_CA_DIR");
    const char *dir = env && *env ? env : WARD_MAILTLS_CA_DIR, *issue = NULL;
    int pem = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!strcmp(argv[i], "--issue") && i + 1 < argc) {
            issue = argv[++i];
        } else if (!strcmp(argv[i], "--pem")) {
            pem = 1;
        } else {
            fprintf(stderr, "usage: %s mail-ca [--dir DIR] [--pem] [--issue HOST]\n", cli_prog);
            return EXIT_USAGE;
        }
    }
    char err[512];
    struct ward_mailtls *t = ward_mailtls_new(dir, NULL, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "%s: mail CA: %s\n", cli_prog, err);
        return 1;
    }
    int rc = pem ? print_file(ward_mailtls_ca_path(t)) : (puts(ward_mailtls_ca_path(t)), 0);
    X509 *cert;
    EVP_PKEY *key;
    if (rc == 0 && issue) {
        if (ward_mailtls_leaf(t, issue, &cert, &key, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: mail CA: %s\n", cli_prog, err);
            rc = 1;
        } else {
            X509_free(cert);
            EVP_PKEY_free(key);
            printf("%s/hosts/", dir);
            for (const char *c = issue; *c && strcmp(c, "."); c++)
                putchar(tolower((unsigned char)*c)); /* the name as certificates hold it */
            puts(".pem");
        }
    }
    ward_mailtls_free(t);
    return rc;
}
