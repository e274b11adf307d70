#!/bin/sh
# Seeds the fuzz corpus (corpus/load, not committed) from the shared
# directory: every case of QEMU's schema test suite, and every real schema
# file of QEMU 5.2, 7.2 and 10.2 cut into pieces of about 4 KiB at
# definition boundaries (a documentation block's opening '##' outside another
# block), so that the inputs stay small enough to run fast.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${QAPI_SHARED_DIR:-$here/../../../shared}
if [ ! -d "$shared/qemu" ]; then
    echo "seed-corpus.sh: no shared directory at $shared (set QAPI_SHARED_DIR)" >&2
    exit 1
fi
corpus=$here/corpus/load
mkdir -p "$corpus"
for f in "$shared"/qemu/10.2/tests/qapi-schema/*.json "$shared"/qemu/10.2/tests/qapi-schema/include/*.json; do
    cp "$f" "$corpus/suite-$(basename "$f")"
done
for v in 5.2 7.2 10.2; do
    find "$shared/qemu/$v" -name '*.json' -not -path '*/tests/*' | sort | while read -r f; do
        name=$(echo "${f#"$shared"/qemu/}" | tr '/' '_')
        awk -v out="$corpus/real-$name" '
            function flush() { if (buf != "") { n++; printf "%s", buf > (out "-" n); close(out "-" n); buf = "" } }
            /^##/ { if (!indoc && length(buf) > 4000) flush(); indoc = !indoc }
            { buf = buf $0 "\n" }
            END { flush() }
        ' "$f"
    done
done
chmod -R u+w "$corpus"
echo "seed-corpus.sh: $(ls "$corpus" | wc -l) inputs in $corpus"
