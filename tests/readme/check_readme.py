#!/usr/bin/env python3
"""README.md's C cannot rot: every ```c block compiles with -Werror.

Run by `make check` (check-readme). The convention, for whoever edits the
README:
  - a block with an #include line is a whole translation unit: it compiles
    as it is, and, when it defines main(), links against libcoord;
  - any other block is a fragment: it compiles as the body of a function
        int fragment(coord_client *client) { coord_status st = COORD_OK; ... }
    after the includes <stdio.h>, <stdlib.h>, <string.h>, <coord/coord.h>.
    So a fragment may use `client` and `st`, must declare anything else it
    uses, and may `return` an int; it cannot define functions (make those a
    whole program, with its #include lines);
  - the first block is examples/end_session.c, byte for byte, and it also
    runs: against the simulator seeded with examples/seed.json it ends
    session 1 at LOT-9 (exit 0), then fails on ending it twice (exit 1),
    refuses the id "1abc" and names a mistyped htp:// base URL;
  - the C blocks of the docs/ files the README's reference material went to
    compile the same way; examples/end_many.c, the non-blocking program the
    README points at, runs (a failure named by its session, a bad id refused);
  - README.md has at most README_MAX_LINES lines, and its apt-get install
    line names the packages .ci/install-deps asks for.

Environment: README_CC (cc), README_CFLAGS (flags for the compiler: the
include directory and libcurl/cJSON's -I), README_LIBS (what to link:
libcoord.a and libcurl/cJSON), README_RUN (a prefix for the run, e.g.
valgrind), PYTHON. Standard library only.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]
FRAGMENT_HEAD = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <coord/coord.h>
int fragment(coord_client *client);
int fragment(coord_client *client)
{
    coord_status st = COORD_OK;
    (void)client;
    (void)st;
"""
FRAGMENT_TAIL = "\n    return 0;\n}\n"


def c_blocks(text):
    """(line number, code) of every ```c fence."""
    return [(text[:m.start()].count("\n") + 2, m.group(1))
            for m in re.finditer(r"^```c\n(.*?)^```$", text, re.M | re.S)]


def indent(code):
    """A fragment's lines as a function body's (-Wmisleading-indentation reads them)."""
    return "".join("    " + line if line.strip() else line for line in code.splitlines(True))


def compile_block(cc, cflags, libs, line, code, tmp):
    whole = re.search(r"^#include ", code, re.M) is not None
    program = whole and re.search(r"^int main\(", code, re.M) is not None
    source = os.path.join(tmp, f"readme_{line}.c")
    with open(source, "w") as f:
        f.write(code if whole else FRAGMENT_HEAD + indent(code) + FRAGMENT_TAIL)
    out = os.path.join(tmp, f"readme_{line}" + ("" if program else ".o"))
    command = [cc, *WARNINGS, *cflags, source, "-o", out] + (libs if program else ["-c"])
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        where = f"README.md line {line}" if isinstance(line, int) else line
        sys.exit(f"{where}: this C block does not compile "
                 f"({'program' if program else 'whole file' if whole else 'fragment'}):\n"
                 f"{result.stderr}")
    return out if program else None


def start_sim(seed):
    python = os.environ.get("PYTHON", sys.executable)
    sim = subprocess.Popen([python, os.path.join(ROOT, "tests", "sim", "coord_sim.py"),
                            "--seed", seed], stdout=subprocess.PIPE, text=True)
    lines = dict(sim.stdout.readline().rstrip("\n").split("=", 1) for _ in range(3))
    return sim, lines


def run_first_program(exe):
    """The README's first program, as its text tells a newcomer to run it."""
    sim, lines = start_sim(os.path.join(ROOT, "examples", "seed.json"))
    try:
        env = dict(os.environ, COORD_BASE_URL=lines["COORD_SIM_URL"],
                   COORD_ACCESS_KEY=lines["COORD_SIM_KEY"], COORD_TOKEN="kiosk-token")
        run = shlex.split(os.environ.get("README_RUN", "")) + [exe, "LOT-9", "1"]
        first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        not_an_id = subprocess.run(run[:-1] + ["1abc"], env=env, capture_output=True, text=True,
                                   timeout=60)
        typo = dict(env, COORD_BASE_URL="htp" + env["COORD_BASE_URL"][len("http"):])
        mistyped = subprocess.run(run, env=typo, capture_output=True, text=True, timeout=60)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        sim.stdout.close()
    if (first.returncode, first.stdout) != (0, "ended session 1 at LOT-9: 3.00 USD\n"):
        sys.exit(f"README's first program: {first.returncode} {first.stdout!r} {first.stderr!r}")
    if (again.returncode, again.stderr) != (1, "COORD_ERR_ALREADY_ENDED: HTTP 409: session "
                                              "already ended (code 4091)\n"):
        sys.exit(f"README's first program, twice: {again.returncode} {again.stderr!r}")
    if not_an_id.returncode != 2 or "usage:" not in not_an_id.stderr:
        sys.exit(f"README's first program, id 1abc: {not_an_id.returncode} {not_an_id.stderr!r}")
    if (mistyped.returncode, mistyped.stderr) != (1, "COORD_ERR_INVALID_ARGUMENT: base URL: "
                                                     "scheme \"htp\" is not http or https\n"):
        sys.exit(f"README's first program, htp://: {mistyped.returncode} {mistyped.stderr!r}")


