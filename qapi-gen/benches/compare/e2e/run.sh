#!/usr/bin/env bash
# The same end-to-end task (README.md) written with Python's qemu.qmp and
# with arcnmx's `qapi` crate, run against a real qemu-storage-daemon:
#
#   1. sets up what the programs need: a venv with qemu.qmp, and a build of
#      the qapi-rs package (cargo build --locked);
#   2. for each program: starts qemu-storage-daemon with a QMP socket in a
#      fresh temp DIR, runs the program with `SOCKET DIR`, stops the daemon;
#      the program must exit 0 and leave the daemon running;
#   3. diffs every program's stdout against the first one's;
#   4. prints a line-count table of the program files.
#
# Usage: run.sh [--ours-source FILE]... [--ours CMD [ARG]...]
#   --ours CMD...        also run our version: CMD [ARG]... SOCKET DIR
#                        (everything after --ours is the command)
#   --ours-source FILE   a source file of our version, for the line counts
#                        (repeatable; must come before --ours)
#
# Environment (all optional):
#   E2E_VENV               venv with qemu.qmp (default <repo>/target/compare/e2e-venv;
#                          created with `pip install qemu.qmp==0.0.6` if missing)
#   E2E_CARGO_TARGET_DIR   cargo target dir of the qapi-rs package
#                          (default <repo>/target/compare/e2e-qapi-rs)
#   QEMU_STORAGE_DAEMON    the daemon binary (default qemu-storage-daemon)
#
# Exits non-zero if any program fails or the outputs differ; the line-count
# table is printed in any case.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
venv=${E2E_VENV:-$repo/target/compare/e2e-venv}
export CARGO_TARGET_DIR=${E2E_CARGO_TARGET_DIR:-$repo/target/compare/e2e-qapi-rs}
qsd=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}

die() { echo "run.sh: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*" >&2; }

