#!/usr/bin/env bash
# Copy the Python core into the R package (inst/python, gitignored), so that
# install_kerasclr() can pip-install it where no checkout is at hand:
#   inst/python/pyproject.toml, inst/python/python/kerasclr/ (same layout as
#   the repository, so pyproject.toml works unchanged), inst/python/README.md,
#   inst/python/r-stack.txt (the pins install_kerasclr() installs).
# Used by tools/setup.sh and tools/r-check.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/inst/python"
rm -rf "$DEST"
mkdir -p "$DEST/python"
cp -r "$ROOT/python/kerasclr" "$DEST/python/"
cp "$ROOT/pyproject.toml" "$DEST/"
cp "$ROOT/requirements/r-stack.txt" "$DEST/r-stack.txt"
if [ -f "$ROOT/README.md" ]; then
  cp "$ROOT/README.md" "$DEST/README.md"
else
  printf '# kerasclr\n\nCyclical learning rates for Keras 3.\n' >"$DEST/README.md"
fi
find "$DEST" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
find "$DEST" -name '*.pyc' -delete
