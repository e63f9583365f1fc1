#!/usr/bin/env bash
# Replays the Dockerfile natively, because there is no Docker engine here: every stage gets its own root
# under a scratch directory, COPY copies exactly what the Dockerfile names (from the repo, or from an
# earlier stage with --from), RUN runs the same commands, ENV/WORKDIR apply. Then it starts the final
# stage's CMD as an unprivileged user on a free loopback port, waits for GET /health and /ready, runs the
# HEALTHCHECK command, stops it with SIGTERM and checks no dev-only package reached the final stage.
# Prints one JSON line at the end. The scratch directory is removed on exit.
# Usage: scripts/check-dockerfile.sh [Dockerfile]   (run from anywhere; needs node and npm on PATH)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
DOCKERFILE=${1:-$REPO/Dockerfile}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vision-dockerfile.XXXXXX")
chmod 755 "$SCRATCH"
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
die() {
  echo "check-dockerfile: $*" >&2
  exit 1
}
log() { echo "check-dockerfile: $*" >&2; }
log "scratch $SCRATCH"

# Joined logical lines: continuations folded, comments and blank lines dropped.
mapfile -t LINES < <(sed -e '/^[[:space:]]*#/d' "$DOCKERFILE" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' | sed -e '/^[[:space:]]*$/d')

declare -A STAGE_ROOT=()
STAGES=0
ROOT="" CWD="/" USER_NAME="root" CMD_JSON="" HEALTHCHECK_CMD=""
STAGE_ENV=()
BUILD_START=$(date +%s)

copy_into() { # copy_into <source path> <dest path (in the stage)> <dest is a directory: 0|1> <source as written>
  local src=$1 dest=$2 into=$3
  [[ -e $src ]] || die "COPY source $4 does not exist"
  if [[ -d $src ]]; then
    mkdir -p "$dest" && cp -a "$src/." "$dest/"
  elif ((into)); then
    mkdir -p "$dest" && cp -a "$src" "$dest/"
  else
    mkdir -p "$(dirname "$dest")" && cp -a "$src" "$dest"
  fi
}

in_stage() { # absolute path inside the current stage
  if [[ $1 == /* ]]; then echo "$ROOT$1"; else echo "$ROOT$CWD/$1"; fi
}

for line in "${LINES[@]}"; do
  read -r instruction rest <<<"$line"
  case ${instruction^^} in
    FROM)
      read -r image as name <<<"$rest"
      STAGES=$((STAGES + 1))
      name=${name:-$STAGES}
      ROOT="$SCRATCH/stage-$name" CWD="/" USER_NAME="root" STAGE_ENV=()
      mkdir -p "$ROOT"
      STAGE_ROOT[$name]=$ROOT
      log "stage $name ($image)"
      ;;
    WORKDIR)
      CWD=$rest
      mkdir -p "$ROOT$CWD"
      ;;
    ENV)
      read -ra pairs <<<"$rest"
      for pair in "${pairs[@]}"; do
        [[ $pair == *=* ]] || die "ENV without '=' is not supported: $line"
        STAGE_ENV+=("$pair")
      done
      ;;
    COPY)
      read -ra args <<<"$rest"
      from=""
      while [[ ${args[0]} == --* ]]; do
        case ${args[0]} in
          --from=*) from=${args[0]#--from=} ;;
          --chown=*) ;; # files are copied as the user running this script; read-only to the app user below
          *) die "unsupported COPY flag ${args[0]}" ;;
        esac
        args=("${args[@]:1}")
      done
      dest=${args[-1]}
      sources=("${args[@]:0:${#args[@]}-1}")
      into=0
      [[ $dest == */ || ${#sources[@]} -gt 1 ]] && into=1
      for src in "${sources[@]}"; do
        if [[ -n $from ]]; then
          [[ -n ${STAGE_ROOT[$from]:-} ]] || die "COPY --from=$from names no earlier stage"
          base=${STAGE_ROOT[$from]}
          [[ $src == /* ]] || die "COPY --from needs an absolute source: $src"
          copy_into "$base$src" "$(in_stage "$dest")" $into "$src (stage $from)"
        else
          [[ $src != /* && $src != *..* ]] || die "COPY source outside the build context: $src"
          copy_into "$REPO/$src" "$(in_stage "$dest")" $into "$src"
        fi
      done
      ;;
    RUN)
      log "RUN $rest"
      # The shared npm lock: helpers never run npm at the same time. Cache-first, no audit: same result, less network.
      (cd "$ROOT$CWD" && env "${STAGE_ENV[@]}" npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false \
        flock /tmp/npm.lock sh -c "$rest") >&2 || die "RUN failed: $rest"
      ;;
    USER) USER_NAME=$rest ;;
    CMD) CMD_JSON=$rest ;;
    HEALTHCHECK)
      [[ $rest == *" CMD "* ]] || die "HEALTHCHECK without CMD"
      HEALTHCHECK_CMD=${rest#* CMD }
      ;;
    EXPOSE | LABEL | ARG) ;;
    *) die "unsupported instruction $instruction" ;;
  esac
done
BUILD_S=$(($(date +%s) - BUILD_START))
((STAGES >= 2)) || die "expected a multi-stage Dockerfile"
[[ $USER_NAME != root && $USER_NAME != 0 ]] || die "the final stage runs as root"
[[ -n $CMD_JSON ]] || die "no CMD"
[[ -n $HEALTHCHECK_CMD ]] || die "no HEALTHCHECK"
APP="$ROOT$CWD"

# No package the lockfile marks dev-only may be in the final stage.
node -e '
  const [lockFile, app] = process.argv.slice(1);
  const { existsSync } = require("fs");
  const packages = require(lockFile).packages;
  const devOnly = Object.keys(packages).filter((p) => p.startsWith("node_modules/") && packages[p].dev);
  const shipped = devOnly.filter((p) => existsSync(app + "/" + p));
  if (devOnly.length === 0) throw new Error("the lockfile lists no dev packages: cannot check");
  if (shipped.length > 0) { console.error("dev-only packages in the final stage: " + shipped.slice(0, 20).join(", ")); process.exit(1); }
  if (!existsSync(app + "/node_modules/@nestjs/core")) { console.error("production dependencies missing"); process.exit(1); }
' "$REPO/package-lock.json" "$APP" || die "final stage node_modules is wrong"

PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
mapfile -t CMD < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$CMD_JSON")
# The Dockerfile's user, emulated by an unprivileged uid that owns nothing in the tree (so nothing can be written).
RUN_AS=()
if [[ $(id -u) -eq 0 ]]; then RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
RUN_ENV=("${STAGE_ENV[@]}" "PORT=$PORT" HOST=127.0.0.1 FACE_WORKERS=2 LOG_LEVEL=warn HOME=/nonexistent)
START=$(date +%s)
(cd "$APP" && exec env -i PATH="$PATH" "${RUN_ENV[@]}" "${RUN_AS[@]}" "${CMD[@]}") >"$SCRATCH/server.log" 2>&1 &
SERVER_PID=$!

wait_for() { # wait_for <path> <seconds>
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SCRATCH/server.log" >&2; die "the service exited while waiting for $1"; }
    curl -sf -o /dev/null "http://127.0.0.1:$PORT$1" && return 0
    sleep 0.5
  done
  cat "$SCRATCH/server.log" >&2
  die "GET $1 did not answer 200 within $2 s"
}
wait_for /health 60
wait_for /ready 120
READY_S=$(($(date +%s) - START))
RSS_KIB=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
(cd "$APP" && env -i PATH="$PATH" "${RUN_ENV[@]}" sh -c "$HEALTHCHECK_CMD") || die "HEALTHCHECK command failed"

# SIGTERM with no running flow: the drain has nothing to wait for, so the process ends promptly.
kill -TERM "$SERVER_PID"
for ((i = 0; i < 60; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$SERVER_PID" 2>/dev/null && die "the service did not stop within 30 s of SIGTERM"
SERVER_PID=""

printf '{"dockerfile":"%s","stages":%d,"build_s":%d,"ready_s":%d,"idle_rss_mib":%d,"final_node_modules_mib":%d,"final_app_mib":%d,"scratch":"%s"}\n' \
  "${DOCKERFILE#"$REPO"/}" "$STAGES" "$BUILD_S" "$READY_S" $((RSS_KIB / 1024)) \
  "$(du -sm "$APP/node_modules" | cut -f1)" "$(du -sm "$APP" | cut -f1)" "$SCRATCH"
