# ward-gtk, the desktop app (GTK 4): built only where pkg-config finds gtk4,
# so a machine without the GTK headers still builds everything else.
GTK_PKGS := gtk4 json-c
ifneq ($(shell pkg-config --exists $(GTK_PKGS) 2>/dev/null && echo yes),)
GTK_SRCS := $(wildcard src/ui/gtk/*.c)
GTK_OBJS := $(patsubst src/%.c,$(BUILD_DIR)/obj/%.o,$(GTK_SRCS))
# -isystem: GTK's own headers are not held to Ward's warning flags.
$(GTK_OBJS): CFLAGS += $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(GTK_PKGS)))
GTK_LIBS := $(foreach m,proto ring policy engine store util,$(BUILD_DIR)/lib/libward_$(m).a)
$(BUILD_DIR)/bin/ward-gtk: $(GTK_OBJS) $(GTK_LIBS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(GTK_OBJS) -Wl,--start-group $(GTK_LIBS) -Wl,--end-group $(LDLIBS) $(shell pkg-config --libs $(GTK_PKGS))
EXTRA_PROGRAMS += $(BUILD_DIR)/bin/ward-gtk
endif

# The traffic replies' parsers (GLib and json-c, no GTK) under libFuzzer.
build/fuzz/fuzz_gtk_traffic: tests/fuzz/fuzz_gtk_traffic.c src/ui/gtk/traffic.c src/ui/gtk/traffic.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(patsubst -I%,-isystem %,$(shell pkg-config --cflags glib-2.0 json-c)) \
		-o $@ tests/fuzz/fuzz_gtk_traffic.c src/ui/gtk/traffic.c \
		$(shell pkg-config --libs glib-2.0 json-c)
