# TLS for the mail proxy (docs/MAILTLS.md): the local CA, per-host
# certificates, verified upstream TLS and STARTTLS; OpenSSL's.
mailtls_USES   := util
mailtls_LDLIBS := -lssl -lcrypto

# The library on real sockets, for tests/mailtls (built with the tests).
$(BUILD_DIR)/tests/mailtls-probe: $(BUILD_DIR)/obj/tests/mailtls/probe.o $$(call prog_libs,mailtls_probe)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(call prog_link,mailtls_probe)
mailtls_probe_USES := mailtls
tests: $(BUILD_DIR)/tests/mailtls-probe

# The fuzzer of the STARTTLS state machines and host names: those files
# alone, no OpenSSL.
build/fuzz/fuzz_starttls: tests/fuzz/fuzz_starttls.c src/mailtls/starttls.c src/mailtls/host.c \
                          src/mailtls/starttls.h src/mailtls/internal.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_starttls.c src/mailtls/starttls.c src/mailtls/host.c
