#!/usr/bin/env bash
# Compiles what the generator makes of every fuzz corpus input the front end
# accepts: the fuzz targets check that the output parses, this checks that it
# compiles, without warnings and clippy-clean, the way users build it.
#
#   ./compile-corpus.sh [GENERATE-OPTION...]
#
# Every input in corpus/*/ is run through `qapi-gen generate` with the options
# given (say `--cfg CONFIG_A --exclude-unstable`); the distinct outputs become
# the modules of one throwaway crate, checked with `cargo clippy` under
# `#![deny(warnings)]`, then documented with `cargo doc` (rustdoc's lints
# denied too).
#
# Environment (optional):
#   QAPI_GEN        the qapi-gen binary (default: built here in release)
#   COMPILE_DIR     where the crate goes (default: <repo>/target/fuzz-compile)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${COMPILE_DIR:-$repo/target/fuzz-compile}

shopt -s nullglob
inputs=("$here"/corpus/*/*)
if [ ${#inputs[@]} -eq 0 ]; then
    echo "compile-corpus.sh: no corpus in $here/corpus (run seed-corpus.sh or a fuzz target first)" >&2
    exit 1
fi

if [ -z "${QAPI_GEN:-}" ]; then
    cargo build --release -q -p qapi-gen --manifest-path "$repo/Cargo.toml" --target-dir "$repo/target"
    QAPI_GEN=$repo/target/release/qapi-gen
fi

rm -rf "$work/src"
mkdir -p "$work/src/m"
declare -A seen
accepted=0
n=0
for f in "${inputs[@]}"; do
    n=$((n + 1))
    out=$work/src/m/m$n.rs
    if "$QAPI_GEN" generate "$@" "$f" -o "$out" >/dev/null 2>&1; then
        accepted=$((accepted + 1))
        sum=$(md5sum <"$out" | cut -d' ' -f1)
        if [ -n "${seen[$sum]:-}" ]; then
            rm "$out"
        else
            seen[$sum]=$f
        fi
    else
        rm -f "$out"
    fi
done

cat >"$work/Cargo.toml" <<EOF
[package]
name = "qapi-fuzz-compile"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
qapi-types = { path = "$repo/qapi-types" }

[workspace]
EOF
{
    echo '#![deny(warnings)]'
    for m in "$work"/src/m/*.rs; do
        b=$(basename "$m" .rs)
        echo "pub mod $b { include!(\"m/$b.rs\"); }"
    done
} >"$work/src/lib.rs"

echo "${#inputs[@]} inputs, $accepted accepted, ${#seen[@]} distinct outputs: cargo clippy" >&2
(cd "$work" && cargo clippy -q)
echo "all ${#seen[@]} compile, without warnings or clippy lints: cargo doc" >&2
(cd "$work" && RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps)
echo "all ${#seen[@]} document without rustdoc warnings" >&2
