#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, on Debian, once: ffmpeg (decodes the fixture clips),
# iproute2 (loopback-only network namespaces for WebRTC tests), fonts, chromium, strace, opj_compress, redis-server, and builds the mediasoup SFU worker
# used by the room-server harness (cached outside the clone). Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(ffmpeg iproute2 util-linux fonts-dejavu-core)
# Headless browser tests (the subject page, the MediaPipe engine) and the no-third-party-traffic recorder.
packages+=(chromium strace)
# npm run models:convert (scripts/models/: the ONNX models from their originals; tests reproduce the committed files).
packages+=(python3-onnx python3-flatbuffers python3-numpy)
# JPEG 2000 passport photos are made at test time from fixture photos (opj_compress).
packages+=(libopenjp2-tools)
# The shared flow store's tests start their own redis-server on a loopback port (the package's service is not used).
packages+=(redis-server)
# The SFU worker is built from source against Debian's libraries (see scripts/build-sfu-worker.sh).
packages+=(meson ninja-build pkg-config g++ python3 libssl-dev nlohmann-json3-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  (
    flock 9
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ) 9>/tmp/vision-service-apt.lock
fi

if [[ -x scripts/build-sfu-worker.sh ]]; then
  scripts/build-sfu-worker.sh >/dev/null
fi
