# wardd: everything but the CLI. OpenSSL (syslog over TLS, dpkg's MD5s) is
# not linked: src/daemon/openssl.c loads it by the soname read here.
wardd_USES   := alert callout compile engine kernel log mail policy proc proto ring scand service store stream util
wardd_LDLIBS :=
daemon_CFLAGS := -DWARDD_SSL_SONAME='"$(call soname_of,libssl,ssl,libssl.so.3)"'

