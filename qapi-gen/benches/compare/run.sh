#!/usr/bin/env bash
# Side-by-side comparison of our `qapi-gen` with arcnmx's `qapi-codegen` 0.11
# (crates.io) on QEMU 10.2's full QMP schema, in one run:
#
#   1. builds both generators in release;
#   2. times generation, whole process, interleaved: qapi-codegen,
#      `qapi-gen generate --no-format`, `qapi-gen generate` (formatted),
#      and `qapi-gen generate` of 10.2 with `--merge` of 5.2 and 7.2;
#   3. times `cargo check` of each generator's output in its own throwaway
#      crate (dependencies checked once beforehand, CARGO_INCREMENTAL=0);
#   4. prints a summary table.
#
# Environment (all optional):
#   QAPI_SHARED_DIR     the shared dir holding qemu/10.2/qapi/
#                       (default: ../../../../shared from this script, i.e.
#                       the repository's sibling `shared`)
#   COMPARE_DIR         where builds, generated files and the check crates go
#                       (default: <repo>/target/compare)
#   COMPARE_GEN_RUNS    generation runs per tool (default 30)
#   COMPARE_CHECK_RUNS  `cargo check` runs per crate (default 3)
#   QAPI_GEN_REF        a reference qapi-gen binary of another commit, made
#                       by `qapi-gen/benches/ref-build.sh COMMIT`: its
#                       generation (plain and --no-format) is timed in the
#                       same rounds, and its output checked against that
#                       commit's qapi-types (found at ../src beside the
#                       binary, as ref-build.sh leaves it), side by side
#
# Only the first run needs the network (crates.io, for qapi-codegen and
# qapi-spec); later runs build and check with what cargo has cached.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
shared=${QAPI_SHARED_DIR:-$here/../../../../shared}
schema_dir=$shared/qemu/10.2/qapi
schema=$schema_dir/qapi-schema.json
work=${COMPARE_DIR:-$repo/target/compare}
gen_runs=${COMPARE_GEN_RUNS:-30}
check_runs=${COMPARE_CHECK_RUNS:-3}

die() { echo "run.sh: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*" >&2; }

[[ -f $schema ]] || die "no QMP schema at $schema (set QAPI_SHARED_DIR)"
[[ $gen_runs =~ ^[1-9][0-9]*$ ]] || die "COMPARE_GEN_RUNS must be a positive integer"
[[ $check_runs =~ ^[1-9][0-9]*$ ]] || die "COMPARE_CHECK_RUNS must be a positive integer"
mkdir -p "$work"
work=$(cd "$work" && pwd)
schema_dir=$(cd "$schema_dir" && pwd)
schema=$schema_dir/qapi-schema.json
host=$(rustc -vV | sed -n 's/^host: //p')

# Wall clock in microseconds, into REPLY.  bash >= 5 reads it without
# forking, so nothing but the measured process lands inside an interval.
if [[ -n ${EPOCHREALTIME:-} ]]; then
    clock() { REPLY=${EPOCHREALTIME/[.,]/}; }
else
    clock() { REPLY=$(( $(date +%s%N) / 1000 )); }
fi

# min and median of integer microsecond samples, as "min median" in the
# unit given by the divisor ($1) with $2 decimals.
stats() {
    local div=$1 dec=$2
    shift 2
    printf '%s\n' "$@" | sort -n | awk -v div="$div" -v dec="$dec" '
        { a[NR] = $1 }
        END {
            med = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.*f %.*f\n", dec, a[1] / div, dec, med / div
        }'
}

lines() { wc -l <"$1" | tr -d ' '; }
bytes() { wc -c <"$1" | tr -d ' '; }

# ---------------------------------------------------------------- a) build
step "building qapi-codegen-gen (qapi-codegen 0.11, crates.io) in release"
CARGO_TARGET_DIR=$work/target-qapi-codegen \
    cargo build --release --locked --manifest-path "$here/Cargo.toml" \
    --bin qapi-codegen-gen
theirs_bin=$work/target-qapi-codegen/release/qapi-codegen-gen

step "building qapi-gen in release"
# --locked: measure exactly the committed dependency versions, and never
# rewrite the workspace's Cargo.lock from a benchmark.
CARGO_TARGET_DIR=$work/target-qapi-gen \
    cargo build --release --locked --manifest-path "$repo/Cargo.toml" \
    -p qapi-gen --bin qapi-gen ||
    die "building qapi-gen failed (if Cargo.lock is out of date, update it with any cargo command in $repo first)"
ours_bin=$work/target-qapi-gen/release/qapi-gen

