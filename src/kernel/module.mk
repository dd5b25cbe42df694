# Kernel backends: BPF cgroup hooks (libbpf skeleton), nftables table, NFQUEUE.
#
# The BPF object is built with clang from src/kernel/*.bpf.c against a
# vmlinux.h generated from the running kernel's BTF into the build dir; its
# skeleton header (bpftool gen skeleton) is a prerequisite of every object of
# the module. src/kernel/tools/ holds the test driver ward-kdrv (not in the
# library); tests/kernel/*.c are the test clients.

KERNEL_GEN    := $(BUILD_DIR)/kernel
KERNEL_SKEL   := $(KERNEL_GEN)/ward.skel.h
BPFTOOL       ?= bpftool
VMLINUX_BTF   ?= /sys/kernel/btf/vmlinux
BPF_ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

kernel_EXCLUDE := $(wildcard src/kernel/*.bpf.c)
kernel_CFLAGS  := -I$(KERNEL_GEN) -D_GNU_SOURCE
kernel_USES   := util
kernel_LDLIBS := -lbpf -lelf -lz -lnftables -lnftnl -lnetfilter_queue -lmnl

$(KERNEL_GEN)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(KERNEL_GEN)/ward.bpf.o: src/kernel/ward.bpf.c src/kernel/ward_bpf.h src/kernel/ward_lookup.h \
		src/kernel/ward_events.bpf.h src/kernel/ward_icmp.bpf.h src/kernel/ward_handover.bpf.h \
		src/kernel/ward_packet.bpf.h src/kernel/ward_exe.bpf.h \
		src/kernel/ward_traffic.bpf.h src/kernel/ward_traffic.h \
		src/kernel/ward_limits.bpf.h src/kernel/ward_limits.h \
		$(KERNEL_GEN)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(KERNEL_GEN) -Isrc/kernel \
		-Wall -Werror -c $< -o $@

$(KERNEL_SKEL): $(KERNEL_GEN)/ward.bpf.o
	$(BPFTOOL) gen skeleton $< name ward_bpf > $@.tmp && mv $@.tmp $@

# The process monitor (exec/fork/exit tracepoints): a second BPF object with
# a skeleton of its own, needed only by procmon.c.
PROCMON_SKEL := $(KERNEL_GEN)/procmon.skel.h
$(KERNEL_GEN)/procmon.bpf.o: src/kernel/procmon.bpf.c src/kernel/procmon_bpf.h src/kernel/ward_exe.bpf.h $(KERNEL_GEN)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(KERNEL_GEN) -Isrc/kernel \
		-Wall -Werror -c $< -o $@

$(PROCMON_SKEL): $(KERNEL_GEN)/procmon.bpf.o
	$(BPFTOOL) gen skeleton $< name procmon_bpf > $@.tmp && mv $@.tmp $@
$(BUILD_DIR)/obj/kernel/procmon.o: $(PROCMON_SKEL)

# The tamper watch (ptrace access checks): a third object, for tamper.c.
TAMPER_SKEL := $(KERNEL_GEN)/tamper.skel.h
$(KERNEL_GEN)/tamper.bpf.o: src/kernel/tamper.bpf.c src/kernel/tamper_bpf.h $(KERNEL_GEN)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(KERNEL_GEN) -Isrc/kernel \
		-Wall -Werror -c $< -o $@

$(TAMPER_SKEL): $(KERNEL_GEN)/tamper.bpf.o
	$(BPFTOOL) gen skeleton $< name tamper_bpf > $@.tmp && mv $@.tmp $@
$(BUILD_DIR)/obj/kernel/tamper.o: $(TAMPER_SKEL)

# Every object of the module (library and tools) needs the skeleton first.
KERNEL_ALL_SRCS := $(filter-out $(kernel_EXCLUDE),$(wildcard src/kernel/*.c src/kernel/tools/*.c))
$(patsubst src/%.c,$(BUILD_DIR)/obj/%.o,$(KERNEL_ALL_SRCS)): $(KERNEL_SKEL)

# The test driver: loads, attaches, installs nft, answers the queue.
# With --policy it compiles a policy as wardd does (src/compile, src/policy).
kdrv_USES := compile policy kernel engine util
$(BUILD_DIR)/bin/ward-kdrv: $(BUILD_DIR)/obj/kernel/tools/kdrv.o $$(call prog_libs,kdrv)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(call prog_link,kdrv)
EXTRA_PROGRAMS += $(BUILD_DIR)/bin/ward-kdrv

# Test clients: plain (no sanitizer: they are the programs under test), and
# one statically linked copy.
KCLIENT_CFLAGS := -std=c17 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE
ifneq ($(wildcard /usr/include/liburing.h),)
KCLIENT_CFLAGS += -DHAVE_LIBURING
KCLIENT_LIBS   := -luring
endif
$(BUILD_DIR)/tests/kernel/wk-client: tests/kernel/client.c tests/kernel/evade.c tests/kernel/rawsock.c
	@mkdir -p $(@D)
	$(CC) $(KCLIENT_CFLAGS) -o $@ $^ $(KCLIENT_LIBS)
$(BUILD_DIR)/tests/kernel/wk-client-static: tests/kernel/client.c tests/kernel/evade.c tests/kernel/rawsock.c
	@mkdir -p $(@D)
	$(CC) $(KCLIENT_CFLAGS) -static -o $@ $^ $(KCLIENT_LIBS)
EXTRA_PROGRAMS += $(BUILD_DIR)/tests/kernel/wk-client $(BUILD_DIR)/tests/kernel/wk-client-static

# The DNS parser is pure (src/kernel/dns.c): its fuzzer compiles just that
# file, not the module (which needs libbpf and friends).
build/fuzz/fuzz_dns: tests/fuzz/fuzz_dns.c src/kernel/dns.c src/kernel/dns.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_dns.c src/kernel/dns.c
# So is the reader of /proc/net/icmp lines (src/kernel/pingline.c).
build/fuzz/fuzz_pingline: tests/fuzz/fuzz_pingline.c src/kernel/pingline.c src/kernel/pingline.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_pingline.c src/kernel/pingline.c
