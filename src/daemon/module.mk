# wardd: everything but the CLI. OpenSSL (syslog over TLS, dpkg's MD5s) is
# not linked: src/daemon/openssl.c loads it by the soname read here.
wardd_USES   := alert callout compile engine kernel log mail policy proc proto ring scand service store stream util
wardd_LDLIBS :=
WARDD_SSL_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir libssl 2>/dev/null || \
	echo /usr/lib/$$(gcc -print-multiarch))/libssl.so 2>/dev/null | awk '/SONAME/ { print $$2 }')
daemon_CFLAGS := -DWARDD_SSL_SONAME='"$(or $(WARDD_SSL_SONAME),libssl.so.3)"'

