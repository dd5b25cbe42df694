# Intrusion detection (docs/IDS.md): the rule parser, the Hyperscan
# prefilter, confirmation and TCP reassembly. A pure library: the stream
# callout that feeds it packets lives with the callouts. Hyperscan is not
# linked: src/ids/hslib.c loads it (by its soname, read here) when the first
# signature set is compiled.
ids_CFLAGS := $(shell pkg-config --cflags libhs 2>/dev/null || echo -I/usr/include/hs) \
	-DIDS_HS_SONAME='"$(call soname_of,libhs,hs,libhs.so.5)"'
ids_LDLIBS := -lpcre2-8

# Fuzzers: the rule parser with the matcher, and the reassembler alone.
IDS_SRCS := $(wildcard src/ids/*.c)
build/fuzz/fuzz_ids_rules: tests/fuzz/fuzz_ids_rules.c $(IDS_SRCS) $(wildcard src/ids/*.h)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(ids_CFLAGS) -o $@ $< $(IDS_SRCS) $(ids_LDLIBS)
build/fuzz/fuzz_ids_reasm: tests/fuzz/fuzz_ids_reasm.c src/ids/reasm.c src/ids/reasm.h
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< src/ids/reasm.c
