# Signed bundles (libsodium Ed25519) and their download (libcurl): policy
# bundles and rule updates share them. The format's parser is fuzzed by
# tests/fuzz/fuzz_bundle.c, built here against the parser alone.
sign_USES   := util
sign_LDLIBS := -lsodium -lcurl
build/fuzz/fuzz_bundle: tests/fuzz/fuzz_bundle.c src/sign/manifest.c src/util/errbuf.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $^ -lsodium