ref_bin=${QAPI_GEN_REF:-}
if [[ -n $ref_bin ]]; then
    [[ -x $ref_bin ]] || die "QAPI_GEN_REF=$ref_bin is not an executable"
    ref_bin=$(cd "$(dirname "$ref_bin")" && pwd)/$(basename "$ref_bin")
    ref_src=$(dirname "$ref_bin")/src
    [[ -f $ref_src/qapi-types/Cargo.toml && -f $ref_src/Cargo.lock ]] ||
        die "no qapi-types source at $ref_src (make QAPI_GEN_REF with qapi-gen/benches/ref-build.sh)"
fi

# ----------------------------------------------------------- b) generation
gen=$work/gen
mkdir -p "$gen"
tools=(qapi-codegen qapi-gen-noformat qapi-gen qapi-gen-merged)
declare -A out=(
    [qapi-codegen]=$gen/qapi-codegen.rs
    [qapi-gen-noformat]=$gen/qapi-gen-noformat.rs
    [qapi-gen]=$gen/qapi-gen.rs
    [qapi-gen-merged]=$gen/qapi-gen-merged.rs
)
older=()
for v in 5.2 7.2; do
    f=$shared/qemu/$v/qapi/qapi-schema.json
    [[ -f $f ]] || die "no QMP schema at $f (set QAPI_SHARED_DIR)"
    older+=(--merge "$(cd "$(dirname "$f")" && pwd)/qapi-schema.json")
done
if [[ -n $ref_bin ]]; then
    tools+=(ref-noformat ref)
    out[ref-noformat]=$gen/ref-noformat.rs
    out[ref]=$gen/ref.rs
fi
run_tool() {
    case $1 in
        qapi-codegen) "$theirs_bin" "$schema_dir" "${out[$1]}" ;;
        qapi-gen-noformat) "$ours_bin" generate "$schema" -o "${out[$1]}" --no-format ;;
        qapi-gen) "$ours_bin" generate "$schema" -o "${out[$1]}" ;;
        qapi-gen-merged) "$ours_bin" generate "$schema" "${older[@]}" -o "${out[$1]}" --warnings none ;;
        ref-noformat) "$ref_bin" generate "$schema" -o "${out[$1]}" --no-format ;;
        ref) "$ref_bin" generate "$schema" -o "${out[$1]}" ;;
    esac
}

step "generation: one untimed run each (warms the page cache, shows diagnostics)"
for t in "${tools[@]}"; do
    rm -f "${out[$t]}"
    echo "-- $t" >&2
    run_tool "$t" >/dev/null || die "$t failed on $schema"
done

