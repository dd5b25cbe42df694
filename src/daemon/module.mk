# wardd: everything but the CLI; OpenSSL for syslog over TLS.
wardd_USES   := alert callout compile engine kernel log mail policy proc proto ring scand service store stream util
wardd_LDLIBS := -lssl -lcrypto
