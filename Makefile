# Ward — build.
#
#   make                 release build into build/rel (-O2)
#   make MODE=san        test build under ASan + UBSan into build/san
#   make check           the whole test suite (tests/run does the same, installing deps first)
#   make fuzz            libFuzzer targets (clang) into build/fuzz
#   make format          clang-format every C file
#   make man             man pages; make install DESTDIR=D (dist/install.mk)
#
# Layout: every folder src/NAME holding .c files is one module. Library modules
# become build/MODE/lib/libward_NAME.a; src/cli becomes the `ward` binary and
# src/daemon the `wardd` binary. A module may add rules, flags or libraries in
# src/NAME/module.mk (the kernel backend builds its BPF objects there). Tests:
# tests/unit/test_*.c each become one cmocka binary (tests/unit/tests.mk).
#
# Linking: each program links the modules it uses and what they use in turn,
# and only their system libraries. A module says so in its module.mk:
#   NAME_USES   := the modules it calls (e.g. log_USES := engine util)
#   NAME_LDLIBS := the system libraries it calls (e.g. log_LDLIBS := -lsqlite3)
# and a program (ward, wardd, ward-kdrv, a test, a bench) the same by its name.

MODE      ?= rel
BUILD_DIR ?= build/$(MODE)
CC        ?= cc
CLANG     ?= clang

V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-unused-parameter
CFLAGS    := -std=c17 $(WARNINGS) -g -Iinclude -Isrc -MMD -MP
LDFLAGS   :=
LDLIBS    := -lm -lpthread # every program

ifeq ($(MODE),san)
CFLAGS    += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined
else
CFLAGS    += -O2
endif

