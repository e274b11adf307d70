#!/usr/bin/env bash
# The front end's scaling: `qapi-gen check` of synthetic schemas that grow
# one thing at a time (synth.py), at a size n and at 2n, as whole
# processes.  For each dimension: the time at n and at 2n and their ratio
# (about 2 for a linear pass, about 4 for a quadratic one), for the binary
# under test and, side by side in the same run, for a reference binary.
#
#   qapi-gen/benches/scaling.sh [RUNS]        (default 5; the minimum counts)
#
# Environment:
#   QAPI_GEN          the binary under test (default: a release build made here)
#   QAPI_GEN_REF      a reference binary, e.g. $(qapi-gen/benches/ref-build.sh COMMIT)
#   SCALING_DIMS      the dimensions to run (default: all; synth.py --list)
#   SCALING_SCALE     multiplies every n (default 1)
#   SCALING_TIMEOUT   seconds after which a run is abandoned (default 300)
#   SCALING_DIR       where schemas are written (default target/scaling)
#
# A run taking over 2 s is not repeated: its one time is reported.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-5}
scale=${SCALING_SCALE:-1}
limit=${SCALING_TIMEOUT:-300}
work=${SCALING_DIR:-$repo/target/scaling}
if [[ -z ${QAPI_GEN:-} ]]; then
    cargo build --release -q -p qapi-gen --manifest-path "$repo/Cargo.toml" --target-dir "$repo/target"
    QAPI_GEN=$repo/target/release/qapi-gen
fi
ref=${QAPI_GEN_REF:-}

# n for each dimension: large enough that a linear pass takes tens of
# milliseconds, small enough that a quadratic one ends.
declare -A size=(
    [members]=100000 [definitions]=25000 [enum-values]=200000 [branches]=20000
    [base-and-branches]=10000 [features]=50000 [doc-members]=20000
    [undocumented]=20000 [doc-lines]=200000 [doc-blocks]=20000 [pragma]=20000
    [base-chain]=400 [nested-conditions]=5000 [includes]=2000
    [include-chain]=500 [mixed]=5000
)
dims=${SCALING_DIMS:-$(python3 "$here/synth.py" --list)}

# Wall time of one `check` in microseconds, into REPLY; "timeout" when
# it was abandoned.  The exit status must be 0: the schemas are valid.
time_check() {
    local bin=$1 schema=$2 t0 t1 status=0
    t0=${EPOCHREALTIME/[.,]/}
    timeout "$limit" "$bin" check --warnings=none "$schema" >/dev/null 2>&1 || status=$?
    t1=${EPOCHREALTIME/[.,]/}
    if ((status == 124)); then
        REPLY=timeout
    elif ((status != 0)); then
        echo "scaling.sh: $bin check $schema failed ($status)" >&2
        exit 1
    else
        REPLY=$((t1 - t0))
    fi
}

# The minimum over the runs, in microseconds ("timeout" if one was).
measure() {
    local bin=$1 schema=$2 best i
    time_check "$bin" "$schema"
    best=$REPLY
    if [[ $best != timeout ]] && ((best < 2000000)); then
        for ((i = 1; i < runs; i++)); do
            time_check "$bin" "$schema"
            if ((REPLY < best)); then best=$REPLY; fi
        done
    fi
    REPLY=$best
    return 0
}

ms() { [[ $1 == timeout ]] && echo ">${limit} s" || awk -v u="$1" 'BEGIN { printf "%.1f ms", u / 1000 }'; }
ratio() { [[ $1 == timeout || $2 == timeout ]] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

header="| dimension | n | input at 2n | n: time | 2n: time | ratio |"
rule="|---|---|---|---|---|---|"
if [[ -n $ref ]]; then
    header+=" reference n | reference 2n | reference ratio |"
    rule+="---|---|---|"
fi
echo "$header"
echo "$rule"
for dim in $dims; do
    n=$((${size[$dim]:?unknown dimension $dim} * scale))
    n2=$((2 * n))
    a=$(python3 "$here/synth.py" "$dim" "$n" "$work/$dim-$n")
    b=$(python3 "$here/synth.py" "$dim" "$n2" "$work/$dim-$n2")
    bytes=$(find "$(dirname "$b")" -name '*.json' -exec cat {} + | wc -c)
    # One untimed run each: the page cache.
    "$QAPI_GEN" check --warnings=none "$a" >/dev/null 2>&1 || true
    measure "$QAPI_GEN" "$a"; ta=$REPLY
    measure "$QAPI_GEN" "$b"; tb=$REPLY
    row="| $dim | $n | $(awk -v b="$bytes" 'BEGIN { printf "%.2f MB", b / 1e6 }') | $(ms "$ta") | $(ms "$tb") | $(ratio "$ta" "$tb") |"
    if [[ -n $ref ]]; then
        measure "$ref" "$a"; ra=$REPLY
        measure "$ref" "$b"; rb=$REPLY
        row+=" $(ms "$ra") | $(ms "$rb") | $(ratio "$ra" "$rb") |"
    fi
    echo "$row"
done
