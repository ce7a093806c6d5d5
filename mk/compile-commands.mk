# compile_commands.json for clangd and editors: the kernel build, the host
# unit-test build and the host tools, written from the variables the build
# itself uses (tools/compile_commands.py; no tool outside the project).
# Included by the main Makefile, which defines the compilers and flags.
.PHONY: compile_commands.json

compile_commands.json: ## the compilation database for clangd: kernel, unit tests, host tools
	@$(PYTHON) tools/compile_commands.py --out $@ \
	  --group "$(CC)|$(CFLAGS)|$(KERNEL_SRCS)|$(KBUILD)/kernel" \
	  --group "$(HOSTCC)|$(HOSTFLAGS)|$(UNIT_SRCS) $(PORTABLE_SRCS)|$(BUILD)/unit" \
	  --group "$(HOSTCC)|$(EFS_HOSTFLAGS)|$(patsubst $(BUILD)/tools/%,tools/%.c,$(EFS_TOOLS)) tools/efs_host.c|$(BUILD)/tools"