# Programs (not libraries) and modules built only by their own module.mk.
PROGRAM_MODULES := cli daemon shim
LIB_MODULES := $(filter-out $(PROGRAM_MODULES),$(notdir $(patsubst %/,%,$(dir $(wildcard src/*/*.c)))))
LIB_MODULES := $(sort $(LIB_MODULES))

define lib_template
$(1)_SRCS := $$(filter-out $$($(1)_EXCLUDE),$$(wildcard src/$(1)/*.c))
$(1)_OBJS := $$(patsubst src/%.c,$(BUILD_DIR)/obj/%.o,$$($(1)_SRCS))
$(BUILD_DIR)/lib/libward_$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@ # ar only adds: an object whose source is gone must not linger
	$$(Q)$$(AR) rcs $$@ $$^
ALL_LIBS += $(BUILD_DIR)/lib/libward_$(1).a
endef

# Module fragments below define targets of their own: plain `make` is `all`.
.DEFAULT_GOAL := all

# Pure-C modules the fuzzers compile in; fragments may add their own.
FUZZ_MODULES := engine

# $(call mod_closure,MODULES): the modules and all they use, each once.
mod_uses = $(sort $(1) $(foreach m,$(1),$($(m)_USES)))
mod_closure = $(if $(filter-out $(1),$(call mod_uses,$(1))),$(call mod_closure,$(call mod_uses,$(1))),$(1))
uniq = $(if $(1),$(firstword $(1)) $(call uniq,$(filter-out $(firstword $(1)),$(1))))
# $(call prog_mods,PROGRAM): its modules' closure; prog_libs: their archives;
# prog_link: what its link line names after its own objects.
prog_mods = $(call mod_closure,$($(1)_USES))
prog_libs = $(foreach m,$(call prog_mods,$(1)),$(BUILD_DIR)/lib/libward_$(m).a)
prog_link = -Wl,--start-group $(call prog_libs,$(1)) -Wl,--end-group \
            $(call uniq,$($(1)_LDLIBS) $(foreach m,$(call prog_mods,$(1)),$($(m)_LDLIBS))) $(LDLIBS)

# Prerequisites that name a program's archives are expanded a second time,
# once every fragment has said what its modules use.
.SECONDEXPANSION:

-include tests/unit/tests.mk bench/bench.mk

# $(call soname_of,PKG,LIB,FALLBACK): the soname of libLIB.so (pkg-config
# PKG's libdir, else the multiarch one), for a library loaded with dlopen.
soname_of = $(or $(shell objdump -p $$(pkg-config --variable=libdir $(1) 2>/dev/null || \
	echo /usr/lib/$$(gcc -print-multiarch))/lib$(2).so 2>/dev/null | awk '/SONAME/ { print $$2 }'),$(3))

# Module fragments first: they may set NAME_EXCLUDE, NAME_CFLAGS, NAME_USES,
# NAME_LDLIBS, extra targets.
-include $(wildcard src/*/module.mk src/ui/*/module.mk)
# Man pages and `make install` (dist/install.mk).
-include $(wildcard dist/*.mk)

$(foreach m,$(LIB_MODULES),$(eval $(call lib_template,$(m))))

CLI_SRCS    := $(wildcard src/cli/*.c)
CLI_OBJS    := $(patsubst src/%.c,$(BUILD_DIR)/obj/%.o,$(CLI_SRCS))
DAEMON_SRCS := $(wildcard src/daemon/*.c)
DAEMON_OBJS := $(patsubst src/%.c,$(BUILD_DIR)/obj/%.o,$(DAEMON_SRCS))

PROGRAMS := $(if $(CLI_SRCS),$(BUILD_DIR)/bin/ward) $(if $(DAEMON_SRCS),$(BUILD_DIR)/bin/wardd)
PROGRAMS += $(EXTRA_PROGRAMS)

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD_DIR)/tests/%,$(TEST_SRCS))
# Helpers (random policies, kernel-compile generators) go into an archive:
# a test takes the objects it calls, and their modules are in its _USES.
TEST_HELPER_SRCS := $(filter-out $(TEST_SRCS),$(wildcard tests/unit/*.c))
TEST_HELPER_OBJS := $(patsubst tests/%.c,$(BUILD_DIR)/obj/tests/%.o,$(TEST_HELPER_SRCS))
TEST_HELPER_LIB := $(BUILD_DIR)/lib/libward_testhelpers.a

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD_DIR)/bench/%,$(BENCH_SRCS))

.PHONY: all libs programs tests bench check fuzz format clean
all: libs programs tests bench
libs: $(ALL_LIBS)
programs: $(PROGRAMS)
tests: $(TEST_BINS)
bench: $(BENCH_BINS)

$(BUILD_DIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $($(word 1,$(subst /, ,$*))_CFLAGS) -c $< -o $@

$(BUILD_DIR)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD_DIR)/bin/ward: $(CLI_OBJS) $$(call prog_libs,ward)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(call prog_link,ward)

$(BUILD_DIR)/bin/wardd: $(DAEMON_OBJS) $$(call prog_libs,wardd)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(call prog_link,wardd)

$(TEST_HELPER_LIB): $(TEST_HELPER_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

define test_template
$(BUILD_DIR)/tests/$(1): $(BUILD_DIR)/obj/tests/unit/$(1).o $(TEST_HELPER_LIB) $$$$(call prog_libs,$(1))
	@mkdir -p $$(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $$@"
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$< $(TEST_HELPER_LIB) $$(call prog_link,$(1)) -lcmocka
endef
$(foreach t,$(TEST_BINS),$(eval $(call test_template,$(notdir $(t)))))

$(BUILD_DIR)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

define bench_template
$(BUILD_DIR)/bench/$(1): $(BUILD_DIR)/obj/bench/$(1).o $$$$(call prog_libs,bench_$(1))
	@mkdir -p $$(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $$@"
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$< $$(call prog_link,bench_$(1))
endef
$(foreach b,$(BENCH_BINS),$(eval $(call bench_template,$(notdir $(b)))))

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, built with clang against the
# sources (not the gcc-built libraries) so coverage reaches every parser.
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIBSRCS := $(foreach m,$(FUZZ_MODULES),$(filter-out $($(m)_EXCLUDE),$(wildcard src/$(m)/*.c)))
FUZZ_CFLAGS := -std=c17 $(WARNINGS) -g -O1 -Iinclude -Isrc -Itests/unit -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all
fuzz: $(FUZZ_BINS)
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBSRCS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBSRCS) $(FUZZ_LDLIBS) -lm

check:
	./tests/run

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD_DIR) -name '*.d' 2>/dev/null)

# Keep intermediate objects (test and bench .o files) between runs.
.SECONDARY:
