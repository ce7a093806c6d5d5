# The lab guides' figures: Graphviz sources in lab-guides/figures/*.dot,
# rendered by `make docs` to build/docs/NAME.svg and build/docs/NAME.png
# with Graphviz's `dot` (Debian package graphviz). Included by the main
# Makefile, which defines BUILD; the default below lets this file work
# alone too (make -f mk/docs.mk docs).

BUILD    ?= build
DOT      ?= dot
DOCS_DPI ?= 110

DOCS_SRCS := $(wildcard lab-guides/figures/*.dot)
DOCS_OUT  := $(patsubst lab-guides/figures/%.dot,$(BUILD)/docs/%.svg,$(DOCS_SRCS)) \
             $(patsubst lab-guides/figures/%.dot,$(BUILD)/docs/%.png,$(DOCS_SRCS))

.PHONY: docs docs-deps

docs: $(DOCS_OUT) ## render the lab guides' figures to SVG and PNG in build/docs/
	@echo "docs: $(words $(DOCS_SRCS)) figures in $(BUILD)/docs/"

# dot is not needed to build or run the kernel, so tools/install-deps does
# not insist on it; install it here when a figure is first rendered.
docs-deps:
	@command -v $(DOT) >/dev/null 2>&1 || { \
	  echo "docs: Graphviz's dot is missing; installing the graphviz package"; \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "docs: not a Debian or Ubuntu system: install Graphviz yourself"; exit 1; fi; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get install -y -q graphviz || \
	    { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q graphviz; } || exit 1; }

$(BUILD)/docs/%.svg: lab-guides/figures/%.dot | docs-deps
	@mkdir -p $(dir $@)
	@echo "  DOT     $@"
	@$(DOT) -Tsvg $< -o $@

$(BUILD)/docs/%.png: lab-guides/figures/%.dot | docs-deps
	@mkdir -p $(dir $@)
	@echo "  DOT     $@"
	@$(DOT) -Tpng -Gdpi=$(DOCS_DPI) $< -o $@
