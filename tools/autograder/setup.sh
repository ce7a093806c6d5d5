#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu 24.04 or Debian 12: Ubuntu 22.04's QEMU is 6.2, older than the 7.0
# the course needs, and install-deps fails there saying so), from the
# unpacked bundle. It installs exactly what the course's own
# tools/install-deps installs by default (the required tools), nothing else.
set -eu
cd "$(dirname "$0")"
sh tree/tools/install-deps
