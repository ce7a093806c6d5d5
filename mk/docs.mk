# The course's documents. Included by the main Makefile, which defines
# BUILD and PYTHON; the defaults below let this file work alone too
# (make -f mk/docs.mk docs).
#
#   make figures     redraw lab-guides/figures/NAME.svg beside each NAME.dot
#                    whose source changed (Graphviz's dot; the SVG keeps the
#                    source's hash, and `make test` fails on a stale one)
#   make docs        the static course site in build/docs/ (tools/docs/site.py:
#                    python3-markdown and python3-pygments)
#   make docs-check  load it in headless Chromium: pages, images, links, that
#                    every page's text can be seen, and a screenshot in
#                    build/docs/screenshot.png

BUILD  ?= build
PYTHON ?= python3
DOT    ?= dot

.PHONY: figures docs docs-check

figures: ## redraw the guides' SVG figures whose .dot source changed
	@$(PYTHON) tools/figures.py --render --dot $(DOT)

docs: ## the course site in build/docs/ (index, a page per lab, figures inline)
	@$(PYTHON) tools/figures.py --check >/dev/null || \
	  echo "docs: warning: some figures are stale; run make figures (see tools/figures.py --check)"
	@$(PYTHON) tools/docs/site.py --out $(BUILD)/docs

docs-check: docs ## check the site in headless Chromium; screenshot in build/docs/
	@$(PYTHON) tools/docs/check.py --site $(BUILD)/docs
