# Callouts: the registry (library), the host process shared-object callouts
# run in (ward-callout-host), the example callout and the test callouts.
#
# Callouts are plain shared objects built without sanitizers (they are
# loaded into the host, as third-party code would be).

callout_EXCLUDE := src/callout/host_main.c
callout_USES    := engine ids util
callout_LDLIBS  := -lpcre2-8

CALLOUT_SO_DIR := $(BUILD_DIR)/callouts
CALLOUT_SO_CFLAGS := -std=c17 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -Iinclude

$(BUILD_DIR)/bin/ward-callout-host: $(BUILD_DIR)/obj/callout/host_main.o
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< -ldl
EXTRA_PROGRAMS += $(BUILD_DIR)/bin/ward-callout-host

# The example of docs/ENGINE.md.
$(CALLOUT_SO_DIR)/portguard.so: examples/callouts/portguard.c include/ward/callout.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  SO      $@"
	$(Q)$(CC) $(CALLOUT_SO_CFLAGS) -o $@ $<

# Test callouts: one source, built as a well-behaved callout and as one
# built for another ABI.
$(CALLOUT_SO_DIR)/six.so: tests/callout/six.c include/ward/callout.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  SO      $@"
	$(Q)$(CC) $(CALLOUT_SO_CFLAGS) -o $@ $<
$(CALLOUT_SO_DIR)/badabi.so: tests/callout/six.c include/ward/callout.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  SO      $@"
	$(Q)$(CC) $(CALLOUT_SO_CFLAGS) -DSIX_ABI=99 -DSIX_NAME='"badabi"' -o $@ $<
# The stream layer's test callout.
$(CALLOUT_SO_DIR)/streamer.so: tests/callout/streamer.c include/ward/callout.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  SO      $@"
	$(Q)$(CC) $(CALLOUT_SO_CFLAGS) -D_GNU_SOURCE -o $@ $<
EXTRA_PROGRAMS += $(CALLOUT_SO_DIR)/portguard.so $(CALLOUT_SO_DIR)/six.so $(CALLOUT_SO_DIR)/badabi.so \
                  $(CALLOUT_SO_DIR)/streamer.so

# The blocklist parser's fuzzer: the parser alone, not the whole module.
build/fuzz/fuzz_dnsfilter: tests/fuzz/fuzz_dnsfilter.c src/callout/dnsfilter.c src/callout/dnsfilter.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_dnsfilter.c src/callout/dnsfilter.c -lpcre2-8

# The web parsers' fuzzer (HTTP request head, TLS ClientHello): the parsers alone.
build/fuzz/fuzz_webparse: tests/fuzz/fuzz_webparse.c src/callout/webparse.c src/callout/webparse.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_webparse.c src/callout/webparse.c
