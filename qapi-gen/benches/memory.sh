#!/usr/bin/env bash
# Peak memory of `qapi-gen check` as a whole process (GNU time's %M, the
# peak resident set size) on valid synthetic schemas of about 1, 10 and
# 50 MB, and its ratio to the input's size (also without what a run on an
# empty schema takes, about 4 MB of code, libraries and allocator that do
# not grow with the input), for the binary under test and, side by side in
# the same run, for a reference binary.  Two shapes
# (synth.py): `mixed`, documented definitions of every kind in QEMU's
# proportions (about half of the text is documentation), and
# `definitions`, structs and commands without documentation or comments
# (every byte is a value).
#
#   qapi-gen/benches/memory.sh [SIZES_MB...]      (default: 1 10 50)
#
# Environment: QAPI_GEN, QAPI_GEN_REF, MEMORY_DIR (default target/memory),
# as for scaling.sh.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
sizes=("$@")
((${#sizes[@]})) || sizes=(1 10 50)
work=${MEMORY_DIR:-$repo/target/memory}
if [[ -z ${QAPI_GEN:-} ]]; then
    cargo build --release -q -p qapi-gen --manifest-path "$repo/Cargo.toml" --target-dir "$repo/target"
    QAPI_GEN=$repo/target/release/qapi-gen
fi
ref=${QAPI_GEN_REF:-}
[[ -x /usr/bin/time ]] || { echo "memory.sh: needs GNU time at /usr/bin/time" >&2; exit 1; }

# Bytes of schema text per unit of synth.py's N, for each shape.
declare -A per_n=([mixed]=1898 [definitions]=143)

# Peak RSS in KB and wall time in s of one check, as "KB s".
peak() {
    local out
    out=$(/usr/bin/time -f '%M %e' "$1" check --warnings=none "$2" 2>&1 >/dev/null | tail -1)
    [[ $out =~ ^[0-9]+\ [0-9.]+$ ]] || { echo "memory.sh: $1 check $2 failed: $out" >&2; exit 1; }
    echo "$out"
}

# A row's figures: peak RSS, its ratio to the input, the ratio of what it
# takes beyond an empty schema's run (the process itself: code, libraries,
# the allocator's start) to the input, and the time.
row() {
    local kb=$1 secs=$2 bytes=$3 empty_kb=$4
    awk -v kb="$kb" -v s="$secs" -v b="$bytes" -v e="$empty_kb" \
        'BEGIN { printf " %.1f MB | %.1f | %.1f | %.2f s |", kb * 1024 / 1e6, kb * 1024 / b, (kb - e) * 1024 / b, s }'
}

empty=$work/empty.json
mkdir -p "$work"
: >"$empty"
header="| shape | input | peak RSS | RSS / input | (RSS - empty) / input | time |"
rule="|---|---|---|---|---|---|"
if [[ -n $ref ]]; then
    header+=" reference peak RSS | reference RSS / input | reference (RSS - empty) / input | reference time |"
    rule+="---|---|---|---|"
fi
echo "$header"
echo "$rule"
read -r empty_kb secs < <(peak "$QAPI_GEN" "$empty")
line="| empty schema | 0 | $(awk -v kb="$empty_kb" 'BEGIN { printf "%.1f MB", kb * 1024 / 1e6 }') | - | - | $secs s |"
if [[ -n $ref ]]; then
    read -r ref_empty_kb secs < <(peak "$ref" "$empty")
    line+=" $(awk -v kb="$ref_empty_kb" 'BEGIN { printf "%.1f MB", kb * 1024 / 1e6 }') | - | - | $secs s |"
fi
echo "$line"
for shape in mixed definitions; do
    for mb in "${sizes[@]}"; do
        n=$((mb * 1000000 / ${per_n[$shape]}))
        schema=$(python3 "$here/synth.py" "$shape" "$n" "$work/$shape-$mb")
        bytes=$(wc -c <"$schema")
        "$QAPI_GEN" check --warnings=none "$schema" >/dev/null 2>&1 || true
        read -r kb secs < <(peak "$QAPI_GEN" "$schema")
        line="| $shape | $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') |$(row "$kb" "$secs" "$bytes" "$empty_kb")"
        if [[ -n $ref ]]; then
            read -r kb secs < <(peak "$ref" "$schema")
            line+="$(row "$kb" "$secs" "$bytes" "$ref_empty_kb")"
        fi
        echo "$line"
    done
done