step "generation: $gen_runs interleaved runs per tool, whole process"
# Wall time from the clock above; CPU time (user + sys, all threads) from
# bash's `time`, which is less sensitive to other load on the machine.
TIMEFORMAT='%3U %3S'
declare -A samples=() cpu_samples=()
for ((i = 0; i < gen_runs; i++)); do
    # Rotate the order each round so no tool always runs first.
    for ((j = 0; j < ${#tools[@]}; j++)); do
        t=${tools[(i + j) % ${#tools[@]}]}
        # qapi-gen leaves an unchanged output file alone; start each run
        # from no file, as in a clean build's OUT_DIR, so both tools write.
        rm -f "${out[$t]}"
        clock; t0=$REPLY
        { time run_tool "$t" >/dev/null 2>&1; } 2>"$gen/cpu-time" ||
            die "$t failed (run $((i + 1)))"
        clock; t1=$REPLY
        samples[$t]+="$((t1 - t0)) "
        read -r user sys <"$gen/cpu-time"
        cpu_samples[$t]+="$((10#${user/[.,]/} + 10#${sys/[.,]/})) "
    done
    printf '.' >&2
done
echo >&2
declare -A gen_min=() gen_med=() cpu_min=() cpu_med=()
for t in "${tools[@]}"; do
    # shellcheck disable=SC2086 # word splitting of the samples is wanted
    read -r gen_min[$t] gen_med[$t] < <(stats 1000 1 ${samples[$t]})
    # shellcheck disable=SC2086
    read -r cpu_min[$t] cpu_med[$t] < <(stats 1 0 ${cpu_samples[$t]})
done

# --------------------------------------------------------- c) cargo check
# Each generator's output in a crate of its own, with only what it needs,
# and a CARGO_TARGET_DIR of its own.
check=$work/check
crates=(qapi-codegen qapi-gen)
rm -rf "$check/qapi-codegen/src" "$check/qapi-gen/src"
mkdir -p "$check/qapi-codegen/src" "$check/qapi-gen/src"

# qapi-codegen's output, set up the way arcnmx's qapi-qmp 0.15 sets it up:
# edition 2018, qapi-spec and serde (derive); at the crate root, with
# Serialize/Deserialize in scope and the command trait it names.
cat >"$check/qapi-codegen/Cargo.toml" <<'EOF'
[package]
name = "check-qapi-codegen"
version = "0.0.0"
edition = "2018"
publish = false

[dependencies]
qapi-spec = "0.3"
serde = { version = "1", features = ["derive"] }

[workspace]
EOF
cat >"$check/qapi-codegen/src/lib.rs" <<'EOF'
#![allow(non_snake_case, non_camel_case_types, deprecated)]
use serde::{Deserialize, Serialize};
pub trait QmpCommand: qapi_spec::Command {}
include!("generated.rs");
EOF
cp "${out[qapi-codegen]}" "$check/qapi-codegen/src/generated.rs"
cp "$here/Cargo.lock" "$check/qapi-codegen/Cargo.lock"

# Ours: qapi-types with default features, the output as a module, no prelude.
cat >"$check/qapi-gen/Cargo.toml" <<EOF
[package]
name = "check-qapi-gen"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
qapi-types = { path = "$repo/qapi-types" }

[workspace]
EOF
cat >"$check/qapi-gen/src/lib.rs" <<'EOF'
pub mod qmp {
    include!("generated.rs");
}
EOF
cp "${out[qapi-gen]}" "$check/qapi-gen/src/generated.rs"
cp "$repo/Cargo.lock" "$check/qapi-gen/Cargo.lock"

# The reference's output, the same way, against its own qapi-types.
if [[ -n $ref_bin ]]; then
    crates+=(ref)
    rm -rf "$check/ref/src"
    mkdir -p "$check/ref/src"
    sed -e 's/^name = "check-qapi-gen"/name = "check-ref"/' \
        -e "s|path = \"$repo/qapi-types\"|path = \"$ref_src/qapi-types\"|" \
        "$check/qapi-gen/Cargo.toml" >"$check/ref/Cargo.toml"
    cp "$check/qapi-gen/src/lib.rs" "$check/ref/src/lib.rs"
    cp "${out[ref]}" "$check/ref/src/generated.rs"
    cp "$ref_src/Cargo.lock" "$check/ref/Cargo.lock"
fi

cargo_check() { # crate, extra args...
    local c=$1
    shift
    (cd "$check/$c" &&
        CARGO_TARGET_DIR=$check/target-$c CARGO_INCREMENTAL=0 cargo check --offline "$@")
}

step "checking the crates' dependencies once (untimed)"
for c in "${crates[@]}"; do
    echo "-- $c" >&2
    # The lockfiles are seeded from this package's and the workspace's;
    # only a first run needs to download anything.
    (cd "$check/$c" && { cargo fetch --offline --target "$host" 2>/dev/null ||
        cargo fetch --target "$host"; })
    cargo_check "$c" || die "cargo check of $c's output failed"
done

step "cargo check: $check_runs alternating runs per crate (touch src/lib.rs && CARGO_INCREMENTAL=0 cargo check)"
declare -A check_samples=() check_round=()
for ((i = 0; i < check_runs; i++)); do
    for ((j = 0; j < ${#crates[@]}; j++)); do
        c=${crates[(i + j) % ${#crates[@]}]}
        touch "$check/$c/src/lib.rs"
        clock; t0=$REPLY
        cargo_check "$c" >"$check/$c.log" 2>&1 || { cat "$check/$c.log" >&2; die "cargo check of $c failed"; }
        clock; t1=$REPLY
        grep -q "Checking check-$c " "$check/$c.log" ||
            die "cargo check of $c did not recheck the crate (see $check/$c.log)"
        check_samples[$c]+="$((t1 - t0)) "
        check_round[$c,$i]=$((t1 - t0))
        printf '%s %.2f s\n' "$c" "$(awk -v us=$((t1 - t0)) 'BEGIN { print us / 1e6 }')" >&2
    done
done
declare -A check_min=() check_med=() check_med_us=()
for c in "${crates[@]}"; do
    # shellcheck disable=SC2086
    read -r check_min[$c] check_med[$c] < <(stats 1000000 2 ${check_samples[$c]})
    # shellcheck disable=SC2086
    read -r _ check_med_us[$c] < <(stats 1 0 ${check_samples[$c]})
done

# --------------------------------------------------------------- d) summary
ratio=$(awk -v o="${check_med_us[qapi-gen]}" -v t="${check_med_us[qapi-codegen]}" 'BEGIN { printf "%.3f", o / t }')
round_ratios=$(for ((i = 0; i < check_runs; i++)); do
    awk -v o="${check_round[qapi-gen,$i]}" -v t="${check_round[qapi-codegen,$i]}" \
        'BEGIN { printf "%.3f ", o / t }'
done)
yesno() { awk "BEGIN { print ($1) ? \"yes\" : \"NO\" }"; }

echo
echo "qapi-gen vs qapi-codegen 0.11 on $schema"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average:$(uptime | sed 's/.*load average[s]*://')"
echo
echo "Generation, whole process, $gen_runs interleaved runs each (ms; wall time, and CPU = user + sys of all threads):"
printf '  %-22s %8s %9s %8s %8s %9s %8s\n' tool 'min ms' 'median ms' 'CPU min' 'CPU med' bytes lines
for t in "${tools[@]}"; do
    label=$t
    case $t in
        qapi-codegen) label="qapi-codegen 0.11" ;;
        qapi-gen-noformat) label="qapi-gen --no-format" ;;
        qapi-gen) label="qapi-gen (formatted)" ;;
        qapi-gen-merged) label="qapi-gen --merge 5.2 7.2" ;;
        ref-noformat) label="reference --no-format" ;;
        ref) label="reference (formatted)" ;;
    esac
    printf '  %-22s %8s %9s %8s %8s %9s %8s\n' "$label" "${gen_min[$t]}" "${gen_med[$t]}" \
        "${cpu_min[$t]}" "${cpu_med[$t]}" "$(bytes "${out[$t]}")" "$(lines "${out[$t]}")"
done
echo
echo "cargo check of the generated bindings (touch src/lib.rs, CARGO_INCREMENTAL=0), $check_runs alternating runs each:"
printf '  %-30s %9s %9s %9s %8s\n' crate 'min s' 'median s' bytes lines
printf '  %-30s %9s %9s %9s %8s\n' "qapi-codegen 0.11 output" "${check_min[qapi-codegen]}" \
    "${check_med[qapi-codegen]}" "$(bytes "$check/qapi-codegen/src/generated.rs")" \
    "$(lines "$check/qapi-codegen/src/generated.rs")"
printf '  %-30s %9s %9s %9s %8s\n' "qapi-gen output (formatted)" "${check_min[qapi-gen]}" \
    "${check_med[qapi-gen]}" "$(bytes "$check/qapi-gen/src/generated.rs")" \
    "$(lines "$check/qapi-gen/src/generated.rs")"
if [[ -n $ref_bin ]]; then
    printf '  %-30s %9s %9s %9s %8s\n' "reference output (formatted)" "${check_min[ref]}" \
        "${check_med[ref]}" "$(bytes "$check/ref/src/generated.rs")" \
        "$(lines "$check/ref/src/generated.rs")"
fi
echo "  ratio ours/theirs of the medians: $ratio (per round: ${round_ratios% })"
echo
echo "Goals:"
printf '  %-58s %s\n' "check time ours/theirs (median) = $ratio <= 0.50" \
    "$(yesno "2 * ${check_med_us[qapi-gen]} <= ${check_med_us[qapi-codegen]}")"
printf '  %-58s %s\n' "--no-format median ${gen_med[qapi-gen-noformat]} ms <= qapi-codegen ${gen_med[qapi-codegen]} ms" \
    "$(yesno "${gen_med[qapi-gen-noformat]} <= ${gen_med[qapi-codegen]}")"
printf '  %-58s %s\n' "formatted median ${gen_med[qapi-gen]} ms < 200 ms" \
    "$(yesno "${gen_med[qapi-gen]} < 200")"
merge_ratio=$(awk -v m="${gen_med[qapi-gen-merged]}" -v p="${gen_med[qapi-gen]}" 'BEGIN { printf "%.2f", m / p }')
printf '  %-58s %s\n' "--merge 5.2 7.2 median ${gen_med[qapi-gen-merged]} ms = ${merge_ratio}x plain < 3x" \
    "$(yesno "${gen_med[qapi-gen-merged]} < 3 * ${gen_med[qapi-gen]}")"
if [[ -n $ref_bin ]]; then
    echo
    echo "Against the reference ($ref_bin), medians:"
    for pair in "qapi-gen-noformat ref-noformat --no-format" "qapi-gen ref formatted"; do
        read -r o r what <<<"$pair"
        printf '  %-58s %s\n' "generation $what ${gen_med[$o]} ms vs ${gen_med[$r]} ms: $(awk -v o="${gen_med[$o]}" -v r="${gen_med[$r]}" 'BEGIN { printf "%.2f", o / r }')x <= 1.05x" \
            "$(yesno "${gen_med[$o]} <= 1.05 * ${gen_med[$r]}")"
    done
    printf '  %-58s %s\n' "cargo check ${check_med[qapi-gen]} s vs ${check_med[ref]} s: $(awk -v o="${check_med_us[qapi-gen]}" -v r="${check_med_us[ref]}" 'BEGIN { printf "%.2f", o / r }')x <= 1.05x" \
        "$(yesno "${check_med_us[qapi-gen]} <= 1.05 * ${check_med_us[ref]}")"
fi
echo
echo "Generated files: $gen; check crates: $check"
