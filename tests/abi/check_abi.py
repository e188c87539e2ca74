#!/usr/bin/env python3
"""ABI hygiene of libcoord: `make check-abi`.

    check_abi.py HEADER SHARED_LIB STATIC_LIB

Prints the symbols libcoord.so exports, then fails (exit 1) when:
  - the shared library exports a symbol not prefixed coord_;
  - the static library defines a global symbol not prefixed coord_;
  - a function declared COORD_API in the header is not exported, or an
    exported function is not declared there;
  - a public function takes varargs, or takes or returns a struct by value;
  - an opaque type the library allocates has no <type>_free function.
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


def header_declarations(text):
    """(name, return type, parameter text) of every COORD_API function."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # drop comments
    decls = []
    for m in re.finditer(r"COORD_API\s+([^;{]*?)\b(coord_\w+)\s*\(([^)]*)\)\s*;", text):
        ret = m.group(1).replace("COORD_NODISCARD", "").strip()
        decls.append((m.group(2), ret, " ".join(m.group(3).split())))
    return text, decls


def main():
    header, shared, static = sys.argv[1:4]
    problems = []

    exported = sorted(name for kind, name in nm(["-D", "--defined-only", shared]))
    print(f"symbols exported by {shared} ({len(exported)}):")
    for name in exported:
        print(f"  {name}")
    problems += [f"exported symbol without the coord_ prefix: {n}"
                 for n in exported if not n.startswith("coord_")]

    static_globals = sorted({name for kind, name in nm(["-g", "--defined-only", static])})
    problems += [f"global symbol in {static} without the coord_ prefix: {n}"
                 for n in static_globals if not n.startswith("coord_")]

    text, decls = header_declarations(open(header, encoding="utf-8").read())
    declared = {name for name, _, _ in decls}
    problems += [f"declared COORD_API but not exported: {n}"
                 for n in sorted(declared - set(exported))]
    problems += [f"exported but not declared COORD_API in {header}: {n}"
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
        if f"{kind}_free" not in declared:
            problems.append(f"{kind} is allocated by the library but has no {kind}_free()")

    print(f"header: {len(decls)} functions, {len(structs)} public structs, "
          f"{len(opaque)} opaque types checked")
    for p in problems:
        print(f"ABI CHECK FAILED: {p}", file=sys.stderr)
    if problems:
        return 1
    print("check-abi: every exported symbol is coord_-prefixed; no varargs, no struct by value")
    return 0


if __name__ == "__main__":
    sys.exit(main())
