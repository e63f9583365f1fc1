#!/usr/bin/env bash
# npm run models:convert:embeddings [-- --check]: TFJS embedding models in node_modules → models/embeddings/*.onnx.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Debian's python3 (pyenv or venv interpreters do not see the apt packages).
py=/usr/bin/python3
if ! "$py" -c 'import onnx, numpy' 2>/dev/null; then
  flock /tmp/apt.lock apt-get install -y --no-install-recommends python3-onnx python3-numpy
fi
exec "$py" "$here/convert_embeddings.py" "$here/../.." "$@"
