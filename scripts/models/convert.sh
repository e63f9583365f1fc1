#!/usr/bin/env bash
# npm run models:convert [-- --check] [-- --only landmarker|embeddings|pad]: every ONNX model from its original —
# the face_landmarker .tflite models (convert.py), the TFJS embedding models in node_modules
# (convert_embeddings.py) and the MiniFASNet exports in ../shared/models/minifasnet (convert_pad.py). Uses Debian's python3 packages (no pip; pyenv or venv interpreters do not see them),
# installed when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3
if ! "$PY" -c 'import onnx, flatbuffers, numpy' 2>/dev/null; then
  echo "models:convert: installing python3-onnx python3-flatbuffers python3-numpy (apt)" >&2
  flock /tmp/apt.lock apt-get install -y -q --no-install-recommends python3-onnx python3-flatbuffers python3-numpy >&2
fi
only=""
args=()
while (($#)); do
  if [[ $1 == --only ]]; then only=$2; shift 2; else args+=("$1"); shift; fi
done
[[ -z $only || $only == landmarker ]] && "$PY" "$here/convert.py" "${args[@]}"
[[ -z $only || $only == embeddings ]] && "$PY" "$here/convert_embeddings.py" "$here/../.." "${args[@]}"
[[ -z $only || $only == pad ]] && "$PY" "$here/convert_pad.py" "${args[@]}"
exit 0
