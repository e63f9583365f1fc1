#!/usr/bin/env bash
# Builds mediasoup 3.12.16's C++ worker against Debian 12's system libraries (the npm package's own build
# downloads subprojects, which this network cannot) and caches the binary outside the repo. Idempotent: when
# the cached binary exists it only prints its path. Used by the SFU test harness and the transport benchmark.
#
# Output: the worker's path on stdout (last line). Logs go to stderr.
set -euo pipefail

VERSION=3.12.16
CACHE_DIR="${VISION_CACHE_DIR:-$HOME/.cache/vision-service}"
BIN="$CACHE_DIR/mediasoup-worker-$VERSION"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

APT_DEPS=(meson ninja-build pkg-config g++ python3 libssl-dev nlohmann-json3-dev libuv1-dev libsrtp2-dev
  libusrsctp-dev libabsl-dev iproute2)
missing=()
for pkg in "${APT_DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "build-sfu-worker: installing ${missing[*]}" >&2
  flock /tmp/apt.lock sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"' \
    apt-install "${missing[@]}" >&2
fi

mkdir -p "$CACHE_DIR"
# One builder at a time; a second caller waits and then finds the binary.
exec 9>"$CACHE_DIR/.mediasoup-worker-$VERSION.lock"
flock 9
if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# The sources: the installed devDependency when it is the right version, else the registry tarball.
installed="$REPO/node_modules/mediasoup"
if [[ -f "$installed/package.json" ]] &&
  [[ "$(node -p "require('$installed/package.json').version")" == "$VERSION" ]] &&
  [[ -d "$installed/worker/src" ]]; then
  cp -r "$installed/worker" "$WORK/worker"
else
  (cd "$WORK" && npm pack --silent "mediasoup@$VERSION" >/dev/null && tar xzf "mediasoup-$VERSION.tgz")
  mv "$WORK/package/worker" "$WORK/worker"
fi
W="$WORK/worker"
rm -rf "$W/subprojects"

# Rewrite the two meson files: keep their source lists, swap every subproject for the system library.
python3 - "$W" <<'PY'
import re, sys
w = sys.argv[1]

top = open(f"{w}/meson.build").read()
top = top.replace("meson_version: '>= 1.1.0'", "meson_version: '>= 1.0.0'")
head = top[: top.index("cpp = meson.get_compiler('cpp')")]
head = re.sub(r"\nif host_machine\.system\(\) == 'windows'\n.*?\nendif\n", "\n", head, count=1, flags=re.S)
head += """
absl_dep = [
  dependency('absl_flat_hash_map'), dependency('absl_flat_hash_set'), dependency('absl_btree'),
  dependency('absl_inlined_vector'), dependency('absl_strings'), dependency('absl_optional'),
  dependency('absl_variant'), dependency('absl_span'), dependency('absl_memory'),
]
openssl_dep = dependency('openssl')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
libsrtp2_dep = declare_dependency(
  dependencies: dependency('libsrtp2'),
  include_directories: include_directories('/usr/include/srtp2'),
)
usrsctp_dep = dependency('usrsctp')

libwebrtc_include_directories = include_directories('include')
subdir('deps/libwebrtc')

executable(
  'mediasoup-worker',
  build_by_default: true,
  dependencies: absl_dep + [openssl_dep, nlohmann_json_dep, libuv_dep, libsrtp2_dep, usrsctp_dep, libwebrtc_dep],
  sources: common_sources + ['src/main.cpp'],
  include_directories: include_directories('include'),
  cpp_args: cpp_args + ['-DMS_EXECUTABLE'],
)
"""
open(f"{w}/meson.build", "w").write(head)

lw = open(f"{w}/deps/libwebrtc/meson.build").read()
lw = lw[: lw.index("abseil_cpp_proj = subproject(")]
lw += """
local_include_directories = declare_dependency(include_directories: include_directories('libwebrtc'))

libwebrtc = static_library(
  'libwebrtc',
  libwebrtc_sources,
  dependencies: absl_dep + [local_include_directories, openssl_dep, nlohmann_json_dep, libuv_dep],
  include_directories: libwebrtc_include_directories,
  cpp_args: cpp_args,
)

libwebrtc_dep = declare_dependency(
  dependencies: absl_dep + [local_include_directories],
  include_directories: include_directories('.'),
  link_with: libwebrtc,
)
"""
open(f"{w}/deps/libwebrtc/meson.build", "w").write(lw)
PY

echo "build-sfu-worker: compiling mediasoup-worker $VERSION (several minutes)" >&2
meson setup "$WORK/build" "$W" --buildtype=release -Db_ndebug=true --wrap-mode=nodownload >&2
ninja -C "$WORK/build" mediasoup-worker >&2
install -m 0755 "$WORK/build/mediasoup-worker" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
echo "$BIN"
