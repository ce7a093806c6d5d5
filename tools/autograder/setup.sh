#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu 22.04 or Debian 12), from the unpacked bundle. It installs exactly
# what the course's own tools/install-deps installs, nothing else.
set -eu
cd "$(dirname "$0")"
sh tree/tools/install-deps