def run_end_many(exe):
    """examples/end_many.c, the non-blocking program the README points at: a
    failure names its session and fails the run; an id that is not a number
    is refused before anything is sent."""
    sim, lines = start_sim(os.path.join(ROOT, "examples", "seed.json"))
    try:
        env = dict(os.environ, COORD_BASE_URL=lines["COORD_SIM_URL"],
                   COORD_ACCESS_KEY=lines["COORD_SIM_KEY"], COORD_TOKEN="kiosk-token")
        prefix = shlex.split(os.environ.get("README_RUN", "")) + [exe, "LOT-9"]
        bad_id = subprocess.run(prefix + ["1", "2x"], env=env, capture_output=True, text=True,
                                timeout=60)
        mixed = subprocess.run(prefix + ["1", "99"], env=env, capture_output=True, text=True,
                               timeout=60)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        sim.stdout.close()
    if bad_id.returncode != 2 or bad_id.stdout or "usage:" not in bad_id.stderr:
        sys.exit(f"README's end_many, id 2x: {bad_id.returncode} {bad_id.stderr!r}")
    if (mixed.returncode, mixed.stdout) != (1, "session 1 ended: 3.00 USD\n") or \
            not mixed.stderr.startswith("session 99: COORD_ERR_NOT_FOUND: HTTP 404: "):
        sys.exit(f"README's end_many, 1 and 99: {mixed.returncode} {mixed.stdout!r} "
                 f"{mixed.stderr!r}")


# A newcomer's guide, not a manual (issue 19): the rest lives in docs/, in
# these files, whose C blocks are held to the README's conventions.
README_MAX_LINES = 400
MOVED_DOCS = ("BUILDING.md", "GUIDE.md", "SECURITY.md", "MEMORY.md", "DECODER.md", "ABI.md")

# What build-essential brings that .ci/install-deps asks for by name.
BUILD_ESSENTIAL = {"gcc", "g++", "make"}


def install_deps_packages():
    """The Debian packages .ci/install-deps may install on this machine (its
    `need NAME` lines; the cross-compiling ones are quoted NAME:$arch)."""
    with open(os.path.join(ROOT, ".ci", "install-deps"), encoding="utf-8") as f:
        return set(re.findall(r"\bneed ([a-z0-9][a-z0-9.+-]*)(?=[\s;]|$)", f.read(), re.M))


def readme_install_line(text):
    """The packages of the README's apt-get install line, and whether it runs
    apt-get update first and works as root without sudo ($sudo empty)."""
    m = re.search(r"^sudo=\$\(command -v sudo\).*\n"
                  r"\$sudo apt-get update && \$sudo apt-get install -y ((?:.*\\\n)*.*)$",
                  text, re.M)
    if m is None:
        sys.exit("README.md: no install line of the form `sudo=$(command -v sudo)` then "
                 "`$sudo apt-get update && $sudo apt-get install -y ...`")
    return set(m.group(1).replace("\\\n", " ").split())


def check_install_line(text):
    """README's install line and .ci/install-deps name the same packages:
    what make check needs on a fresh Debian 12."""
    readme, deps = readme_install_line(text), install_deps_packages()
    missing = deps - readme - (BUILD_ESSENTIAL if "build-essential" in readme else set())
    extra = readme - deps - {"build-essential"}
    if missing or extra:
        sys.exit("README.md's install line and .ci/install-deps disagree: "
                 f"missing from the README {sorted(missing)}, not in install-deps {sorted(extra)}")
    return len(readme)


def main():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    if text.count("\n") > README_MAX_LINES:
        sys.exit(f"README.md: {text.count(chr(10))} lines, over {README_MAX_LINES}: it is a "
                 "newcomer's guide; reference material goes to docs/")
    packages = check_install_line(text)
    blocks = c_blocks(text)
    with open(os.path.join(ROOT, "examples", "end_session.c"), encoding="utf-8") as f:
        example = f.read()
    if not blocks or blocks[0][1] != example:
        sys.exit("README.md: the first ```c block must be examples/end_session.c as it is")
    cc = os.environ.get("README_CC", "cc")
    cflags = shlex.split(os.environ.get("README_CFLAGS", "-Iinclude"))
    libs = shlex.split(os.environ.get("README_LIBS", "build/lib/libcoord.a -lcurl -lcjson"))
    doc_blocks = 0
    with tempfile.TemporaryDirectory() as tmp:
        # the check has teeth: the README's old fault, a result ignored, fails it
        try:
            compile_block(cc, cflags, libs, 0, "coord_client_set_timeouts(client, 1, 2);", tmp)
        except SystemExit:
            pass
        else:
            sys.exit("check-readme: a fragment that ignores a COORD_NODISCARD result compiled")
        programs = [compile_block(cc, cflags, libs, line, code, tmp) for line, code in blocks]
        run_first_program(programs[0])
        # the guides the README's reference material went to, with its examples
        for doc in MOVED_DOCS:
            with open(os.path.join(ROOT, "docs", doc), encoding="utf-8") as f:
                for line, code in c_blocks(f.read()):
                    compile_block(cc, cflags, libs, f"docs_{doc}:{line}", code, tmp)
                    doc_blocks += 1
        with open(os.path.join(ROOT, "examples", "end_many.c"), encoding="utf-8") as f:
            run_end_many(compile_block(cc, cflags, libs, "end_many", f.read(), tmp))
    print(f"check-readme: {len(blocks)} C blocks of README.md and {doc_blocks} of docs/ "
          "compile with -Werror "
          f"({sum(p is not None for p in programs)} programs linked); the first and "
          f"examples/end_many.c ran against the simulator; its install line's {packages} "
          "packages are .ci/install-deps's")


if __name__ == "__main__":
    main()
