#!/usr/bin/env python3
"""Synthetic QAPI schemas for the front end's scaling and memory benchmarks.

    synth.py DIMENSION N OUT_DIR      writes OUT_DIR/schema.json (and, for
                                      the include dimensions, the files it
                                      includes); prints the root's path
    synth.py --list                   the dimensions, one a line

Each dimension grows one thing a schema can have N of; every schema is
valid in the default mode (`qapi-gen check` accepts it), so that the whole
front end runs.  `mixed` is a realistic schema instead: documented structs,
enums, unions, commands and events in the proportions of QEMU's own, N
definitions of each kind, about 1.9 KB of text per N.
"""

import os
import sys


def members(n):
    data = ", ".join(f"'m{i}': 'int'" for i in range(n))
    return f"{{ 'struct': 'Big', 'data': {{ {data} }} }}\n"


def definitions(n):
    out = []
    for i in range(n):
        out.append(f"{{ 'struct': 'Item{i}', 'data': {{ 'a': 'int', '*b': 'str' }} }}\n")
        out.append(f"{{ 'command': 'c{i}', 'data': {{ 's': 'Item{i}' }}, 'returns': 'Item{i}' }}\n")
    return "".join(out)


def enum_values(n):
    values = ", ".join(f"'v{i}'" for i in range(n))
    return f"{{ 'enum': 'Big', 'data': [ {values} ] }}\n"


def branches(n):
    values = ", ".join(f"'v{i}'" for i in range(n))
    branch = ", ".join(f"'v{i}': 'Branch{i % 8}'" for i in range(n))
    out = [f"{{ 'enum': 'Tag', 'data': [ {values} ] }}\n"]
    for k in range(8):
        out.append(f"{{ 'struct': 'Branch{k}', 'data': {{ 'x{k}': 'int' }} }}\n")
    out.append(
        "{ 'union': 'Union', 'base': { 'tag': 'Tag', 'common': 'str' },"
        f" 'discriminator': 'tag', 'data': {{ {branch} }} }}\n"
    )
    return "".join(out)


def base_members_and_branches(n):
    """A union whose base and branches both grow: every branch is checked
    against every base member."""
    values = ", ".join(f"'v{i}'" for i in range(n))
    base = ", ".join(f"'b{i}': 'int'" for i in range(n))
    branch = ", ".join(f"'v{i}': 'Branch{i}'" for i in range(n))
    out = [f"{{ 'enum': 'Tag', 'data': [ {values} ] }}\n"]
    out.append(f"{{ 'struct': 'Base', 'data': {{ 'tag': 'Tag', {base} }} }}\n")
    for i in range(n):
        out.append(f"{{ 'struct': 'Branch{i}', 'data': {{ 'x{i}': 'int' }} }}\n")
    out.append(f"{{ 'union': 'Union', 'base': 'Base', 'discriminator': 'tag', 'data': {{ {branch} }} }}\n")
    return "".join(out)


FEATURES = [f"f{i}" for i in range(60)]


def features(n):
    """N members with three features each (at most 64 distinct features
    are allowed in a schema, so it is their uses that grow)."""
    ms = []
    for i in range(n):
        fs = ", ".join(f"'{FEATURES[(i + k) % 60]}'" for k in range(3))
        ms.append(f"'m{i}': {{ 'type': 'int', 'features': [ {fs} ] }}")
    return f"{{ 'struct': 'Big', 'data': {{ {', '.join(ms)} }} }}\n"


def doc_members(n):
    """One struct of N members, each with a description."""
    lines = ["##\n", "# @Big:\n", "#\n", "# A struct with many documented members.\n", "#\n"]
    for i in range(n):
        lines.append(f"# @m{i}: member number {i}, described\n")
        lines.append("#     over two lines (since 9.1)\n")
    lines.append("#\n# Since: 2.0\n##\n")
    lines.append(members(n))
    return "".join(lines)


def undocumented(n):
    """One documented struct of N members that its documentation does not
    describe (a warning each in the default mode)."""
    return "##\n# @Big:\n#\n# Members left undocumented.\n##\n" + members(n)


def doc_lines(n):
    """One free-form documentation block of N lines."""
    lines = ["##\n", "# = A long introduction\n", "#\n"]
    lines.extend(f"# Line {i} of a long free-form text.  It says little.\n" for i in range(n))
    lines.append("##\n")
    return "".join(lines)


def doc_blocks(n):
    """N definitions, each with its documentation block, closed by an
    indented '##' (which QEMU accepts)."""
    out = []
    for i in range(n):
        out.append(f"##\n# @Item{i}:\n#\n# Struct {i}.\n#\n# @a: a member\n #\n ##\n")
        out.append(f"{{ 'struct': 'Item{i}', 'data': {{ 'a': 'int' }} }}\n")
    return "".join(out)


def pragma(n):
    """N commands with '_' in their names, all in command-name-exceptions,
    and N types in member-name-exceptions."""
    names = ", ".join(f"'cmd_{i}'" for i in range(n))
    types = ", ".join(f"'Type{i}'" for i in range(n))
    out = [
        f"{{ 'pragma': {{ 'command-name-exceptions': [ {names} ],"
        f" 'member-name-exceptions': [ {types} ],"
        f" 'command-returns-exceptions': [ {names} ] }} }}\n"
    ]
    for i in range(n):
        out.append(f"{{ 'struct': 'Type{i}', 'data': {{ 'A_b': 'int' }} }}\n")
        out.append(f"{{ 'command': 'cmd_{i}', 'returns': 'int' }}\n")
    return "".join(out)


