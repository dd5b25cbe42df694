# The antivirus helper (docs/AV.md): the wire (library, for wardd) and
# ward-scand, the process libclamav runs in.
scand_EXCLUDE := src/scand/main.c
scand_USES    := util

$(BUILD_DIR)/bin/ward-scand: $(BUILD_DIR)/obj/scand/main.o $(BUILD_DIR)/lib/libward_scand.a $(BUILD_DIR)/lib/libward_util.a \
                            $(BUILD_DIR)/lib/libward_confine.a
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lclamav -lseccomp
EXTRA_PROGRAMS += $(BUILD_DIR)/bin/ward-scand
