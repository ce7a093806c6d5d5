# Eclipse RV. `make help` lists the targets.
#
# Two builds of the same sources: the kernel (riscv64-unknown-elf-gcc,
# freestanding) and the host unit tests (gcc with sanitizers, HOST_BUILD),
# where src/hw/ sends register accesses to a fake virtio device.

# Every rule is written out here: make's built-in rules only cost it a
# search for each file it considers (two thirds of a run that has nothing
# to do, and make test starts make a few hundred times).
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

BUILD     ?= build
CROSS     ?= riscv64-unknown-elf-
CC        := $(CROSS)gcc
OBJCOPY   := $(CROSS)objcopy
HOSTCC    ?= gcc
QEMU      ?= qemu-system-riscv64
# Debian's Python, which tools/install-deps completes (python3-yaml, ...),
# when it is there: a python3 found first on PATH may be a version
# manager's shim that costs a third of a second to start
PYTHON    ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)

# legacy (version 1, QEMU's default) or modern (version 2) virtio-mmio, or
# the disk as a PCI function: pci (modern only) or pci-legacy (legacy only);
# modern-packed and pci-packed offer the packed ring too (the names
# grade.py takes)
TRANSPORT ?= legacy
# extra kernel boot arguments, e.g. BOOTARGS="vq_size=16 irq=off"
BOOTARGS  ?=
# the build-time default virtqueue size (a power of two, at most 32768)
VIRTQ_SIZE ?= 256

# DEBUG=1: a kernel gdb can follow (locals kept), built in its own directory
DEBUG     ?=
KBUILD    := $(BUILD)$(if $(filter 1,$(DEBUG)),/debug)
KOPT      := $(if $(filter 1,$(DEBUG)),-O0 -g3,-O2 -g)
# one GDB port per user, so users of a shared machine do not collide
# (computed once: an exported variable defined with `?=` would run its
# shell again for every recipe line make starts)
ifeq ($(origin GDBPORT),undefined)
GDBPORT   := $(shell expr $$(id -u) % 5000 + 25000)
endif
export GDBPORT

# ccache, when installed, remembers each compile by its input. make test
# builds a dozen handouts and dozens of mutants, trees that differ from the
# solution in a few files each: with the cache, each version of a file is
# compiled once. The cache lives in build/ (a clean clone starts cold);
# run_all.py points the handouts' builds at the solution's. The directory
# is left out of the hash, so the same file in another tree hits.
CCACHE    := $(if $(NO_CCACHE),,$(shell command -v ccache 2>/dev/null))
export CCACHE_DIR ?= $(abspath $(BUILD))/ccache
export CCACHE_NOHASHDIR := 1
# a miss costs one compile, not a preprocessor run too: the -MMD file
# tells ccache the headers
export CCACHE_DEPEND := 1

WARN      := -Wall -Wextra -Werror
# No frame pointer in the kernel: nothing walks s0 chains (gdb unwinds
# from the -g call-frame information), and keeping one cost every call
# three instructions in and two out, 20 of the 384 instructions a 4 KiB
# read took (tests/tools/instret.sh). DEBUG=1's -O0 keeps one anyway.
CFLAGS    := -march=rv64gc -mabi=lp64 -mcmodel=medany -ffreestanding -nostdlib \
             -fno-stack-protector -fno-pie $(KOPT) \
             $(WARN) -Isrc -MMD -MP -DVIRTQ_DEFAULT_SIZE=$(VIRTQ_SIZE)
LDFLAGS   := -nostdlib -no-pie -T kernel.ld -Wl,--no-warn-rwx-segments
# Undefined behaviour stops the test that hits it (by default UBSan prints
# its report and lets the test go on to pass).
HOSTFLAGS := $(WARN) -g -O1 -DHOST_BUILD -iquote src -iquote tests/unit -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DVIRTQ_DEFAULT_SIZE=$(VIRTQ_SIZE)

