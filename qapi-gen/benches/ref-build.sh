#!/usr/bin/env bash
# Builds the `qapi-gen` binary of another commit of this repository, for
# side-by-side runs with the current one, and prints its path.
#
#   QAPI_GEN_REF=$(qapi-gen/benches/ref-build.sh 263d3c1)
#
# The commit's tree is exported with `git archive` into target/ref/ and
# built there in release (the first build of a commit takes minutes; later
# calls print the path at once).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
commit=$(git -C "$repo" rev-parse --verify "${1:?usage: ref-build.sh COMMIT}^{commit}")
out=$repo/target/ref/$commit
if [[ ! -x $out/qapi-gen ]]; then
    rm -rf "$out/src"
    mkdir -p "$out/src"
    # -m: the files dated now, not at the commit.  The commits share one
    # target directory, where cargo tells sources apart by their path
    # relative to the workspace and then by date: files dated at their
    # commit would look older than the last commit's build, which cargo
    # would then reuse.
    git -C "$repo" archive "$commit" | tar -x -m -C "$out/src"
    cargo build --release -q --locked -p qapi-gen \
        --manifest-path "$out/src/Cargo.toml" --target-dir "$repo/target/ref/target" >&2
    cp "$repo/target/ref/target/release/qapi-gen" "$out/qapi-gen"
fi
echo "$out/qapi-gen"
