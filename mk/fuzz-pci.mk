# libFuzzer on the PCI side (device-tree reader, enumeration, BARs, the
# virtio capability walk) against the fake PCI bus of tests/unit.
#
#   make fuzz-pci FUZZ_SECONDS=10   build, run, print PASS:/FAIL: fuzz-pci (N runs)

BUILD        ?= build
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
VIRTQ_SIZE   ?= 256

PCIFUZZ_DIR  := $(BUILD)/fuzz/pci
PCIFUZZ_BIN  := $(BUILD)/fuzz/fuzz_pci
PCIFUZZ_SRCS := tests/fuzz/fuzz_pci.c tests/unit/fake_mmio.c tests/unit/fake_pci.c \
                tests/unit/fake_pci_fdt.c tests/unit/fake_pci_virtio.c \
                $(sort $(wildcard tests/unit/fake_virtio*.c)) tests/unit/fake_packed.c \
                tests/unit/host_kernel.c \
                $(filter-out %_cmd.c %_kern.c,$(wildcard src/pci/*.c src/virtio/*.c src/blk/*.c \
                  src/lib/*.c))

.PHONY: fuzz fuzz-pci

$(PCIFUZZ_BIN): $(PCIFUZZ_SRCS) $(wildcard src/*.h src/*/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -DHOST_BUILD -DFAKE_NO_CRITERION -DVIRTQ_DEFAULT_SIZE=$(VIRTQ_SIZE) \
	  -iquote src -iquote tests/unit -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(PCIFUZZ_SRCS) -o $@

fuzz-pci: $(PCIFUZZ_BIN)
	@mkdir -p $(PCIFUZZ_DIR)/corpus
	@if $(PCIFUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=2048 -timeout=10 \
	    -artifact_prefix=$(PCIFUZZ_DIR)/ $(PCIFUZZ_DIR)/corpus >$(PCIFUZZ_DIR)/log 2>&1; then \
	  echo "PASS: fuzz-pci ($$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(PCIFUZZ_DIR)/log) runs)"; \
	else \
	  tail -n 60 $(PCIFUZZ_DIR)/log; \
	  echo "FAIL: fuzz-pci (see $(PCIFUZZ_DIR)/log and the crash-* artifact there)"; \
	  exit 1; \
	fi

fuzz: fuzz-pci
