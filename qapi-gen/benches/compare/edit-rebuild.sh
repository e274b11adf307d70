#!/usr/bin/env bash
# What a user pays to build: a program using bindings of QEMU 10.2's full
# QMP schema, built three ways, side by side in one run:
#
#   split    our bindings in a crate of their own (the layout the README
#            advises), the program in a crate depending on it;
#   inline   our bindings included in the program's own crate;
#   qapi-rs  arcnmx's `qapi` 0.15 (bindings in its `qapi-qmp` dependency).
#
# The program is the same task in each: the blockdev example
# (examples/src/blockdev.rs, bindings from the 10.2 schema instead of the
# project's) for ours, e2e/qapi-rs/src/main.rs for qapi-rs.  For each
# layout: a cold `cargo build` (debug, a fresh target directory,
# dependencies from cargo's cache), then rounds of `touch src/main.rs &&
# cargo build`, the layouts alternating, timing only that command.  Also
# the number of crates each build compiles.
#
# Environment (all optional):
#   QAPI_SHARED_DIR   the shared dir holding qemu/10.2/qapi/ (default: the
#                     repository's sibling `shared`)
#   COMPARE_DIR       where the crates and builds go (default:
#                     <repo>/target/compare)
#   EDIT_RUNS         edit-and-rebuild rounds (default 5)
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
shared=${QAPI_SHARED_DIR:-$here/../../../../shared}
schema=$shared/qemu/10.2/qapi/qapi-schema.json
work=${COMPARE_DIR:-$repo/target/compare}/edit
runs=${EDIT_RUNS:-5}

die() { echo "edit-rebuild.sh: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*" >&2; }

[[ -f $schema ]] || die "no QMP schema at $schema (set QAPI_SHARED_DIR)"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "EDIT_RUNS must be a positive integer"
schema=$(cd "$(dirname "$schema")" && pwd)/qapi-schema.json
rm -rf "$work"
mkdir -p "$work"

if [[ -n ${EPOCHREALTIME:-} ]]; then
    clock() { REPLY=${EPOCHREALTIME/[.,]/}; }
else
    clock() { REPLY=$(( $(date +%s%N) / 1000 )); }
fi

# min and median of microsecond samples, in seconds.
stats() {
    printf '%s\n' "$@" | sort -n | awk '
        { a[NR] = $1 }
        END {
            med = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.2f %.2f\n", a[1] / 1e6, med / 1e6
        }'
}

# ------------------------------------------------------------ the crates
# Our program: the blockdev example, its `crate::` paths pointed at the
# bindings, with a `main` reading `SOCKET DIR` as the other programs do.
ours_program() {
    local bindings=$1
    sed -e "s|^//!|//|" -e "s|^use crate::Error;|type Error = Box<dyn std::error::Error + Send + Sync>;|" \
        -e "s|^use crate::qmp::\*;|use $bindings::*;|" \
        "$repo/examples/src/blockdev.rs"
    cat <<'EOF'

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let [socket, dir] = &args[..] else {
        return Err("usage: blockdev SOCKET DIR".into());
    };
    run(socket, dir, &mut std::io::stdout()).await
}
EOF
}

manifest() {
    cat <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false
EOF
}

build_script() {
    cat <<EOF
fn main() {
    qapi_gen::Builder::new()
        .schema("$schema")
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
}
EOF
}

ours_deps="qapi-types = { path = \"$repo/qapi-types\" }"
gen_dep="qapi-gen = { path = \"$repo/qapi-gen\", default-features = false }"
tokio_dep='tokio = { version = "1", features = ["macros", "rt-multi-thread"] }'

# split: a workspace of the bindings crate and the program.
mkdir -p "$work/split/qemu-qmp/src" "$work/split/app/src"
printf '[workspace]\nresolver = "3"\nmembers = ["qemu-qmp", "app"]\n' >"$work/split/Cargo.toml"
{ manifest qemu-qmp; printf '\n[dependencies]\n%s\n\n[build-dependencies]\n%s\n' "$ours_deps" "$gen_dep"; } \
    >"$work/split/qemu-qmp/Cargo.toml"
build_script >"$work/split/qemu-qmp/build.rs"
echo 'include!(concat!(env!("OUT_DIR"), "/qapi-schema.rs"));' >"$work/split/qemu-qmp/src/lib.rs"
{ manifest app; printf '\n[dependencies]\nqemu-qmp = { path = "../qemu-qmp" }\n%s\n%s\n' "$ours_deps" "$tokio_dep"; } \
    >"$work/split/app/Cargo.toml"
ours_program qemu_qmp >"$work/split/app/src/main.rs"
cp "$repo/Cargo.lock" "$work/split/"

# inline: one crate, bindings included in it.
mkdir -p "$work/inline/src"
{ manifest app; printf '\n[dependencies]\n%s\n%s\n\n[build-dependencies]\n%s\n\n[workspace]\n' \
    "$ours_deps" "$tokio_dep" "$gen_dep"; } >"$work/inline/Cargo.toml"
build_script >"$work/inline/build.rs"
{
    printf 'mod qmp {\n    include!(concat!(env!("OUT_DIR"), "/qapi-schema.rs"));\n}\n\n'
    ours_program qmp
} >"$work/inline/src/main.rs"
cp "$repo/Cargo.lock" "$work/inline/"

# qapi-rs: the reference program's package as it is.
mkdir -p "$work/qapi-rs"
cp -r "$here/e2e/qapi-rs/Cargo.toml" "$here/e2e/qapi-rs/Cargo.lock" "$here/e2e/qapi-rs/src" "$work/qapi-rs/"

layouts=(split inline qapi-rs)
main_of() { [[ $1 == split ]] && echo "$work/split/app/src/main.rs" || echo "$work/$1/src/main.rs"; }

# -------------------------------------------------------------- measure
step "fetching dependencies"
for l in "${layouts[@]}"; do
    (cd "$work/$l" && cargo fetch -q)
done

declare -A cold crates
for l in "${layouts[@]}"; do
    step "cold build: $l"
    clock; t0=$REPLY
    (cd "$work/$l" && CARGO_TARGET_DIR=$work/target-$l cargo build --offline 2>"$work/$l.cold.log") \
        || { cat "$work/$l.cold.log" >&2; die "cold build of $l failed"; }
    clock; cold[$l]=$((REPLY - t0))
    crates[$l]=$(grep -c '^ *Compiling ' "$work/$l.cold.log" || true)
done

declare -A edits
for ((i = 1; i <= runs; i++)); do
    # Alternate the order, so that no layout always runs first.
    if ((i % 2)); then order=("${layouts[@]}"); else order=(qapi-rs inline split); fi
    for l in "${order[@]}"; do
        touch "$(main_of "$l")"
        clock; t0=$REPLY
        (cd "$work/$l" && CARGO_TARGET_DIR=$work/target-$l cargo build --offline 2>"$work/$l.edit.log")
        clock; edits[$l]+="$((REPLY - t0)) "
        grep -q 'Compiling' "$work/$l.edit.log" || die "$l: the edit rebuilt nothing"
    done
done

# -------------------------------------------------------------- report
printf '\n%-8s %10s %8s %22s\n' layout "cold (s)" crates "edit main.rs (min/med s)"
for l in "${layouts[@]}"; do
    # shellcheck disable=SC2086
    read -r min med < <(stats ${edits[$l]})
    printf '%-8s %10.1f %8s %16s / %s\n' "$l" "$(awk -v t="${cold[$l]}" 'BEGIN { print t / 1e6 }')" \
        "${crates[$l]}" "$min" "$med"
done
