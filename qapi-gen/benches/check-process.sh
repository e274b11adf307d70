#!/usr/bin/env bash
# `qapi-gen check` of QEMU 10.2's QMP schema as a whole process: min and
# median wall time of N runs, and the peak RSS of one (GNU time's %M).
#
#   qapi-gen/benches/check-process.sh [N]      (default 51)
#
# Environment: QAPI_SHARED_DIR (default: the repository's sibling `shared`),
# QAPI_GEN (default: a release build made here).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=${QAPI_SHARED_DIR:-$repo/../shared}
schema=$shared/qemu/10.2/qapi/qapi-schema.json
runs=${1:-51}
[[ -f $schema ]] || { echo "check-process.sh: no schema at $schema (set QAPI_SHARED_DIR)" >&2; exit 1; }
if [[ -z ${QAPI_GEN:-} ]]; then
    cargo build --release -q -p qapi-gen --manifest-path "$repo/Cargo.toml" --target-dir "$repo/target"
    QAPI_GEN=$repo/target/release/qapi-gen
fi
samples=()
for _ in $(seq "$runs"); do
    t0=${EPOCHREALTIME/[.,]/}
    "$QAPI_GEN" check "$schema" >/dev/null 2>&1
    t1=${EPOCHREALTIME/[.,]/}
    samples+=($((t1 - t0)))
done
printf '%s\n' "${samples[@]}" | sort -n | awk -v n="$runs" '
    { v[NR] = $1 }
    END { printf "qapi-gen check, %d runs: min %.1f ms, median %.1f ms\n", n, v[1] / 1000, v[int((NR + 1) / 2)] / 1000 }'
rss=$(/usr/bin/time -f %M "$QAPI_GEN" check "$schema" 2>&1 >/dev/null | tail -1)
echo "peak RSS: $rss KB"
