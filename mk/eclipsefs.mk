# EclipseFS host tools and fuzzing. Included by the main Makefile, which
# defines HOSTCC and BUILD; the defaults below let this file work alone
# too (make -f mk/eclipsefs.mk ...).
#
#   make build/tools/mkfs-eclipsefs     write an image: mkfs-eclipsefs [--gpt] OUT.img SRC_DIR
#   make build/tools/eclipsefs-dump     check an image and list it: eclipsefs-dump IMG
#   make eclipsefs-tools                both
#   make eclipsefs-roundtrip            mkfs then dump against the host's view, and the sample vector
#   make fuzz-eclipsefs FUZZ_SECONDS=10 libFuzzer on the image parser (clang)

HOSTCC       ?= gcc
BUILD        ?= build
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60

# The tools link the same reader sources as the kernel, built for the host.
# -iquote rather than -I: with -Isrc, <errno.h> in the tools would find the
# kernel's src/errno.h instead of the C library's.
EFS_SRCS      := src/fs/eclipsefs.c src/fs/efs_error.c src/fs/efs_dir.c src/fs/efs_walk.c \
                 src/fs/efs_check.c src/fs/volume.c src/lib/format.c src/lib/sha256.c \
                 src/lib/crc32.c src/lib/strerror.c
EFS_HDRS      := src/fs/eclipsefs.h src/fs/efs_internal.h src/fs/volume.h src/lib/format.h \
                 src/lib/sha256.h src/lib/crc32.h src/lib/string.h src/errno.h tools/efs_host.h
EFS_HOSTFLAGS := -Wall -Wextra -Werror -DHOST_BUILD -iquote src -O2 -g
EFS_TOOLS     := $(BUILD)/tools/mkfs-eclipsefs $(BUILD)/tools/eclipsefs-dump

HOST_TOOLS += $(EFS_TOOLS)

.PHONY: eclipsefs-tools eclipsefs-roundtrip fuzz-eclipsefs

tools: $(EFS_TOOLS)

eclipsefs-tools: $(EFS_TOOLS)

# Linked under a name of its own, then renamed: a second make in the same
# tree (two make test at once) may be running the old program, and writing
# over a program that runs fails ("Text file busy"); a rename does not.
# mkfs-eclipsefs also links its GPT writer.
$(BUILD)/tools/mkfs-eclipsefs: $(BUILD)/tools/obj/tools/mkfs_gpt.o
$(BUILD)/tools/obj/tools/mkfs_gpt.o: tools/mkfs_gpt.h

# Compiled a file at a time (through ccache when the Makefile found it), so
# a tree that changes one file, a handout or a mutant, recompiles that one.
EFS_OBJ = $(BUILD)/tools/obj/$(1:.c=.o)
$(BUILD)/tools/obj/%.o: %.c $(EFS_HDRS)
	@mkdir -p $(dir $@)
	$(CCACHE) $(HOSTCC) $(EFS_HOSTFLAGS) -MMD -MP -c $< -o $@
-include $(wildcard $(BUILD)/tools/obj/*/*.d $(BUILD)/tools/obj/*/*/*.d)

$(BUILD)/tools/mkfs-eclipsefs $(BUILD)/tools/eclipsefs-dump: $(BUILD)/tools/%: \
		$(call EFS_OBJ,tools/%.c) $(call EFS_OBJ,tools/efs_host.c) \
		$(foreach f,$(EFS_SRCS),$(call EFS_OBJ,$(f)))
	@mkdir -p $(dir $@)
	$(HOSTCC) $(EFS_HOSTFLAGS) $(filter %.o,$^) -o $@.$$$$ && mv $@.$$$$ $@

eclipsefs-roundtrip: $(EFS_TOOLS)
	BUILD=$(BUILD) tests/tools/roundtrip.sh

# --- fuzzing ----------------------------------------------------------------
# The seed corpus is made here, never committed: images of disk/ (whole
# and a small GPT disk), of a tree with odd shapes, and the shared sample.
FUZZ_DIR := $(BUILD)/fuzz/eclipsefs

$(BUILD)/fuzz/fuzz_eclipsefs: tests/fuzz/fuzz_eclipsefs.c $(EFS_SRCS) $(EFS_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -DHOST_BUILD -iquote src -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined tests/fuzz/fuzz_eclipsefs.c $(EFS_SRCS) -o $@

$(FUZZ_DIR)/seeds.stamp: $(EFS_TOOLS) tests/fuzz/make-seeds.sh disk $(call rwildcard,disk,%)
	BUILD=$(BUILD) tests/fuzz/make-seeds.sh $(FUZZ_DIR)/seeds
	@touch $@

# libFuzzer ends a timed run with "Done N runs in S second(s)"; the last
# line is `PASS: fuzz-eclipsefs (N runs)` or `FAIL: ...` for tests/run_all.py
# (the same shape as mk/fuzz-virtio.mk).
fuzz-eclipsefs: $(BUILD)/fuzz/fuzz_eclipsefs $(FUZZ_DIR)/seeds.stamp
	@mkdir -p $(FUZZ_DIR)/corpus
	@if $(BUILD)/fuzz/fuzz_eclipsefs -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds \
	    >$(FUZZ_DIR)/log 2>&1; then \
	  echo "PASS: fuzz-eclipsefs ($$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(FUZZ_DIR)/log) runs)"; \
	else \
	  tail -n 60 $(FUZZ_DIR)/log; \
	  echo "FAIL: fuzz-eclipsefs (see $(FUZZ_DIR)/log and the crash-* artifact there)"; \
	  exit 1; \
	fi

fuzz: fuzz-eclipsefs
