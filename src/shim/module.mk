# libward-shim.so, the user-mode layer (docs/SHIM.md): preloaded into other
# programs, so it is built as they are, without sanitizers, and links only
# libc (dlsym, pthread_once).
SHIM_SO := $(BUILD_DIR)/lib/libward-shim.so
SHIM_SRCS := $(wildcard src/shim/*.c)
SHIM_CFLAGS := -std=c17 -O2 -g $(WARNINGS) -fPIC -fvisibility=hidden -Iinclude -Isrc

$(SHIM_SO): $(SHIM_SRCS) $(wildcard src/shim/*.h) include/ward/shim.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  SO      $@"
	$(Q)$(CC) $(SHIM_CFLAGS) -shared -Wl,-z,now -Wl,-z,relro -o $@ $(SHIM_SRCS) -ldl -lpthread
EXTRA_PROGRAMS += $(SHIM_SO)
