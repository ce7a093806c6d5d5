# Gradescope autograder bundles (tools/autograder/). Included by the main
# Makefile, which defines BUILD and PYTHON.
.PHONY: autograder

autograder: ## write build/autograder-labN.zip for Gradescope (LAB=n)
	@test -n "$(LAB)" || { echo "autograder: say which lab, e.g. make autograder LAB=3"; exit 1; }
	$(PYTHON) tools/autograder/bundle.py --lab $(LAB) --out $(BUILD)/autograder-lab$(LAB).zip
