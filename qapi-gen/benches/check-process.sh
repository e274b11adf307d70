#!/usr/bin/env bash
# `qapi-gen check --strict` of QEMU 10.2's QMP schema as a whole process,
# side by side in one run with QEMU's own checker (Python, scripts/qapi of
# QEMU's source) on the same schema: min and median wall time of N
# interleaved runs of each, and the peak RSS of one (GNU time's %M).
#
#   qapi-gen/benches/check-process.sh [N]      (default 51)
#
# QEMU's checker is not part of this repository: the script fetches QEMU's
# source package from Debian's archive with apt-get (a private apt
# configuration under target/qemu-src, so the system's is untouched), the
# newest 10.2.x release, and unpacks scripts/qapi and scripts/qapi-gen.py
# only.  Two runs of it are timed: the check alone (a one-line driver
# builds `qapi.schema.QAPISchema`, which parses and checks, as our `check`
# does) and `qapi-gen.py -o DIR`, which also generates QEMU's C code.
#
# Environment: QAPI_SHARED_DIR (default: the repository's sibling
# `shared`), QAPI_GEN (default: a release build made here), QAPI_GEN_REF
# (a reference binary, timed too), QEMU_SRC (a QEMU source tree to use
# instead of fetching one), QEMU_VERSION (default: the newest 10.2.x).
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
ref=${QAPI_GEN_REF:-}

# QEMU's source: scripts/qapi and scripts/qapi-gen.py of the newest 10.2.x
# (or QEMU_VERSION) in Debian's archive.
fetch_qemu() {
    local dir=$repo/target/qemu-src apt
    if [[ -f $dir/tree/scripts/qapi-gen.py ]]; then
        echo "$dir/tree"
        return
    fi
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/dl"
    printf 'deb-src http://deb.debian.org/debian %s main\n' sid trixie >"$dir/sources.list"
    apt=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
    apt-get "${apt[@]}" -qq update >&2
    local version=${QEMU_VERSION:-}
    if [[ -z $version ]]; then
        version=$(apt-cache "${apt[@]}" showsrc qemu | sed -n 's/^Version: //p' |
            grep -E '^(1:)?10\.2\.' | sort -V | tail -1)
    fi
    [[ -n $version ]] || { echo "check-process.sh: no QEMU 10.2 source package found" >&2; exit 1; }
    (cd "$dir/dl" && apt-get "${apt[@]}" -qq source --download-only "qemu=$version" >&2)
    rm -rf "$dir/tree"
    mkdir -p "$dir/tree"
    tar -xf "$dir"/dl/qemu_*.orig.tar.* -C "$dir/tree" --strip-components=1 \
        --wildcards '*/scripts/qapi/*' '*/scripts/qapi-gen.py'
    echo "$version" >"$dir/tree/DEBIAN-VERSION"
    echo "$dir/tree"
}
qemu=${QEMU_SRC:-$(fetch_qemu)}
qemu_version=$(cat "$qemu/DEBIAN-VERSION" 2>/dev/null || echo "$qemu")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {
    case $1 in
        ours) "$QAPI_GEN" check --strict "$schema" ;;
        ref) "$ref" check --strict "$schema" ;;
        qemu-check) python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); from qapi.schema import QAPISchema; QAPISchema(sys.argv[2])' "$qemu/scripts" "$schema" ;;
        qemu-gen) python3 "$qemu/scripts/qapi-gen.py" -o "$out" "$schema" ;;
    esac
}
tools=(ours)
[[ -n $ref ]] && tools+=(ref)
tools+=(qemu-check qemu-gen)
for t in "${tools[@]}"; do
    run "$t" >/dev/null 2>&1 || { echo "check-process.sh: $t failed on $schema" >&2; exit 1; }
done
declare -A samples
for ((i = 0; i < runs; i++)); do
    for t in "${tools[@]}"; do
        # QEMU's generator writes 2 MB of C: a fifth of the runs suffice.
        [[ $t == qemu-gen ]] && ((i % 5)) && continue
        t0=${EPOCHREALTIME/[.,]/}
        run "$t" >/dev/null 2>&1
        t1=${EPOCHREALTIME/[.,]/}
        samples[$t]+="$((t1 - t0)) "
    done
done
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d\n", NR, v[1], v[int((NR + 1) / 2)] }'; }
read -r _ _ ours_median < <(stats "${samples[ours]}")
echo "| what | runs | min | median | median / ours | peak RSS |"
echo "|---|---|---|---|---|---|"
for t in "${tools[@]}"; do
    read -r n min med < <(stats "${samples[$t]}")
    rss=$( { /usr/bin/time -f %M bash -c "$(declare -f run); $(declare -p QAPI_GEN ref schema qemu out); run $t" >/dev/null; } 2>&1 | tail -1)
    case $t in
        ours) name="qapi-gen check --strict" ;;
        ref) name="reference qapi-gen check --strict" ;;
        qemu-check) name="QEMU $qemu_version checker (QAPISchema)" ;;
        qemu-gen) name="QEMU $qemu_version qapi-gen.py -o DIR" ;;
    esac
    awk -v name="$name" -v n="$n" -v min="$min" -v med="$med" -v ours="$ours_median" -v rss="$rss" \
        'BEGIN { printf "| %s | %d | %.1f ms | %.1f ms | %.1f | %.1f MB |\n", name, n, min / 1000, med / 1000, med / ours, rss * 1024 / 1e6 }'
done
