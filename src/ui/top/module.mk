# ward top: the terminal UI (ncurses), a program of its own so that the
# `ward` CLI does not link curses; `ward top` execs it from beside `ward`.
TOP_SRCS := $(wildcard src/ui/top/*.c)
TOP_OBJS := $(patsubst src/%.c,$(BUILD_DIR)/obj/%.o,$(TOP_SRCS))
TOP_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
ui_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
EXTRA_PROGRAMS += $(BUILD_DIR)/bin/ward-top

top_USES   := policy proto ring
top_LDLIBS := $(TOP_LIBS) -ljson-c
$(BUILD_DIR)/bin/ward-top: $(TOP_OBJS) $$(call prog_libs,top)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TOP_OBJS) $(call prog_link,top)

# The traffic replies' reader (json-c, no curses) under libFuzzer.
build/fuzz/fuzz_top_traffic: tests/fuzz/fuzz_top_traffic.c src/ui/top/traffic_parse.c \
		src/ui/top/traffic.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_top_traffic.c src/ui/top/traffic_parse.c \
		-ljson-c
