#!/usr/bin/env python3
"""make check, quietly: one line per part and a summary; a part's details
(its compiler lines, test names, tracebacks) only when it fails.

    check_parts.py [--build-jobs=N] LOG_DIR MAKE PREPARE -- PART...

Runs `MAKE PREPARE` first (everything the parts build: built once, so that
parts running side by side never compile the same file), then `MAKE PART`
for each part, as many at a time as make's -j allows. --build-jobs=N
(make check BUILD_JOBS=N) builds with -jN whatever -j says; the parts
still run as -j says. Each one's whole
output goes to LOG_DIR/PART.log. A part whose "== ..." headings all say
"skipped" is reported as skipped, with them; one that skipped some of its
checks says which. Exit status 0 when every part passed.

The make that runs this passes its command-line variables (BUILD=, RUN=,
CFLAGS=...) in MAKEFLAGS, which the parts inherit; its jobserver is not
passed on (each part runs its own commands one at a time, beside the
others). Standard library only.
"""
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import time

TAIL_LINES = 60  # of a failed part's log


def jobs_from(makeflags):
    """make's -j: N, or every CPU for a bare -j, or 1 without it."""
    m = re.search(r"(?:^|\s)-j(\d*)(?=\s|$)", makeflags)
    if m is None:
        return 1
    return int(m.group(1)) if m.group(1) else (os.cpu_count() or 1)


def without_jobserver(makeflags):
    """MAKEFLAGS for a make this script starts: no -j, no jobserver whose
    descriptors it would not have (make warns "jobserver unavailable")."""
    flags = re.sub(r"(?:^|\s)-j\d*(?=\s|$)", " ", makeflags)
    return re.sub(r"\s?--jobserver-(?:auth|fds)=\S+", "", flags)


def run(make, targets, log_path, env):
    """make targets, its output into log_path: (exit status, seconds)."""
    started = time.monotonic()
    with open(log_path, "w") as log:
        code = subprocess.run(make + ["--no-print-directory", *targets], env=env,
                              stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL).returncode
    return code, time.monotonic() - started


def skipped(log_path):
    """The part's "== ..." headings that say they skipped, and whether every
    heading did (the whole part skipped)."""
    with open(log_path, errors="replace") as f:
        headings = [line[3:].strip() for line in f if line.startswith("== ")]
    said = [h for h in headings if "skipped" in h]
    return said, bool(headings) and len(said) == len(headings)


def report_failure(part, code, took, log_path):
    print(f"FAIL  {part} (exit {code}, {took:.1f} s); the end of {log_path}:")
    with open(log_path, errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines[-TAIL_LINES:]:
        print(f"      {line}")


def main():
    args = sys.argv[1:]
    build_jobs = None
    if args and args[0].startswith("--build-jobs="):
        build_jobs = int(args.pop(0).split("=", 1)[1])
    split = args.index("--")
    log_dir, make_command, prepare = args[0], args[1], args[2:split]
    parts = args[split + 1:]
    make = shlex.split(make_command)
    env = dict(os.environ)
    jobs = jobs_from(env.get("MAKEFLAGS", ""))
    env["MAKEFLAGS"] = without_jobserver(env.get("MAKEFLAGS", ""))
    os.makedirs(log_dir, exist_ok=True)
    started = time.monotonic()

    log = os.path.join(log_dir, "build.log")
    code, took = run(make, [f"-j{build_jobs or jobs}", *prepare], log, env)
    if code != 0:
        report_failure("build", code, took, log)
        print(f"make check: the build failed; no part ran (log: {log})")
        return 1
    print(f"ok    build ({took:.1f} s)", flush=True)

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {pool.submit(run, make, [part], os.path.join(log_dir, f"{part}.log"), env): part
                   for part in parts}
        for done in concurrent.futures.as_completed(running):
            part = running[done]
            code, took = done.result()
            log = os.path.join(log_dir, f"{part}.log")
            if code != 0:
                failed.append(part)
                report_failure(part, code, took, log)
            else:
                said, whole = skipped(log)
                if whole:
                    print(f"skip  {part}: {'; '.join(said)}", flush=True)
                elif said:
                    print(f"ok    {part} ({took:.1f} s; {'; '.join(said)})", flush=True)
                else:
                    print(f"ok    {part} ({took:.1f} s)", flush=True)
    took = time.monotonic() - started
    if failed:
        print(f"make check: {len(failed)} of {len(parts)} parts failed ({', '.join(failed)}) "
              f"in {took:.0f} s; logs in {log_dir}/")
        return 1
    print(f"make check: all {len(parts)} parts passed in {took:.0f} s (logs in {log_dir}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