# Every source below src/, at any depth: a new folder cannot drop out of
# the build. (find sorts nothing, so sort does.)
# (make's own wildcard, walked down folder by folder, rather than a find
# per list: make test starts make a few hundred times)
rwildcard = $(foreach d,$(wildcard $(1:=/*)),$(call rwildcard,$(d),$(2)) $(filter $(2),$(d)))
find_srcs = $(sort $(call rwildcard,$(1),$(foreach e,$(2),%.$(e))))
KERNEL_SRCS := $(call find_srcs,src,c S)
KERNEL_OBJS := $(patsubst src/%,$(KBUILD)/kernel/%.o,$(KERNEL_SRCS))
# Files that build for the host too: everything below src/lib, src/virtio,
# src/pci, src/blk and src/fs except shell commands (*_cmd.c) and kernel glue
# (*_kern.c). Files directly in src/ are kernel-only, but for those named
# here, which a unit test drives through a fake of what they call
# (tests/unit/test_harts.c answers for SBI).
PORTABLE_DIRS := src/lib src/virtio src/pci src/blk src/fs
PORTABLE_SRCS := $(filter-out %_cmd.c %_kern.c,$(call find_srcs,$(PORTABLE_DIRS),c))
PORTABLE_SRCS += src/harts.c
LISTED_SRCS += src/harts.c
UNIT_SRCS := $(call find_srcs,tests/unit,c)
# Files named one by one (here and in mk/*.mk): a name that is not there
# (renamed, moved, misspelt) stops the build here, not at link time.
LISTED_SRCS :=
check_listed = $(foreach f,$(LISTED_SRCS),$(if $(wildcard $(f)),,$(error $(f) is listed as a source but does not exist)))
$(if $(KERNEL_SRCS),,$(error no sources found below src/))

SAMPLE_IMG := $(BUILD)/sample.img
# the sample's copy, which make qemu boots and writes
OWN_DISK   := $(BUILD)/disk.img
DISK_IMG   := $(OWN_DISK)

# A transport make does not know would boot as legacy mmio, looking as if
# it had taken: refused instead
COMMA      := ,
TRANSPORTS := legacy modern modern-packed pci pci-legacy pci-packed
ifneq ($(words $(TRANSPORT)) $(filter $(TRANSPORT),$(TRANSPORTS)),1 $(TRANSPORT))
$(error TRANSPORT=$(TRANSPORT): expected one of $(TRANSPORTS))
endif
QEMU_BASE := $(QEMU) -machine virt -smp 1 -m 128M -nographic -bios default
ifneq ($(filter modern modern-packed,$(TRANSPORT)),)
QEMU_BASE += -global virtio-mmio.force-legacy=false
endif
DISK_OPTS := $(if $(filter %-packed,$(TRANSPORT)),$(COMMA)packed=on)
QEMU_DISK := -drive file=$(DISK_IMG),if=none,format=raw,id=d0 \
             -device virtio-blk-device,drive=d0$(DISK_OPTS)
ifneq ($(filter pci%,$(TRANSPORT)),)
QEMU_DISK := -drive file=$(DISK_IMG),if=none,format=raw,id=d0 -device virtio-blk-pci,drive=d0,$(if \
             $(filter pci-legacy,$(TRANSPORT)),disable-modern=on,disable-legacy=on)$(DISK_OPTS)
endif
# QEMU_EXTRA="..." adds options after ours (QEMU takes the last -m or -smp):
# make qemu QEMU_EXTRA="-smp 4 -device virtio-rng-device"
QEMU_RUN  := $(QEMU_BASE) -kernel $(KBUILD)/kernel.elf $(if $(BOOTARGS),-append "$(BOOTARGS)")
QEMU_DISK += $(QEMU_EXTRA)

# host tools (mkfs-eclipsefs, eclipsefs-dump), fuzzers and their rules live in mk/
HOST_TOOLS :=
.DEFAULT_GOAL := all
include $(wildcard mk/*.mk)
LISTED_SRCS += $(EFS_SRCS) $(EFS_HDRS)
$(check_listed)
.PHONY: all kernel tools qemu qemu-gdb qemu-trace gdb test test-slow check unit grade handout bench fuzz \
        format format-check docs deps deps-optional clean help

all: kernel tools ## build the kernel and the host tools

kernel: $(KBUILD)/kernel.elf ## build build/kernel.elf (DEBUG=1: build/debug/kernel.elf, -O0 -g3)

tools: $(HOST_TOOLS) ## build the host tools (mkfs-eclipsefs, eclipsefs-dump)

# (in a student's handout, make test grades the lab: tests/run_all.py)
HANDOUT_LAB := $(if $(wildcard HANDOUT.md),$(shell sed -n '1s/^.*handout for lab \([0-9]*\)$$/\1/p' HANDOUT.md))
HANDOUT_HELP = sed 's/^\(  make test  *\).*/\1grade lab $(HANDOUT_LAB): this handout'"'"'s lab (what make grade LAB=$(HANDOUT_LAB) runs)/'
help: ## list the targets
	@grep -hE '^[a-z_.-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}' $(if $(HANDOUT_LAB),| $(HANDOUT_HELP))
	@echo "  variables: TRANSPORT=legacy|modern|modern-packed|pci|pci-legacy|pci-packed  LAB=n  BOOTARGS=\"...\"  VIRTQ_SIZE=n  DEBUG=1  GDBPORT=n"

# --- dependencies -----------------------------------------------------------
deps: ## install what is missing (Debian/Ubuntu), or say what to install
	@tools/install-deps --check-only >/dev/null 2>&1 || tools/install-deps

# make test-slow (and so CI) runs what the optional tools are for: the
# fuzzers (clang), the course pages in a real browser (Chromium), perf.
# Installed here when missing; where they cannot be, their steps say
# skipped, so this never stops the run.
deps-optional: | deps ## deps, and the optional tools make test-slow uses (clang, Chromium, perf, ...)
	@tools/install-deps --with-optional || echo "make: going on without them: their steps will say skipped"

# --- kernel -----------------------------------------------------------------
$(KBUILD)/kernel/%.c.o: src/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CCACHE) $(CC) $(CFLAGS) -c $< -o $@

$(KBUILD)/kernel/%.S.o: src/%.S | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CCACHE) $(CC) $(CFLAGS) -c $< -o $@

# the ramdisk carries the sample image inside the kernel
$(KBUILD)/kernel/blk/ramdisk_image.S.o: CFLAGS += -DSAMPLE_IMG='"$(SAMPLE_IMG)"'
$(KBUILD)/kernel/blk/ramdisk_image.S.o: $(SAMPLE_IMG)

# The request path's two files are built for link-time optimisation, so
# that vblk_run can take the split ring's per-request calls inline: under
# QEMU's TCG every call's return costs a table look-up (src/hotpath.h).
# Not in DEBUG=1's build, whose -O0 keeps every call for gdb; the objects
# keep their machine code too (fat), for objdump.
LTO_SRCS := src/virtio/blk_req.c src/virtio/virtq_split.c
$(patsubst src/%,$(KBUILD)/kernel/%.o,$(LTO_SRCS)): CFLAGS += $(if $(filter 1,$(DEBUG)),,-flto=auto -ffat-lto-objects)

$(KBUILD)/kernel.elf: $(KERNEL_OBJS) kernel.ld
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $(KERNEL_OBJS) -lgcc -o $@

-include $(KERNEL_OBJS:.o=.d)

# --- disks ------------------------------------------------------------------
# The course's sample disk is made from disk/: add a file there and it shows
# up in `ls` after the next `make qemu`.
$(SAMPLE_IMG): $(BUILD)/tools/mkfs-eclipsefs disk $(call rwildcard,disk,%)
	SOURCE_DATE_EPOCH=1640995200 $(BUILD)/tools/mkfs-eclipsefs $@.$$$$ disk && mv $@.$$$$ $@

# --- running ----------------------------------------------------------------
$(OWN_DISK): | $(SAMPLE_IMG)
	cp $(SAMPLE_IMG) $@

# Another DISK_IMG must be there: made from the sample under a mistyped
# name, it would boot as if it were the disk asked for
ifneq ($(DISK_IMG),$(OWN_DISK))
$(DISK_IMG):
	@echo "DISK_IMG=$(DISK_IMG): no such file (make makes only its own, $(OWN_DISK))" >&2
	@exit 1
endif

qemu: kernel $(DISK_IMG) ## boot into the shell with the sample disk (Ctrl-A X quits)
	$(QEMU_RUN) $(QEMU_DISK)

qemu-gdb: kernel $(DISK_IMG) ## boot stopped, GDB stub on your port (DEBUG=1 shows locals; then: make gdb)
	@echo "*** waiting for gdb on port $(GDBPORT): run 'make$(if $(DEBUG), DEBUG=$(DEBUG)) gdb' in another terminal"
	$(QEMU_RUN) $(QEMU_DISK) -S -gdb tcp:localhost:$(GDBPORT)

# -x loads .gdbinit; gdb's own look for ./.gdbinit is turned off, as it
# would refuse the file with a ten-line "auto-loading has been declined"
# warning every time (the user's ~/.gdbinit still loads)
gdb: kernel ## attach gdb-multiarch to `make qemu-gdb` on your port (uses .gdbinit)
	gdb-multiarch -q -iex 'set auto-load local-gdbinit off' -x .gdbinit $(KBUILD)/kernel.elf

qemu-trace: kernel $(DISK_IMG) ## boot with QEMU's virtio trace events beside the kernel log
	$(QEMU_RUN) $(QEMU_DISK) -trace 'virtio_*'

# --- tests ------------------------------------------------------------------
# The unit tests are built one object per source, so a change recompiles
# one file (the handout and mutation proofs of `make test` rely on that).
# Two builds of the same tests:
# - unit-tests, with AddressSanitizer and UBSan: `make unit`, what a
#   student runs while working, and make test-slow.
# - unit-tests-ubsan, with UBSan alone and unoptimised (quick to build):
#   what `make grade`, the autograder and the proofs of make test run.
#   AddressSanitizer's set-up in every test process made the sanitized
#   build three times as costly (30 against 10 CPU-s for the suite).
#   Overruns of DMA memory, where a driver's bugs land, still fault at
#   once in either build: the tests' allocator puts a guard page after
#   each allocation (tests/unit/host_kernel.c). A write past a local
#   array (say, a TLV value copied into an 8-byte buffer unchecked) hits
#   the stack canary; what only AddressSanitizer sees, a read a byte past
#   a buffer, `make unit` shows.
HOST_OBJS  := $(patsubst %.c,$(BUILD)/host/%.o,$(UNIT_SRCS) $(PORTABLE_SRCS))
UBSAN_OBJS := $(patsubst %.c,$(BUILD)/host-ubsan/%.o,$(UNIT_SRCS) $(PORTABLE_SRCS))
UBSANFLAGS := $(filter-out -fsanitize=% -O1,$(HOSTFLAGS)) -O0 -fsanitize=undefined \
              -fstack-protector-strong

$(BUILD)/host/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(CCACHE) $(HOSTCC) $(HOSTFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host-ubsan/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $< (UBSan only)"
	@$(CCACHE) $(HOSTCC) $(UBSANFLAGS) -MMD -MP -c $< -o $@

# gold links the unit tests in a third of the time bfd takes (make test
# links them again for every mutant); bfd where gold is not installed
HOST_LD := $(if $(wildcard /usr/bin/ld.gold),-fuse-ld=gold)

# Criterion starts each test as a new program (fork, then exec), so what
# the dynamic loader does at start-up is paid several hundred times a run.
# The shared libcriterion needs libgit2, and libgit2 fifteen more
# libraries (Kerberos, TLS, SSH): loading them was a third of a test's
# cost. Linked from Debian's static libraries instead (libcriterion-dev,
# libnanopb-dev), a test loads five, and tests/unit/lazy_libgit2.c opens
# libgit2 only for a diff. Where those archives are missing, the shared
# library. The UBSan build links its runtime statically too (without it,
# libubsan brings libstdc++): 9% less again.
CRITERION_A := $(foreach l,criterion boxfort protobuf-nanopb,\
                 $(firstword $(wildcard /usr/lib/*/lib$(l).a /usr/lib/lib$(l).a)))
CRITERION_LIBS := $(if $(word 3,$(CRITERION_A)),$(CRITERION_A) -lffi -lnanomsg -ldl,-lcriterion)

$(BUILD)/unit-tests: $(HOST_OBJS)
	@echo "  LD      $@"
	@$(HOSTCC) $(HOSTFLAGS) $(HOST_LD) $(HOST_OBJS) $(CRITERION_LIBS) -o $@

$(BUILD)/unit-tests-ubsan: $(UBSAN_OBJS)
	@echo "  LD      $@"
	@$(HOSTCC) $(UBSANFLAGS) -static-libubsan $(HOST_LD) $(UBSAN_OBJS) $(CRITERION_LIBS) -o $@

-include $(HOST_OBJS:.o=.d) $(UBSAN_OBJS:.o=.d)

# Every unit test is named labN_...: the lab whose code it tests. LAB=n
# runs labs 0 to n, the tests a student who has done lab n should pass.
# (checked before anything is built: LAB=x made seq fail, after the build)
unit_filter = $(if $(LAB),--filter '*/lab@($(shell seq -s '|' 0 $(shell expr $(LAB) + 0)))_*')
ifneq ($(filter unit,$(MAKECMDGOALS)),)
ifneq ($(shell printf '%s' '$(LAB)' | tr -d 0-9),)
$(error unit: LAB=$(LAB): expected a lab number)
endif
# and a lab there is (LAB=99 made Criterion's pattern matcher abort; 12
# to 90 ran as if they were 11), the labs grade.py and handout.py know
LAB_NUMBERS := $(shell ls tests/grade | sed -n 's/^lab\([0-9]*\)\.py$$/\1/p' | sort -n)
ifneq ($(LAB),)
ifeq ($(filter $(shell expr $(LAB) + 0),$(LAB_NUMBERS)),)
$(error unit: LAB=$(LAB): there is no lab $(LAB) (the labs are $(firstword $(LAB_NUMBERS)) to $(lastword $(LAB_NUMBERS))))
endif
endif
endif
unit: $(BUILD)/unit-tests ## run the host unit tests (Criterion, ASan, UBSan; LAB=n: labs <= n)
	$(BUILD)/unit-tests $(unit_filter)

# run_all.py builds what it needs itself (make -j, timed as a phase), so
# the time it prints is the whole run's.
# (+: run_all.py starts make, which then shares this make's job slots:
# without it, make -j8 test warned "jobserver unavailable" and ran -j1)
test: | deps ## the fast checks (<= 100 s): unit tests, legacy graders, handout proofs, the QEMU graders' mutation proof
	+$(PYTHON) tests/run_all.py

test-slow: | deps-optional ## the slow checks: modern, PCI and packed-ring graders, handouts whole and the unit tests' mutation proof, fuzzing, bundle, web pages, gdb
	+$(PYTHON) tests/run_all.py --tier slow

check: | deps-optional ## make test and make test-slow in one run, one tally
	+$(PYTHON) tests/run_all.py --tier all

grade: kernel $(SAMPLE_IMG) $(BUILD)/unit-tests-ubsan ## QEMU graders and the lab's unit tests (LAB=n, GRADE_JSON=f)
	$(PYTHON) tests/grade/grade.py $(if $(LAB),--lab $(LAB)) $(if $(GRADE_JSON),--json $(GRADE_JSON))

handout: ## write the student tree to build/handout (LAB=n: labs before n solved)
	$(PYTHON) tools/handout.py --lab $(or $(LAB),0) --out $(BUILD)/handout$(if $(LAB),-lab$(LAB))

bench: kernel tools ## measure the driver in one run and print the ratios (see README)
	$(PYTHON) tools/bench.py $(if $(REPS),--reps $(REPS)) --transport $(TRANSPORT)

# --- housekeeping -----------------------------------------------------------
FORMAT_SRCS = $(call find_srcs,src tests/unit tests/fuzz tests/mutants tools,c h)
format: ## format every C source with .clang-format
	clang-format -i $(FORMAT_SRCS)

format-check: ## fail if any C source is not formatted
	clang-format --dry-run -Werror $(FORMAT_SRCS)

clean: ## remove build/
	rm -rf $(BUILD)
