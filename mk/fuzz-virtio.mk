# libFuzzer on the virtqueue and virtio-blk driver, against the fake device
# of tests/unit driven by the fuzzer's input. Included by the main Makefile;
# the defaults below let this file work alone too (make -f mk/fuzz-virtio.mk).
#
#   make fuzz-virtqueue FUZZ_SECONDS=10   build, run, print PASS:/FAIL: fuzz-virtqueue (N runs)

BUILD        ?= build
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
VIRTQ_SIZE   ?= 256

VQFUZZ_DIR  := $(BUILD)/fuzz/virtqueue
VQFUZZ_BIN  := $(BUILD)/fuzz/fuzz_virtqueue
# the driver as the unit tests build it (the portable sources below
# src/virtio, src/blk and src/lib, without shell commands and kernel glue),
# the fake device (fake_virtio*.c, fake_packed.c) and the host kernel; no
# Criterion (FAKE_NO_CRITERION)
VQFUZZ_SRCS := tests/fuzz/fuzz_virtqueue.c tests/unit/fake_mmio.c \
               $(sort $(wildcard tests/unit/fake_virtio*.c)) tests/unit/fake_packed.c \
               tests/unit/host_kernel.c \
               $(filter-out %_cmd.c %_kern.c,$(wildcard src/virtio/*.c src/pci/*.c src/blk/*.c src/lib/*.c))
VQFUZZ_HDRS := $(wildcard src/*.h src/*/*.h tests/unit/*.h)

.PHONY: fuzz fuzz-virtqueue

$(VQFUZZ_BIN): $(VQFUZZ_SRCS) $(VQFUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -DHOST_BUILD -DFAKE_NO_CRITERION -DVIRTQ_DEFAULT_SIZE=$(VIRTQ_SIZE) \
	  -iquote src -iquote tests/unit -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(VQFUZZ_SRCS) -o $@

# libFuzzer ends a timed run with "Done N runs in S second(s)"; a crash, a
# sanitizer report, a leak or a hang (-timeout) ends it with an error and
# an artifact in $(VQFUZZ_DIR).
fuzz-virtqueue: $(VQFUZZ_BIN)
	@mkdir -p $(VQFUZZ_DIR)/corpus
	@if $(VQFUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=20 \
	    -artifact_prefix=$(VQFUZZ_DIR)/ $(VQFUZZ_DIR)/corpus >$(VQFUZZ_DIR)/log 2>&1; then \
	  echo "PASS: fuzz-virtqueue ($$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(VQFUZZ_DIR)/log) runs)"; \
	else \
	  tail -n 60 $(VQFUZZ_DIR)/log; \
	  echo "FAIL: fuzz-virtqueue (see $(VQFUZZ_DIR)/log and the crash-* artifact there)"; \
	  exit 1; \
	fi

fuzz: fuzz-virtqueue
