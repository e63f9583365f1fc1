#!/usr/bin/env bash
# npm run models:convert [-- --check]: the face_landmarker .tflite models → ONNX (scripts/models/convert.py).
# Uses Debian's python3 packages (no pip); installs them when missing.
set -euo pipefail
PY=/usr/bin/python3
if ! "$PY" -c 'import onnx, flatbuffers, numpy' 2>/dev/null; then
  echo "models:convert: installing python3-onnx python3-flatbuffers python3-numpy (apt)" >&2
  flock /tmp/apt.lock apt-get install -y -q python3-onnx python3-flatbuffers python3-numpy >&2
fi
exec "$PY" "$(dirname "$0")/convert.py" "$@"
