#!/usr/bin/env python3
"""ABI hygiene of libcoord: `make check-abi`.

    check_abi.py SHARED_LIB STATIC_LIB VERSION_SCRIPT HEADER...

HEADER... are all the public headers (coord.h and the parts it includes):
what one of them declares, the others may use.

Prints the symbols libcoord.so exports with their versions, then fails
(exit 1) when:
  - the shared library exports a symbol not prefixed coord_;
  - the static library defines a global symbol not prefixed coord_;
  - a function declared COORD_API in a header is not exported, or an
    exported function is not declared in any of them;
  - a public function takes varargs, or takes or returns a struct by value;
  - an opaque type the library allocates has no <type>_free function (or
    <type>_close for an open file, e.g. coord_outbox; or,
    for a handle the library itself frees when it is done, as a call of the
    non-blocking API after its callback, no <type>_cancel function);
  - symbol versions (the version script, e.g. src/libcoord.map): an
    exported symbol has no version; a name the script lists is not exported
    at the first node listing it; a name is listed in two nodes; a node
    other than the newest has a pattern (a released node lists exact names,
    or a new function would silently join it).
Standard library only; symbols come from binutils' nm.
"""
import re
import subprocess
import sys


def nm(args):
    out = subprocess.run(["nm"] + args, check=True, capture_output=True, text=True).stdout
    symbols = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:  # address, type, name (archive member headers have one part)
            symbols.append((parts[1], parts[2]))
    return symbols


def exported_versions(shared):
    """{name: version or None} of the symbols the shared library exports."""
    versions = {}
    for kind, name in nm(["-D", "--defined-only", shared]):
        if kind == "A" and "@" not in name:
            continue  # a version node's own definition (COORD_1.0), not a symbol
        name, _, version = name.replace("@@", "@").partition("@")
        versions[name] = version or None
    return versions


def version_nodes(text):
    """[(node, [names and patterns])] of a version script, in order."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    nodes = []
    for m in re.finditer(r"(\w[\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, re.S):
        body = m.group(2).split("local:")[0].replace("global:", " ")
        nodes.append((m.group(1), [w.strip() for w in body.split(";") if w.strip()]))
    return nodes


def version_problems(versions, nodes):
    problems = [f"exported without a symbol version: {n}"
                for n, v in sorted(versions.items()) if v is None]
    first_node = {}
    for i, (node, entries) in enumerate(nodes):
        for entry in entries:
            if any(c in entry for c in "*?["):
                if i != len(nodes) - 1:
                    problems.append(f"{node} is not the newest node but has a pattern: {entry}")
            elif entry in first_node:
                problems.append(f"{entry} is listed in {first_node[entry]} and again in {node}")
            else:
                first_node[entry] = node
    for name, node in sorted(first_node.items()):
        if versions.get(name) != node:
            problems.append(f"{name} is listed in {node} but exported at "
                            f"{versions.get(name, 'no version: not exported')}")
    return problems


def header_declarations(text):
    """(name, return type, parameter text) of every COORD_API function."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # drop comments
    decls = []
    for m in re.finditer(r"COORD_API\s+([^;{]*?)\b(coord_\w+)\s*\(([^)]*)\)\s*;", text):
        ret = m.group(1).replace("COORD_NODISCARD", "").strip()
        decls.append((m.group(2), ret, " ".join(m.group(3).split())))
    return text, decls


def main():
    shared, static, version_script = sys.argv[1:4]
    headers = sys.argv[4:]
    if not headers:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []

    versions = exported_versions(shared)
    exported = sorted(versions)
    print(f"symbols exported by {shared} ({len(exported)}):")
    for name in exported:
        print(f"  {name} ({versions[name] or 'no version'})")
    problems += [f"exported symbol without the coord_ prefix: {n}"
                 for n in exported if not n.startswith("coord_")]

    static_globals = sorted({name for kind, name in nm(["-g", "--defined-only", static])})
    problems += [f"global symbol in {static} without the coord_ prefix: {n}"
                 for n in static_globals if not n.startswith("coord_")]

    text, decls = header_declarations("\n".join(open(h, encoding="utf-8").read()
                                                for h in headers))
    declared = {name for name, _, _ in decls}
    problems += [f"declared COORD_API but not exported: {n}"
                 for n in sorted(declared - set(exported))]
    problems += [f"exported but not declared COORD_API in {' or '.join(headers)}: {n}"
                 for n in sorted(set(exported) - declared)]

    structs = set(re.findall(r"typedef\s+struct\s+\w+\s*\{.*?\}\s*(coord_\w+)\s*;", text, re.S))
    opaque = set(re.findall(r"typedef\s+struct\s+\w+\s+(coord_\w+)\s*;", text))
    by_value = structs | opaque
    for name, ret, params in decls:
        if "..." in params:
            problems.append(f"{name}: varargs")
        for part in [ret] + params.split(","):
            words = re.findall(r"\w+", part)
            if "*" not in part and any(w in by_value for w in words):
                problems.append(f"{name}: struct by value in '{part.strip()}'")
    for kind in sorted(opaque):
        if not {f"{kind}_free", f"{kind}_cancel", f"{kind}_close"} & set(declared):
            problems.append(f"{kind} is allocated by the library but has no {kind}_free() "
                            f"(nor {kind}_cancel() for a handle the library frees, nor "
                            f"{kind}_close() for an open file)")

    nodes = version_nodes(open(version_script, encoding="utf-8").read())
    problems += version_problems(versions, nodes)

    print(f"headers {' '.join(headers)}: {len(decls)} functions, {len(structs)} public "
          f"structs, {len(opaque)} opaque types checked")
    for node, _ in nodes:
        print(f"{version_script}: {node}: "
              f"{sum(1 for v in versions.values() if v == node)} exported functions")
    for p in problems:
        print(f"ABI CHECK FAILED: {p}", file=sys.stderr)
    if problems:
        return 1
    print("check-abi: every exported symbol is coord_-prefixed and versioned; "
          "no varargs, no struct by value")
    return 0


if __name__ == "__main__":
    sys.exit(main())
