#!/usr/bin/env python3
"""The outbox killed at every system call, and cut at every write and sync.

    crash_test.py kill OB_CYCLE [--sample N] [--seed S]
    crash_test.py powercut OB_CYCLE [--random-runs N] [--seed S]
    crash_test.py random OB_CYCLE --points N [--seed S]

Run under tests/sim/with_sim.sh (COORD_SIM_URL). OB_CYCLE is
build/tests/outbox/ob_cycle: one enqueue -> drain -> result -> ack cycle.

kill: the cycle is traced once with strace; then, for each of its system
calls in turn (the k-th call is the i-th call of its name: strace's
`-e inject=NAME:signal=KILL:when=i`), a fresh cycle is killed by SIGKILL
there, restarted ("recover") and checked. --sample N checks N of them,
spread evenly (CI); the default is every one.

powercut: the cycle under the power-cut VFS, cut at its 1st, 2nd, ...
write-or-sync until a cycle completes: every unsynced write is lost; then
--random-runs more cuts at random points where a random half of the
unsynced writes survives.

random: N kill points drawn at random (a random system call of a random
cycle), over a stream of intents of which a fifth lose their answer after
the server applied them (the simulator's drop_ends).

After each death: the restarted process must open the store and drain it;
the ledger must show the session ended at most once, and exactly once
when the enqueue had returned OK; a result not acknowledged before the
death must be delivered after it, an acknowledged one never again.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

SIM = os.environ.get("COORD_SIM_URL", "")
TOKEN = "outbox-crash-token"
CUT_EXIT = 77
LOCATION = "CRASH"


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(SIM + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def new_session():
    return control("POST", "/_sim/sessions",
                   {"location_id": LOCATION, "start_minutes_ago": 30})["id"]


def ledger_count(sid):
    for e in control("GET", "/_sim/ledger")["ends"]:
        if e["location_id"] == LOCATION and e["session_id"] == sid:
            return e["count"]
    return 0


def run(cmd, env=None):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            timeout=120)
    return result.returncode, result.stdout.decode(errors="replace").splitlines()


class Checker:
    def __init__(self, ob_cycle, workdir):
        self.ob_cycle = ob_cycle
        self.workdir = workdir
        self.checked = 0
        self.claims = {"enqueued": 0, "acked": 0, "recovered_results": 0, "killed": 0}

    def fresh_path(self):
        path = os.path.join(self.workdir, "k.outbox")
        for suffix in ("", "-wal", "-journal", ".new", ".new-wal", ".new-journal"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        return path

    def check(self, what, died_lines, path, sid):
        """The cycle died (or finished) having printed died_lines: restart and check."""
        rc, lines = run([self.ob_cycle, "recover", path, LOCATION, str(sid)])
        problems = []
        if rc != 0:
            problems.append(f"recovery failed (exit {rc}): {lines}")
        enqueued = [int(l.split()[1]) for l in died_lines if l.startswith("ENQUEUED ")]
        acked = {int(l.split()[1]) for l in died_lines if l.startswith("ACKED ")}
        results = [l.split() for l in lines if l.startswith("RESULT ")]
        ends = ledger_count(sid)
        if ends > 1:
            problems.append(f"session {sid} ended {ends} times")
        if enqueued:
            self.claims["enqueued"] += 1
            if ends != 1:
                problems.append(f"enqueue returned OK, but the session was ended {ends} times")
            if acked:
                self.claims["acked"] += 1
                if results:
                    problems.append(f"acknowledged result delivered again: {results}")
            elif not any(int(r[1]) == enqueued[0] for r in results) and \
                    not any(int(r[1]) == enqueued[0] for r in
                            [l.split() for l in died_lines if l.startswith("RESULT ")]):
                problems.append("enqueued, never acknowledged, no result after the restart")
        found = any(l.startswith("FOUND ") for l in lines)
        if found and not results and not acked:
            problems.append(f"found after the restart but no result delivered: {lines}")
        if found and ends != 1:
            problems.append(f"recorded but ended {ends} times")
        for r in results:
            if r[2] != "ENDED" or r[5] != "100":
                problems.append(f"result is not the ended session with its bill: {r}")
            self.claims["recovered_results"] += 1
        self.checked += 1
        if problems:
            print(f"FAIL at {what}: " + "; ".join(problems), file=sys.stderr)
            print(f"  before the death: {died_lines}", file=sys.stderr)
            print(f"  after the restart: {lines}", file=sys.stderr)
        return not problems


SYSCALL = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?([a-z_0-9]+)\(")


def trace_points(checker):
    """(name, i) for each system call of one traced cycle, in order."""
    sid = new_session()
    path = checker.fresh_path()
    log = os.path.join(checker.workdir, "trace.txt")
    rc, lines = run(["strace", "-f", "-qq", "-o", log, checker.ob_cycle, "cycle", path,
                     LOCATION, str(sid)])
    if rc != 0 or "DONE" not in lines:
        sys.exit(f"the traced cycle failed: {rc} {lines}")
    counts, points = {}, []
    with open(log) as f:
        for line in f:
            m = SYSCALL.match(line)
            if not m or "resumed>" in line:
                continue
            name = m.group(1)
            counts[name] = counts.get(name, 0) + 1
            points.append((name, counts[name]))
    return points


def kill_at(checker, name, index):
    sid = new_session()
    path = checker.fresh_path()
    rc, lines = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={name}",
                     "-e", f"inject={name}:signal=KILL:when={index}",
                     checker.ob_cycle, "cycle", path, LOCATION, str(sid)])
    checker.claims["killed"] += rc == -9 or rc == 128 + 9
    return checker.check(f"{name} #{index} (exit {rc})", lines, path, sid)


def cmd_kill(args, checker):
    points = trace_points(checker)
    chosen = list(enumerate(points))
    if args.sample and args.sample < len(points):
        step = len(points) / args.sample
        chosen = [chosen[int(i * step)] for i in range(args.sample)]
    ok = all([kill_at(checker, name, i) for _, (name, i) in chosen])
    print(f"kill points: {len(points)} system calls in one cycle; {len(chosen)} checked, "
          f"{checker.claims['killed']} of them killed by SIGKILL "
          f"({checker.claims['enqueued']} after the enqueue had returned OK, "
          f"{checker.claims['acked']} after the ack had); "
          f"{'all passed' if ok else 'FAILURES'}")
    return ok


def powercut_at(checker, n, seed=None):
    sid = new_session()
    path = checker.fresh_path()
    env = dict(os.environ, OB_POWERCUT=str(n))
    if seed is not None:
        env["OB_POWERCUT_RANDOM"] = str(seed)
    rc, lines = run([checker.ob_cycle, "cycle", path, LOCATION, str(sid)], env)
    ok = checker.check(f"power cut at write/sync #{n}" +
                       (f" (random survivors, seed {seed})" if seed is not None else ""),
                       lines, path, sid)
    return rc, ok


def cmd_powercut(args, checker):
    rng = random.Random(args.seed)
    ok, n = True, 0
    while True:
        n += 1
        rc, good = powercut_at(checker, n)
        ok &= good
        if rc != CUT_EXIT:
            break
        if n > 10000:
            sys.exit("the cycle never completed under the power-cut VFS")
    cuts = n - 1
    for _ in range(args.random_runs):
        _, good = powercut_at(checker, rng.randint(1, cuts), rng.randint(1, 1 << 30))
        ok &= good
    print(f"power-cut points: {cuts} writes and syncs in one cycle, each cut "
          f"(unsynced writes lost); {args.random_runs} more with a random half kept; "
          f"{'all passed' if ok else 'FAILURES'}")
    return ok


def cmd_random(args, checker):
    rng = random.Random(args.seed)
    control("POST", "/_sim/drop_ends", {"rate": 0.2, "seed": args.seed})
    points = trace_points(checker)
    ok, started = True, time.monotonic()
    for k in range(args.points):
        name, i = points[rng.randrange(len(points))]
        ok &= kill_at(checker, name, i)
        if (k + 1) % 500 == 0:
            print(f"  {k + 1} random kill points, {time.monotonic() - started:.0f} s", flush=True)
    control("POST", "/_sim/drop_ends", {"rate": 0})
    ledger = control("GET", "/_sim/ledger")
    print(f"random kill points: {args.points} over {len(points)} system calls of a cycle, a "
          f"fifth of the answers lost after apply; {checker.claims['enqueued']} enqueues had "
          f"returned OK, {ledger['total']} sessions ended, at most {ledger['max']} end per "
          f"session; {time.monotonic() - started:.0f} s; {'all passed' if ok else 'FAILURES'}")
    return ok and ledger["max"] <= 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("kill", "powercut", "random"))
    parser.add_argument("ob_cycle")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--random-runs", type=int, default=50)
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not SIM:
        sys.exit("COORD_SIM_URL is not set: run under tests/sim/with_sim.sh")
    control("POST", "/_sim/reset")
    control("POST", "/_sim/tokens", {"token": TOKEN,
                                     "user_id": "00000000-0000-0000-0000-000000000000"})
    workdir = tempfile.mkdtemp(prefix="coord_outbox_crash.")
    try:
        checker = Checker(os.path.abspath(args.ob_cycle), workdir)
        ok = {"kill": cmd_kill, "powercut": cmd_powercut, "random": cmd_random}[args.mode](
            args, checker)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