def base_chain(n):
    """N structs, each the base of the one before it (defined first), so
    that checking the first recurses N deep."""
    out = []
    for i in range(n - 1):
        out.append(f"{{ 'struct': 'Item{i}', 'base': 'Item{i + 1}', 'data': {{}} }}\n")
    out.append(f"{{ 'struct': 'Item{n - 1}', 'data': {{ 'root': 'int' }} }}\n")
    return "".join(out)


def nested_conditions(n):
    """N definitions, each with a condition nested 100 deep."""
    cond = "'A'"
    for _ in range(50):
        cond = f"{{ 'not': {{ 'any': [ {cond}, 'B' ] }} }}"
    return "".join(
        f"{{ 'struct': 'Item{i}', 'data': {{ 'a': 'int' }}, 'if': {cond} }}\n" for i in range(n)
    )


def includes(n, out_dir):
    """A root file including N files, each defining one struct."""
    sub = os.path.join(out_dir, "inc")
    os.makedirs(sub, exist_ok=True)
    root = []
    for i in range(n):
        with open(os.path.join(sub, f"f{i}.json"), "w") as f:
            f.write(f"{{ 'struct': 'Item{i}', 'data': {{ 'a': 'int' }} }}\n")
        root.append(f"{{ 'include': 'inc/f{i}.json' }}\n")
    return "".join(root)


def include_chain(n, out_dir):
    """A chain of N files, each including the next."""
    sub = os.path.join(out_dir, "chain")
    os.makedirs(sub, exist_ok=True)
    for i in range(n):
        with open(os.path.join(sub, f"f{i}.json"), "w") as f:
            f.write(f"{{ 'struct': 'Item{i}', 'data': {{ 'a': 'int' }} }}\n")
            if i + 1 < n:
                f.write(f"{{ 'include': 'f{i + 1}.json' }}\n")
    return "{ 'include': 'chain/f0.json' }\n"


def mixed(n):
    """A realistic schema: per N, a documented struct, enum, union,
    command and event."""
    out = []
    for i in range(n):
        out.append(
            f"""##
# @Info{i}:
#
# Information about thing {i}, as a client sees it.  The text is
# about as long as QEMU's own descriptions.
#
# @name: the thing's name
#
# @size: its size in bytes
#
# @state: what it is doing
#
# @tags: labels given to it (since 9.0)
#
# @parent: the thing it belongs to, if any
#
# Since: 8.2
##
{{ 'struct': 'Info{i}',
  'data': {{ 'name': 'str', 'size': 'uint64', 'state': 'State{i}',
            '*tags': ['str'], '*parent': 'str' }} }}

##
# @State{i}:
#
# States of thing {i}.
#
# @idle: nothing to do
#
# @running: at work
#
# @paused: stopped by the user
#
# @failed: stopped by an error
#
# Since: 8.2
##
{{ 'enum': 'State{i}',
  'data': [ 'idle', 'running', 'paused',
            {{ 'name': 'failed', 'if': 'CONFIG_FAIL' }} ] }}

##
# @Options{i}:
#
# Options for creating thing {i}.
#
# @kind: which kind of thing
#
# @id: its identifier
#
# Since: 8.2
##
{{ 'union': 'Options{i}',
  'base': {{ 'kind': 'State{i}', 'id': 'str' }},
  'discriminator': 'kind',
  'data': {{ 'running': 'Info{i}', 'paused': 'Info{i}' }} }}

##
# @query-thing-{i}:
#
# Returns information about thing {i}.
#
# @id: the thing's identifier
#
# @verbose: include the tags (default: false)
#
# Returns: the information
#
# Errors:
#     - If @id names no thing, DeviceNotFound
#
# Features:
#
# @unstable: the command may still change
#
# Since: 8.2
#
# .. qmp-example::
#
#     -> {{ "execute": "query-thing-{i}", "arguments": {{ "id": "a" }} }}
#     <- {{ "return": {{ "name": "a", "size": 0, "state": "idle" }} }}
##
{{ 'command': 'query-thing-{i}',
  'data': {{ 'id': 'str', '*verbose': 'bool' }},
  'returns': 'Info{i}',
  'features': [ 'unstable' ] }}

##
# @THING_CHANGED_{i}:
#
# Emitted when thing {i} changes state.
#
# @id: the thing's identifier
#
# @state: its new state
#
# Since: 8.2
##
{{ 'event': 'THING_CHANGED_{i}',
  'data': {{ 'id': 'str', 'state': 'State{i}' }} }}

"""
        )
    return "".join(out)


DIMENSIONS = {
    "members": members,
    "definitions": definitions,
    "enum-values": enum_values,
    "branches": branches,
    "base-and-branches": base_members_and_branches,
    "features": features,
    "doc-members": doc_members,
    "undocumented": undocumented,
    "doc-lines": doc_lines,
    "doc-blocks": doc_blocks,
    "pragma": pragma,
    "base-chain": base_chain,
    "nested-conditions": nested_conditions,
    "includes": includes,
    "include-chain": include_chain,
    "mixed": mixed,
}


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(DIMENSIONS))
        return
    if len(sys.argv) != 4 or sys.argv[1] not in DIMENSIONS:
        sys.exit(__doc__)
    dim, n, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out_dir, exist_ok=True)
    gen = DIMENSIONS[dim]
    text = gen(n, out_dir) if dim in ("includes", "include-chain") else gen(n)
    root = os.path.join(out_dir, "schema.json")
    with open(root, "w") as f:
        f.write(text)
    print(root)


if __name__ == "__main__":
    main()