ours=()
ours_sources=()
while (($#)); do
    case $1 in
        --ours)
            shift
            (($#)) || die "--ours needs a command"
            ours=("$@")
            break
            ;;
        --ours-source)
            (($# >= 2)) || die "--ours-source needs a file"
            [[ -f $2 ]] || die "no such file: $2"
            ours_sources+=("$2")
            shift 2
            ;;
        -h | --help)
            sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

command -v "$qsd" >/dev/null || die "no $qsd (apt-get install qemu-system-x86 or qemu-utils)"
command -v python3 >/dev/null || die "no python3"
command -v cargo >/dev/null || die "no cargo"

step "setup"
"$qsd" --version | head -n1 >&2
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import qemu.qmp' 2>/dev/null; then
    "$venv/bin/pip" install --quiet 'qemu.qmp==0.0.6'
fi
"$venv/bin/python" -c 'import importlib.metadata as m; print("qemu.qmp", m.version("qemu.qmp"))' >&2
cargo build --locked --quiet --manifest-path "$here/qapi-rs/Cargo.toml"

# name, source files (one a line), command.
names=(python qapi-rs)
sources=("$here/blockdev.py" "$here/qapi-rs/src/main.rs")
commands=("$(printf '%q ' "$venv/bin/python" "$here/blockdev.py")"
          "$(printf '%q ' "$CARGO_TARGET_DIR/debug/e2e-qapi-rs")")
if ((${#ours[@]})); then
    names+=(ours)
    sources+=("$(printf '%s\n' "${ours_sources[@]}")")
    commands+=("$(printf '%q ' "${ours[@]}")")
fi

out=$(mktemp -d)
daemon=
cleanup() {
    if [[ -n $daemon ]]; then kill "$daemon" 2>/dev/null || true; fi
    rm -rf "$out"
}
trap cleanup EXIT

# run_one NAME COMMAND: one program against a fresh daemon, its stdout into
# $out/NAME.out. Returns non-zero on any failure.
run_one() {
    local name=$1 cmd=$2 dir status=0
    dir=$(mktemp -d)
    "$qsd" --chardev "socket,path=$dir/qmp.sock,server=on,wait=off,id=mon" \
        --monitor chardev=mon >"$dir/qsd.log" 2>&1 &
    daemon=$!
    for _ in $(seq 100); do
        [[ -S $dir/qmp.sock ]] && break
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.05
    done
    if [[ ! -S $dir/qmp.sock ]]; then
        echo "$name: qemu-storage-daemon did not start:" >&2
        cat "$dir/qsd.log" >&2
        status=1
    else
        local start end
        start=$(date +%s%N)
        timeout 120 bash -c "$cmd \"\$@\"" prog "$dir/qmp.sock" "$dir" \
            >"$out/$name.out" 2>"$out/$name.err" || status=$?
        end=$(date +%s%N)
        if ((status)); then
            echo "$name: FAILED, exit status $status; its stderr:" >&2
            sed 's/^/    /' "$out/$name.err" >&2
        elif ! kill -0 "$daemon" 2>/dev/null; then
            echo "$name: FAILED, the daemon is gone; its log:" >&2
            sed 's/^/    /' "$dir/qsd.log" >&2
            status=1
        else
            echo "$name: exit 0 in $(( (end - start) / 1000000 )) ms" >&2
        fi
    fi
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
    daemon=
    rm -rf "$dir"
    return "$status"
}

failed=0
for i in "${!names[@]}"; do
    step "run ${names[i]}: ${commands[i]}"
    if run_one "${names[i]}" "${commands[i]}"; then
        sed 's/^/    /' "$out/${names[i]}.out" >&2
    else
        failed=1
    fi
done

step "compare stdout"
first=${names[0]}
for name in "${names[@]:1}"; do
    if [[ ! -s $out/$first.out || ! -s $out/$name.out ]]; then
        echo "$name vs $first: not compared (no output)" >&2
        failed=1
    elif diff -u --label "$first" --label "$name" "$out/$first.out" "$out/$name.out" >&2; then
        echo "$name vs $first: identical ($(wc -l <"$out/$name.out") lines)" >&2
    else
        failed=1
    fi
done

step "line counts"
# Counts, for each file: total lines, and code lines, that is lines that are
# neither blank nor comment-only. The same rules for every program:
#   Python: `#` comment lines, and docstrings (module, class, function; found
#           with the ast module) are comments;
#   Rust:   lines starting with `//` (so `///` and `//!` too) are comments, as
#           are lines inside a `/* ... */` block comment that holds no code;
#   other:  only blank lines are left out.
count_lines() {
    python3 - "$@" <<'EOF'
import ast
import sys


def comment_lines(path, lines):
    comments = set()
    if path.endswith(".py"):
        for n, line in enumerate(lines, 1):
            if line.lstrip().startswith("#"):
                comments.add(n)
        tree = ast.parse("".join(lines))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                 ast.AsyncFunctionDef)) and ast.get_docstring(node) is not None:
                doc = node.body[0]
                comments.update(range(doc.lineno, doc.end_lineno + 1))
    elif path.endswith(".rs"):
        in_block = False
        for n, line in enumerate(lines, 1):
            s = line.strip()
            if in_block:
                comments.add(n)
                in_block = "*/" not in s
            elif s.startswith("//"):
                comments.add(n)
            elif s.startswith("/*"):
                end = s.find("*/", 2)
                if end < 0:
                    comments.add(n)
                    in_block = True
                elif not s[end + 2:].strip():
                    comments.add(n)
    return comments


for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    comments = comment_lines(path, lines)
    code = sum(1 for n, line in enumerate(lines, 1) if line.strip() and n not in comments)
    print(len(lines), code, path)
EOF
}

printf '%-8s %6s %6s  %s\n' program lines code file
for i in "${!names[@]}"; do
    total_lines=0 total_code=0
    files=()
    [[ -z ${sources[i]} ]] || mapfile -t files <<<"${sources[i]}"
    if ((${#files[@]} == 0)); then
        printf '%-8s %6s %6s  %s\n' "${names[i]}" - - "(no --ours-source given)"
        continue
    fi
    while read -r lines code file; do
        printf '%-8s %6d %6d  %s\n' "${names[i]}" "$lines" "$code" "${file#"$repo"/}"
        total_lines=$((total_lines + lines)) total_code=$((total_code + code))
    done < <(count_lines "${files[@]}")
    if ((${#files[@]} > 1)); then
        printf '%-8s %6d %6d  %s\n' "${names[i]}" "$total_lines" "$total_code" "(total)"
    fi
done

if ((failed)); then
    echo "run.sh: FAILED" >&2
    exit 1
fi
echo "run.sh: all programs passed with identical output" >&2
