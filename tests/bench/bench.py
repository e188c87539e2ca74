#!/usr/bin/env python3
"""libcoord benchmark driver (Python 3 standard library only): `make bench`.

Starts a private nginx on loopback that answers every PUT .../session/{id}/end
with the spec's example end answer (tests/bench/end_answer.json), then runs
the peers side by side in alternating rounds and reports medians:

  libcoord      loop_coord: N sequential coord_end_session calls, one client
  hand-written  loop_curl: the same PUT + cJSON parse, libcurl set up once
  bare socket   loop_socket: write the request, read to Content-Length
  python        loop_py.py: http.client kept alive + json
  node          loop_node.mjs: built-in fetch + res.json() (when node exists)
  node binding  loop_node_coord.mjs: bindings/node (koffi), in the non-blocking part
  curl CLI      one `curl` process per call

Then the non-blocking API (coord_loop): ASYNC_N end-session calls with 64 in
flight -- libcoord's loop (loop_coord_async) against a hand-written libcurl
multi + cJSON loop (loop_multi, the floor) and Node's fetch with a 64-wide
promise pool (loop_node.mjs), alternating rounds; against a server
that answers after 50 ms (slow_server.py: the latency-bound case), the loop
and the blocking call; the memory each call in flight costs at 1,000 in
flight; allocations per call (valgrind) and instructions per call
(callgrind) of the loop and of the hand-written multi loop. The Node binding
(when node and bindings/node/node_modules exist) runs in those rounds beside
Node's fetch; then, outside them, Node's event-loop delay with 1,000 ends in
flight and its RSS over NODE_MEMORY_N calls.

CPU time is the client process's own user + system time (getrusage in the
client, or wait4's rusage for the curl processes). Then, outside the timed
rounds: decode instructions (callgrind), heap allocations per call and leaks
(valgrind totals at N and 2N calls), TCP connections for 1,000 calls (nginx
logs $connection), peak RSS, and stripped sizes.

Then the outbox (libcoord-outbox, outbox_bench): enqueue latency p50/p99
(one fsync each) and throughput in batches of 100; a blocking drain of
BENCH_OUTBOX_N recorded ends with 64 in flight against the same nginx,
alternating with the plain loop (loop_coord_async) at the same N; and the
peak RSS of draining 1,000 and BENCH_OUTBOX_BIG (100,000) stored ends.
BENCH_ONLY=outbox runs only that part (make bench-outbox); BENCH_ONLY=observer
only the call record's cost (make bench-observer).

Then bursts over TLS (tls_bursts.py, burst_coord): 200 and 1,000 ends started
at once on a new loop with its default limits, against a private TLS nginx
(tests/threads/with_nginx.sh, throwaway CA) with HTTP/2 and with HTTP/1.1
only: TLS connections opened (nginx's $connection), calls/s and CPU.
BENCH_ONLY=tls runs only that part (make bench-tls). BENCH_ONLY=instructions
runs only the instructions per call (callgrind) of every loop, blocking and
non-blocking (make bench-instructions): the engine's budget.

Environment: BENCH_N (calls per round, default 5000), BENCH_ROUNDS (5),
BENCH_CLI_N (curl processes per round, default 300), BENCH_ALLOC_N (200),
BENCH_ASYNC_N (non-blocking calls per round, default 20000), BENCH_TLS_ROUNDS (5).
Usage: bench.py BUILD_DIR [RESULTS_MARKDOWN]
"""
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "bench-key"
TOKEN = "bench-token"
LOCATION_PATH = "/v1/access/parking"


def env_int(name, default):
    value = int(os.environ.get(name, default))
    if value < 1:
        raise SystemExit(f"{name} must be >= 1")
    return value


N = env_int("BENCH_N", 5000)
ROUNDS = env_int("BENCH_ROUNDS", 5)
CLI_N = env_int("BENCH_CLI_N", 300)
ALLOC_N = env_int("BENCH_ALLOC_N", 200)
ASYNC_N = env_int("BENCH_ASYNC_N", 20000)
CONN_N = 1000
IN_FLIGHT = 64          # the non-blocking comparison's concurrency
SLOW_DELAY_S = 0.05     # the latency-bound server's answer time
SLOW_N = 3000           # calls against it with IN_FLIGHT in flight
MEMORY_IN_FLIGHT = 1000
NODE_DELAY_IN_FLIGHT = 1000   # ends in flight while Node's event-loop delay is measured
NODE_DELAY_N = 50000
NODE_MEMORY_N = 100000        # calls through the Node binding, RSS sampled every tenth


def say(text):
    print(text, flush=True)


def find_tool(name, extra_dirs=("/usr/sbin", "/sbin")):
    path = shutil.which(name)
    if path is None:
        for d in extra_dirs:
            if os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
    return path


def require_tools():
    """nginx, valgrind and curl are required; install them when root."""
    need = {"nginx": "nginx-light", "valgrind": "valgrind", "curl": "curl",
            "strip": "binutils"}
    missing = [pkg for tool, pkg in need.items() if find_tool(tool) is None]
    if missing:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            say("bench: installing " + " ".join(missing))
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
                           + missing, check=True, env=env, stdout=subprocess.DEVNULL)
        else:
            raise SystemExit("bench: missing tools; run:\n  sudo apt-get install -y "
                             + " ".join(missing))
    if find_tool("node") is None:
        say("bench: node not found: the Node peer is skipped "
            "(apt-get install nodejs to include it)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    log_format conn '$connection $connection_requests $request_method $status';
    default_type application/json;
    # `return` answers in the rewrite phase, so PUT is accepted as is.
    server {{
        listen 127.0.0.1:{port};
        location {prefix}/ {{ return 200 '{answer}'; }}
    }}
    # The same answer, logging which connection carried each request.
    server {{
        listen 127.0.0.1:{log_port};
        access_log {tmp}/conn.log conn;
        location {prefix}/ {{ return 200 '{answer}'; }}
    }}
}}
"""


class Nginx:
    def __init__(self, tmp, answer):
        self.tmp = tmp
        self.port, self.log_port = free_port(), free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(tmp=tmp, port=self.port, log_port=self.log_port,
                                      prefix=LOCATION_PATH, answer=answer))
        self.proc = subprocess.Popen([find_tool("nginx"), "-p", tmp, "-c", conf,
                                      "-e", os.path.join(tmp, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                socket.create_connection(("127.0.0.1", self.log_port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode(errors="replace")
                    self.stop()
                    raise SystemExit("bench: nginx did not start: " + err)
                time.sleep(0.05)

    def base(self, port=None):
        return f"http://127.0.0.1:{port or self.port}{LOCATION_PATH}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def parse_result(text, who):
    for line in text.splitlines():
        if line.startswith("RESULT "):
            return {k: float(v) for k, v in (f.split("=") for f in line.split()[1:])}
    raise SystemExit(f"bench: {who} printed no RESULT line:\n{text}")


def run_client(argv, who):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {who} failed ({proc.returncode}):\n{proc.stderr}")
    return parse_result(proc.stdout, who)


def run_curl_cli(url, n):
    """n curl processes, one per call; CPU and RSS from wait4 of each child."""
    argv = [find_tool("curl"), "-s", "-f", "-X", "PUT", "-A", "libcoord/1.1.0",
            "-H", "Accept: application/json", "-H", "Authorization: Bearer " + TOKEN,
            "-o", "/dev/null", url]
    devnull = os.open(os.devnull, os.O_RDWR)
    cpu = 0.0
    w0 = time.monotonic()
    try:
        for _ in range(n):
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
            _, status, ru = os.wait4(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit("bench: curl CLI call failed")
            cpu += ru.ru_utime + ru.ru_stime
    finally:
        os.close(devnull)
    # ru_maxrss of a spawned child includes the launcher's own peak: not reported
    return {"calls": n, "wall_s": time.monotonic() - w0, "cpu_s": cpu, "maxrss_kb": -1}


def peers(build, nginx):
    base = nginx.base()
    path = f"{LOCATION_PATH}/LOT-1/session/1/end?access_key={KEY}"
    bench = os.path.join(build, "bench")
    table = [
        ("libcoord", lambda: run_client([os.path.join(bench, "loop_coord"), base, KEY, TOKEN,
                                         str(N)], "libcoord")),
        ("hand-written libcurl+cJSON",
         lambda: run_client([os.path.join(bench, "loop_curl"), base, KEY, TOKEN, str(N)],
                            "hand-written")),
        ("bare socket", lambda: run_client([os.path.join(bench, "loop_socket"),
                                            str(nginx.port), path, TOKEN, str(N)],
                                           "bare socket")),
        ("python http.client+json",
         lambda: run_client([sys.executable, os.path.join(HERE, "loop_py.py"), base, KEY,
                             TOKEN, str(N)], "python")),
    ]
    node = find_tool("node")
    if node is not None:
        table.append(("node fetch", lambda: run_client(
            [node, os.path.join(HERE, "loop_node.mjs"), base, KEY, TOKEN, str(N)], "node")))
    table.append(("curl CLI (1 process/call)",
                  lambda: run_curl_cli(f"{base}/LOT-1/session/1/end?access_key={KEY}", CLI_N)))
    return table


def timed_rounds(build, nginx):
    table = peers(build, nginx)
    results = {name: [] for name, _ in table}
    for r in range(ROUNDS):
        order = table[r % len(table):] + table[:r % len(table)]  # alternate who goes first
        for name, run in order:
            res = run()
            results[name].append(res)
        say(f"bench: round {r + 1}/{ROUNDS} done (load {os.getloadavg()[0]:.2f})")
    summary = {}
    for name, rows in results.items():
        summary[name] = {
            "calls_per_s": statistics.median(x["calls"] / x["wall_s"] for x in rows),
            "cpu_us": statistics.median(x["cpu_s"] / x["calls"] * 1e6 for x in rows),
            "maxrss_kb": statistics.median(x["maxrss_kb"] for x in rows),
            "calls": int(rows[0]["calls"]),
        }
    return summary


def count_connections(build, nginx):
    """Distinct nginx $connection numbers for CONN_N sequential calls."""
    log = os.path.join(nginx.tmp, "conn.log")
    out = {}
    for name, prog in (("libcoord", "loop_coord"), ("hand-written", "loop_curl")):
        open(log, "w").close()  # nginx appends (O_APPEND): truncation is safe
        run_client([os.path.join(build, "bench", prog), nginx.base(nginx.log_port), KEY,
                    TOKEN, str(CONN_N - 1)], name)  # + its one untimed call = CONN_N
        time.sleep(0.2)
        with open(log) as f:
            lines = [ln.split() for ln in f if ln.strip()]
        if len(lines) != CONN_N or any(ln[2:] != ["PUT", "200"] for ln in lines):
            raise SystemExit(f"bench: expected {CONN_N} PUT 200 lines in nginx's log, "
                             f"got {len(lines)}")
        out[name] = len({ln[0] for ln in lines})
    return out


HEAP_RE = re.compile(r"total heap usage: ([\d,]+) allocs, ([\d,]+) frees")
LOST_RE = re.compile(r"(definitely|indirectly) lost: ([\d,]+) bytes")


def valgrind_allocs(build, nginx, argv_tail, n, cjson_per_call=None):
    """valgrind's heap total of a loop of n calls, cJSON's allocations in it,
    and the bytes leaked. The hand-written loops count cJSON's themselves
    (count-cjson: their own hooks); libcoord installs cJSON's hooks itself,
    so for its loops cJSON's allocations per call come measured apart
    (cjson_per_call, from decode_cost count)."""
    prog = argv_tail[0]
    extra = argv_tail[1:] + (["count-cjson"] if cjson_per_call is None else [])
    argv = ["valgrind", "--leak-check=full", os.path.join(build, "bench", prog),
            nginx.base(), KEY, TOKEN, str(n)] + extra
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    heap = HEAP_RE.search(proc.stderr)
    if proc.returncode != 0 or heap is None:
        raise SystemExit(f"bench: valgrind {prog} failed:\n{proc.stderr[-3000:]}")
    lost = sum(int(m.group(2).replace(",", "")) for m in LOST_RE.finditer(proc.stderr))
    res = parse_result(proc.stdout, prog)
    cjson = res["cjson_allocs"] if cjson_per_call is None else cjson_per_call * (n + 1)
    return int(heap.group(1).replace(",", "")), cjson, lost


def cjson_allocs_per_decode(build):
    """cJSON's allocations in one coord_session_decode of the end answer."""
    res = run_client([os.path.join(build, "bench", "decode_cost"), "count",
                      os.path.join(HERE, "end_answer.json"), "1000"], "decode_cost count")
    return res["allocs_per_decode"]


# The loops measured under valgrind, call by call: name, and the program
# with its arguments after the call count.
BLOCKING_LOOPS = (("libcoord", ["loop_coord"]),
                  ("hand-written", ["loop_curl"]),
                  ("hand-written + Accept-Encoding", ["loop_curl", "accept-encoding"]))
# The blocking loop without and with an observer that does nothing: what the
# call record costs (instructions only).
OBSERVER_LOOPS = (("libcoord", ["loop_coord"]),
                  ("libcoord + no-op observer", ["loop_coord", "observe"]))
ASYNC_LOOPS = (("libcoord loop", ["loop_coord_async", str(IN_FLIGHT)]),
               ("hand-written multi", ["loop_multi", str(IN_FLIGHT)]))


def allocations(build, nginx, loops, cjson_per_call):
    """Per steady-state call of each of the loops: valgrind's totals at N and
    2N calls, minus the allocations cJSON made. cjson_per_call: cJSON's
    allocations per call of the loops that use libcoord, by name (see
    valgrind_allocs); the others count them through their own hooks."""
    out = {}
    for name, argv_tail in loops:
        cjson = cjson_per_call.get(name)
        a1, c1, lost1 = valgrind_allocs(build, nginx, argv_tail, ALLOC_N, cjson)
        a2, c2, lost2 = valgrind_allocs(build, nginx, argv_tail, 2 * ALLOC_N, cjson)
        out[name] = {"total": (a2 - a1) / ALLOC_N, "cjson": (c2 - c1) / ALLOC_N,
                     "beyond": ((a2 - a1) - (c2 - c1)) / ALLOC_N,
                     "lost_bytes": max(lost1, lost2)}
    return out


def callgrind_ir(build, tmp, mode, k):
    fn = "run_coord" if mode == "coord" else "run_cjson"
    argv = ["valgrind", "--tool=callgrind", f"--toggle-collect={fn}",
            f"--callgrind-out-file={tmp}/callgrind.{mode}",
            os.path.join(build, "bench", "decode_cost"), mode,
            os.path.join(HERE, "end_answer.json"), str(k)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or m is None:
        raise SystemExit(f"bench: callgrind {mode} failed:\n{proc.stderr[-3000:]}")
    return int(m.group(1)) / k


def call_instructions(build, nginx, tmp, loops):
    """Instructions per steady-state call of each of the loops (callgrind
    totals at N and 2N calls): deterministic where wall-clock CPU time on a
    shared machine is not."""
    out = {}
    n = ALLOC_N
    for name, argv_tail in loops:
        totals = []
        for calls in (n, 2 * n):
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.calls",
                    os.path.join(build, "bench", argv_tail[0]), nginx.base(), KEY, TOKEN,
                    str(calls)] + argv_tail[1:]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
            m = re.search(r"Collected : (\d+)", proc.stderr)
            if proc.returncode != 0 or m is None:
                raise SystemExit(f"bench: callgrind {name} failed:\n{proc.stderr[-3000:]}")
            totals.append(int(m.group(1)))
        out[name] = (totals[1] - totals[0]) / n
    return out


# ---- the non-blocking API ----

class SlowServer:
    """slow_server.py: answers every request after a delay (asyncio)."""

    def __init__(self, tmp, delay_s):
        port_file = os.path.join(tmp, f"slow-{delay_s}.port")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "slow_server.py"),
                                      os.path.join(HERE, "end_answer.json"), str(delay_s),
                                      port_file])
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("bench: slow_server.py did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())

    def base(self):
        return f"http://127.0.0.1:{self.port}{LOCATION_PATH}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def async_peers(build, base):
    bench = os.path.join(build, "bench")
    table = [
        ("libcoord loop", lambda: run_client([os.path.join(bench, "loop_coord_async"), base, KEY,
                                              TOKEN, str(ASYNC_N), str(IN_FLIGHT)], "loop")),
        ("hand-written libcurl multi+cJSON", lambda: run_client(
            [os.path.join(bench, "loop_multi"), base, KEY, TOKEN, str(ASYNC_N), str(IN_FLIGHT)],
            "multi")),
    ]
    node = find_tool("node")
    if node is not None:
        table.append(("node fetch, 64-wide pool", lambda: run_client(
            [node, os.path.join(HERE, "loop_node.mjs"), base, KEY, TOKEN, str(ASYNC_N),
             str(IN_FLIGHT)], "node pool")))
        if node_binding_ready():
            table.append(("node binding (koffi), 64 in flight", lambda: run_client(
                node_binding_argv(base, ASYNC_N, IN_FLIGHT), "node binding")))
    return table


def node_binding_ready():
    return os.path.exists(os.path.join(HERE, "..", "..", "bindings", "node", "node_modules",
                                       "koffi", "package.json"))


def node_binding_argv(base, n, in_flight, mode="speed"):
    return [find_tool("node"), "--expose-gc", os.path.join(HERE, "loop_node_coord.mjs"), base,
            KEY, TOKEN, str(n), str(in_flight), mode]


def node_binding_extras(nginx):
    """The Node binding outside the timed rounds: event-loop delay with
    NODE_DELAY_IN_FLIGHT ends in flight (median of the rounds' p99), and RSS
    after a warm-up of NODE_MEMORY_N / 2 calls, then after each tenth of
    NODE_MEMORY_N calls. V8 grows its young generation during the first tens
    of thousands of calls (heapTotal ~22 -> ~40 MB while the used heap stays
    ~4 MB), so the verdict is on the second half: no growth there."""
    if find_tool("node") is None or not node_binding_ready():
        say("bench: bindings/node/node_modules missing (npm ci --prefix bindings/node): "
            "the Node binding is skipped")
        return None
    delays = [run_client(node_binding_argv(nginx.base(), NODE_DELAY_N, NODE_DELAY_IN_FLIGHT,
                                           "delay"), "node binding (delay)")
              for _ in range(ROUNDS)]
    memory = run_client(node_binding_argv(nginx.base(), NODE_MEMORY_N, IN_FLIGHT, "memory"),
                        "node binding (memory)")
    return {"delay_p99_ms": statistics.median(d["delay_p99_ms"] for d in delays),
            "delay_max_ms": max(d["delay_max_ms"] for d in delays),
            "calls_per_s": statistics.median(d["calls"] / d["wall_s"] for d in delays),
            "memory": memory}


def async_rounds(build, nginx):
    table = async_peers(build, nginx.base())
    results = {name: [] for name, _ in table}
    for r in range(ROUNDS):
        for name, run in table[r % len(table):] + table[:r % len(table)]:
            results[name].append(run())
        say(f"bench: non-blocking round {r + 1}/{ROUNDS} done")
    return {name: {"calls_per_s": statistics.median(x["calls"] / x["wall_s"] for x in rows),
                   "cpu_us": statistics.median(x["cpu_s"] / x["calls"] * 1e6 for x in rows)}
            for name, rows in results.items()}


def latency_bound(build, slow):
    """Calls/s against a server that answers after SLOW_DELAY_S: the loop with
    IN_FLIGHT in flight, the hand-written multi loop, the blocking call."""
    bench = os.path.join(build, "bench")
    loop = run_client([os.path.join(bench, "loop_coord_async"), slow.base(), KEY, TOKEN,
                       str(SLOW_N), str(IN_FLIGHT)], "loop (slow server)")
    multi = run_client([os.path.join(bench, "loop_multi"), slow.base(), KEY, TOKEN,
                        str(SLOW_N), str(IN_FLIGHT)], "multi (slow server)")
    blocking = run_client([os.path.join(bench, "loop_coord"), slow.base(), KEY, TOKEN, "60"],
                          "blocking (slow server)")
    return {name: r["calls"] / r["wall_s"] for name, r in
            (("loop", loop), ("multi", multi), ("blocking", blocking))}


def memory_in_flight(build, tmp):
    """KiB of resident memory each call in flight costs, MEMORY_IN_FLIGHT at
    once (a server answering after 1 s holds them all open): peak RSS minus
    the RSS before any call, per call."""
    slow = SlowServer(tmp, 1.0)
    try:
        out = {}
        for name, prog in (("libcoord loop", "loop_coord_async"),
                           ("hand-written multi", "loop_multi")):
            r = run_client([os.path.join(build, "bench", prog), slow.base(), KEY, TOKEN,
                            str(MEMORY_IN_FLIGHT), str(MEMORY_IN_FLIGHT)], name)
            out[name] = (r["maxrss_kb"] - r["rss_idle_kb"]) / MEMORY_IN_FLIGHT
        return out
    finally:
        slow.stop()


OUTBOX_N = env_int("BENCH_OUTBOX_N", 20000)
OUTBOX_BIG = env_int("BENCH_OUTBOX_BIG", 100000)
OUTBOX_ROUNDS = env_int("BENCH_OUTBOX_ROUNDS", 3)


def outbox_figures(build, nginx, tmp):
    """The outbox: enqueue latency, batch throughput, drain vs the plain loop, RSS."""
    bench = os.path.join(build, "bench")
    work = os.path.join(tmp, "outbox")
    os.makedirs(work, exist_ok=True)
    enq = run_client([os.path.join(bench, "outbox_bench"), "enqueue", work, "2000"], "enqueue")
    drains, loops = [], []
    for r in range(OUTBOX_ROUNDS):
        runs = [("drain", drains, [os.path.join(bench, "outbox_bench"), "drain", nginx.base(),
                                   KEY, TOKEN, work, str(OUTBOX_N), str(IN_FLIGHT)]),
                ("loop", loops, [os.path.join(bench, "loop_coord_async"), nginx.base(), KEY,
                                 TOKEN, str(OUTBOX_N), str(IN_FLIGHT)])]
        for who, rows, argv in (runs if r % 2 == 0 else runs[::-1]):
            x = run_client(argv, who)
            rows.append(x["calls"] / x["wall_s"])
        say(f"bench: outbox round {r + 1}/{OUTBOX_ROUNDS} done")
    rss = {}
    for n in (1000, OUTBOX_BIG):
        x = run_client([os.path.join(bench, "outbox_bench"), "drain", nginx.base(), KEY, TOKEN,
                        work, str(n), str(IN_FLIGHT)], f"drain {n}")
        rss[n] = (x["rss_stored_kb"], x["maxrss_kb"], x["calls"] / x["wall_s"])
    return {"enqueue": enq, "drain": statistics.median(drains),
            "loop": statistics.median(loops), "rss": rss}


def tls_bursts(build):
    """tls_bursts.py under a TLS nginx with HTTP/2, then with HTTP/1.1 only."""
    rows = []
    for tls in ("h2", "http1.1"):
        env = dict(os.environ, COORD_NGINX_TLS=tls)
        out = subprocess.run([os.path.join(HERE, "..", "threads", "with_nginx.sh"), sys.executable,
                              os.path.join(HERE, "tls_bursts.py"), build],
                             capture_output=True, text=True, env=env, timeout=1200)
        if out.returncode != 0:
            raise SystemExit(f"bench: tls_bursts.py ({tls}) failed:\n{out.stderr}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def tls_report(rows):
    lines = ["## Bursts over TLS: connections, calls/s, CPU", "",
             "N ends started at once on a new loop with its default limits "
             "(coord_loop_new: max_host_connections 64, multiplexed 4), cold (new client, "
             "new handshakes), against a private TLS nginx (2 workers, throwaway CA); "
             "medians of the rounds (tls_bursts.py, burst_coord).", "",
             "| server | burst | TLS connections (median, max) | calls/s | CPU s |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        for n in ("200", "1000"):
            r = row[n]
            lines.append(f"| {'HTTP/2' if row['tls'] == 'h2' else 'HTTP/1.1'} | {int(n):,} | "
                         f"{r['connections']:g}, {r['connections_max']} | "
                         f"{r['calls_s']:,.0f} | {r['cpu_s']:.3f} |")
    return "\n".join(lines) + "\n"


def outbox_report(o):
    e, ratio = o["enqueue"], o["drain"] / o["loop"]
    lines = ["## The outbox (libcoord-outbox)", "",
             f"Outbox files in {tempfile.gettempdir()}; WAL, synchronous=FULL; "
             f"{IN_FLIGHT} in flight; {OUTBOX_ROUNDS} alternating rounds, medians.", "",
             "| measure | value | target | |", "| --- | --- | --- | --- |",
             f"| enqueue latency, one commit + fsync each (2,000) | p50 {e['p50_us']:.0f} µs, "
             f"p99 {e['p99_us']:.0f} µs | (fsync-bound) | (reference) |",
             f"| enqueue throughput, batches of 100 (one fsync each) | "
             f"{e['batch_per_s']:.0f} intents/s | — | (reference) |",
             f"| drain of {OUTBOX_N} ends vs the plain loop (loop_coord_async) | "
             f"{o['drain']:.0f} vs {o['loop']:.0f} ends/s = {ratio:.2f}× | ≥ 0.8× "
             f"| {verdict(ratio >= 0.8)} |"]
    for n, (stored, peak, rate) in sorted(o["rss"].items()):
        lines.append(f"| draining {n} stored ends: RSS after recording / peak while draining "
                     f"| {stored:.0f} / {peak:.0f} KiB ({rate:.0f} ends/s) | bounded by the in-flight "
                     f"cap | (reference) |")
    small, big = o["rss"][1000][1], o["rss"][OUTBOX_BIG][1]
    lines.append(f"| peak RSS, {OUTBOX_BIG} stored minus 1,000 stored | {big - small:+.0f} KiB | "
                 f"≤ +4096 KiB (SQLite's page cache, 2 MiB by default) "
                 f"| {verdict(big - small <= 4096)} |")
    return "\n".join(lines) + "\n"


def async_report(summary, latency, memory, allocs, instr, node_extras):
    lines = []
    add = lines.append
    add("## The non-blocking API (coord_loop)")
    add("")
    add(f"{ASYNC_N} end-session calls per round, {IN_FLIGHT} in flight, {ROUNDS} alternating "
        "rounds, medians; the same nginx.")
    add("")
    add("| client | calls/s | CPU µs/call |")
    add("| --- | ---: | ---: |")
    for name, s in summary.items():
        add(f"| {name} | {s['calls_per_s']:.0f} | {s['cpu_us']:.1f} |")
    add("")
    me, hw = summary["libcoord loop"], summary["hand-written libcurl multi+cJSON"]
    rows = [("calls/s vs the hand-written multi loop",
             f"{me['calls_per_s'] / hw['calls_per_s']:.3f}×", "≥ 0.95×",
             me["calls_per_s"] >= 0.95 * hw["calls_per_s"]),
            ("CPU per call vs the hand-written multi loop",
             f"{me['cpu_us'] / hw['cpu_us']:.3f}×", "≤ 1.0×", me["cpu_us"] <= hw["cpu_us"])]
    if "node fetch, 64-wide pool" in summary:
        r = me["calls_per_s"] / summary["node fetch, 64-wide pool"]["calls_per_s"]
        rows.append(("calls/s vs Node fetch, 64-wide pool", f"{r:.2f}×", "≥ 5×", r >= 5))
    if "node binding (koffi), 64 in flight" in summary and "node fetch, 64-wide pool" in summary:
        nb, nf = summary["node binding (koffi), 64 in flight"], summary["node fetch, 64-wide pool"]
        r = nb["calls_per_s"] / nf["calls_per_s"]
        rows.append(("Node binding: calls/s vs Node fetch, 64 in flight", f"{r:.2f}×", "≥ 3×",
                     r >= 3))
        r = nb["cpu_us"] / nf["cpu_us"]
        rows.append(("Node binding: CPU per call vs Node fetch, 64 in flight", f"{r:.2f}×",
                     "≤ 0.5×", r <= 0.5))
    if node_extras is not None:
        d, m = node_extras, node_extras["memory"]
        rows.append((f"Node binding: event-loop delay p99, {NODE_DELAY_IN_FLIGHT} ends in flight "
                     f"(monitorEventLoopDelay; median of {ROUNDS} rounds)",
                     f"{d['delay_p99_ms']:.1f} ms (max {d['delay_max_ms']:.1f} ms; "
                     f"{d['calls_per_s']:.0f} calls/s)", "≤ 10 ms", d["delay_p99_ms"] <= 10))
        growth = m["rss_end_kb"] - m["rss_half_kb"]
        rows.append((f"Node binding: RSS growth over the last {NODE_MEMORY_N // 2:,} of "
                     f"{NODE_MEMORY_N:,} calls (after {NODE_MEMORY_N // 2:,} of warm-up)",
                     f"{growth / 1024:+.1f} MiB (after warm-up {m['rss_warm_kb'] / 1024:.1f}, "
                     f"half {m['rss_half_kb'] / 1024:.1f}, end {m['rss_end_kb'] / 1024:.1f}, "
                     f"peak sample {m['rss_max_kb'] / 1024:.1f} MiB; V8 heap used "
                     f"{m['heap_used_warm_kb'] / 1024:.1f} → {m['heap_used_end_kb'] / 1024:.1f} MiB)",
                     "≤ +1 MiB", growth <= 1024))
    ic, ih = instr["libcoord loop"], instr["hand-written multi"]
    rows.append(("instructions per call (callgrind): loop / hand-written multi",
                 f"{ic:.0f} / {ih:.0f} = {ic / ih:.3f}×", "(CPU ≤ 1.0×)", ic <= ih))
    rows.append((f"calls/s, server answering after {SLOW_DELAY_S * 1000:.0f} ms, "
                 f"{IN_FLIGHT} in flight (limit {IN_FLIGHT / SLOW_DELAY_S:.0f})",
                 f"{latency['loop']:.0f} (hand-written multi {latency['multi']:.0f}; "
                 f"blocking call {latency['blocking']:.1f})", "≥ 1,100",
                 latency["loop"] >= 1100))
    rows.append((f"RSS per call in flight, {MEMORY_IN_FLIGHT} in flight",
                 f"{memory['libcoord loop']:.1f} KiB (hand-written multi: "
                 f"{memory['hand-written multi']:.1f} KiB)", "≤ 32 KiB",
                 memory["libcoord loop"] <= 32))
    a, h = allocs["libcoord loop"], allocs["hand-written multi"]
    rows.append(("heap allocations per call beyond cJSON's (valgrind, N vs 2N)",
                 f"{a['beyond']:.2f} (hand-written multi: {h['beyond']:.2f})",
                 "≤ the hand-written loop's", a["beyond"] <= h["beyond"]))
    lost = max(x["lost_bytes"] for x in allocs.values())
    rows.append(("bytes leaked, every valgrind run", f"{lost}", "0", lost == 0))
    add("| measure | value | target | |")
    add("| --- | --- | --- | --- |")
    for label, value, target, ok in rows:
        add(f"| {label} | {value} | {target} | {verdict(ok)} |")
    return "\n".join(lines) + "\n"


def stripped_size(path, tmp):
    copy = os.path.join(tmp, "stripped-" + os.path.basename(path))
    shutil.copyfile(path, copy)
    subprocess.run([find_tool("strip"), copy], check=True)
    return os.path.getsize(copy)


def sizes(build, tmp):
    lib = os.path.realpath(os.path.join(build, "lib", "libcoord.so"))
    return {"lib": stripped_size(lib, tmp),
            "example": stripped_size(os.path.join(build, "examples", "end_session"), tmp)}


def version(argv, pattern=r"(\d+\.\d+(\.\d+)?)"):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except OSError:
        return "absent"
    m = re.search(pattern, proc.stdout + proc.stderr)
    return m.group(1) if m else "?"


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")
        if hasattr(platform, "freedesktop_os_release") else "?",
        "cc": version([os.environ.get("CC", "cc"), "--version"]),
        "libcurl": version(["pkg-config", "--modversion", "libcurl"]),
        "cjson": version(["pkg-config", "--modversion", "libcjson"]),
        "nginx": version([find_tool("nginx"), "-v"]),
        "python": platform.python_version(),
        "node": version([find_tool("node") or "node", "--version"]),
        "curl": version([find_tool("curl"), "--version"]),
        "valgrind": version(["valgrind", "--version"]),
    }


def verdict(ok):
    if ok is None:
        return "(reference)"
    return "met" if ok else "MISSED"


def observer_instructions(build, nginx, tmp):
    """What the call record costs, per end: callgrind's inclusive counts of
    coord_end_session (the whole call) and of curl_easy_perform inside it,
    without and with a no-op observer. The record is made outside the
    transfer; the transfer's own count wanders by about 1 % from run to run
    (libcurl's timers and poll wake-ups), the rest of the call's does not:
    the difference of the rest is the record's exact cost."""
    out = {}
    n = ALLOC_N
    for name, argv_tail in OBSERVER_LOOPS:
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.observer",
                os.path.join(build, "bench", argv_tail[0]), nginx.base(), KEY, TOKEN,
                str(n)] + argv_tail[1:]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise SystemExit(f"bench: callgrind {name} failed:\n{proc.stderr[-3000:]}")
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", f"{tmp}/cg.observer"],
                              capture_output=True, text=True, check=True).stdout
        counts = {}
        for fn in ("coord_end_session", "curl_easy_perform"):
            m = re.search(r"^\s*([\d,]+) .*[:?]" + fn + r" \[", text, re.M)
            if m is None:
                raise SystemExit(f"bench: no {fn} in callgrind's report of {name}")
            counts[fn] = int(m.group(1).replace(",", "")) / (n + 1)  # the untimed call too
        out[name] = {"call": counts["coord_end_session"],
                     "own": counts["coord_end_session"] - counts["curl_easy_perform"]}
    return out


def observer_row(instr):
    """The call record's cost: instructions per end with an observer that
    does nothing, against none (within +2 %)."""
    plain, observed = instr["libcoord"], instr["libcoord + no-op observer"]
    added = observed["own"] - plain["own"]
    extra = added / plain["call"]
    return ("instructions per end added by a no-op observer (the call record) / the call",
            f"{added:+.0f} / {plain['call']:.0f} = {extra * 100:+.2f} %", "≤ +2 %",
            extra <= 0.02)


def observer_report(instr):
    label, value, target, ok = observer_row(instr)
    return f"{label}: {value} (target {target}: {verdict(ok)})"


def report(m, load, summary, decode, allocs, conns, size, instr, instr_observer):
    lines = []
    add = lines.append
    add("## Results")
    add("")
    add(f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, {m['os']}; "
        f"cc {m['cc']}, libcurl {m['libcurl']}, cJSON {m['cjson']}, nginx {m['nginx']}, "
        f"Python {m['python']}, Node {m['node']}, curl {m['curl']}, valgrind {m['valgrind']}.")
    add(f"Load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}. "
        f"N = {N} calls per round ({CLI_N} for the curl CLI), {ROUNDS} alternating rounds, "
        "medians; loopback nginx, keep-alive.")
    add("")
    add("| client | calls/s | CPU µs/call | peak RSS KiB | libcoord/peer calls/s "
        "| libcoord/peer CPU |")
    add("| --- | ---: | ---: | ---: | ---: | ---: |")
    me = summary["libcoord"]
    for name, s in summary.items():
        rss = f"{s['maxrss_kb']:.0f}" if s["maxrss_kb"] >= 0 else "–"
        add(f"| {name} | {s['calls_per_s']:.0f} | {s['cpu_us']:.1f} | {rss} "
            f"| {me['calls_per_s'] / s['calls_per_s']:.2f}× "
            f"| {me['cpu_us'] / s['cpu_us']:.2f}× |")
    add("")
    hw = summary["hand-written libcurl+cJSON"]
    rows = [
        ("CPU per call vs hand-written", f"{me['cpu_us'] / hw['cpu_us']:.3f}×", "≤ 1.0×",
         me["cpu_us"] <= hw["cpu_us"]),
        ("calls/s vs hand-written", f"{me['calls_per_s'] / hw['calls_per_s']:.3f}×",
         "≥ 0.97×", me["calls_per_s"] >= 0.97 * hw["calls_per_s"]),
    ]
    for peer, label, target in (("curl CLI (1 process/call)", "curl CLI", 40),
                                ("python http.client+json", "Python", 1.4),
                                ("node fetch", "Node", 2.5)):
        if peer in summary:
            r = me["calls_per_s"] / summary[peer]["calls_per_s"]
            rows.append((f"calls/s vs {label}", f"{r:.2f}×", f"≥ {target}×", r >= target))
    ic, ih, ia = (instr["libcoord"], instr["hand-written"],
                  instr["hand-written + Accept-Encoding"])
    rows.append(("instructions per call (callgrind): libcoord / hand-written",
                 f"{ic:.0f} / {ih:.0f} = {ic / ih:.3f}×", "(CPU ≤ 1.0×)", ic <= ih))
    rows.append(("… hand-written with Accept-Encoding, as libcoord asks",
                 f"{ia:.0f}: libcoord = {ic / ia:.3f}× of it", "—", None))
    rows.append(observer_row(instr_observer))
    rss = me["maxrss_kb"] - hw["maxrss_kb"]
    rows.append(("peak RSS above hand-written", f"{rss:+.0f} KiB", "≤ +512 KiB", rss <= 512))
    ratio = decode["coord"] / decode["cjson"]
    rows.append(("decode instructions (callgrind): coord_session_decode / "
                 "cJSON_Parse+Delete",
                 f"{decode['coord']:.0f} / {decode['cjson']:.0f} = {ratio:.2f}×", "≤ 1.3×",
                 ratio <= 1.3))
    a = allocs["libcoord"]
    hw_a, hw_ae = allocs["hand-written"], allocs["hand-written + Accept-Encoding"]
    rows.append(("heap allocations per call beyond cJSON's (valgrind, N vs 2N)",
                 f"{a['beyond']:.2f} (total {a['total']:.2f}, cJSON {a['cjson']:.2f})",
                 "≤ 4", a["beyond"] <= 4))
    rows.append(("… the same for the hand-written loop: libcurl's own floor",
                 f"{hw_a['beyond']:.2f}; with Accept-Encoding as libcoord asks: "
                 f"{hw_ae['beyond']:.2f}", "—", None))
    own = a["beyond"] - hw_ae["beyond"]
    rows.append(("allocations libcoord adds over the equivalent hand-written loop",
                 f"{own:.2f}", "≤ 4", own <= 4))
    lost = max(x["lost_bytes"] for x in allocs.values())
    rows.append(("bytes leaked (definitely + indirectly lost), every valgrind run",
                 f"{lost}", "0", lost == 0))
    rows.append((f"TCP connections for {CONN_N} calls (nginx $connection)",
                 f"{conns['libcoord']} (hand-written: {conns['hand-written']})", "1",
                 conns["libcoord"] == 1))
    rows.append(("stripped libcoord.so", f"{size['lib']} B ({size['lib'] / 1024:.1f} KiB)",
                 "≤ 56 KiB", size["lib"] <= 56 * 1024))
    rows.append(("stripped end_session example, libcoord static (libcurl, cJSON, libc "
                 "shared)", f"{size['example']} B ({size['example'] / 1024:.1f} KiB)",
                 "≤ 64 KiB", size["example"] <= 64 * 1024))
    add("| measure | value | target | |")
    add("| --- | --- | --- | --- |")
    for label, value, target, ok in rows:
        add(f"| {label} | {value} | {target} | {verdict(ok)} |")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    build = os.path.abspath(sys.argv[1])
    require_tools()
    with open(os.path.join(HERE, "end_answer.json")) as f:
        answer = f.read().strip()
    if "'" in answer or "\\" in answer:
        raise SystemExit("bench: the answer must not contain quotes or backslashes")
    with tempfile.TemporaryDirectory(prefix="coord-bench-") as tmp:
        nginx = Nginx(tmp, answer)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
            conn.request("PUT", LOCATION_PATH + "/LOT-1/session/1/end", body=b"")
            resp = conn.getresponse()
            if resp.status != 200 or resp.read().decode() != answer:
                raise SystemExit("bench: nginx does not serve the end answer to PUT")
            conn.close()
            if os.environ.get("BENCH_ONLY") == "observer":
                text = observer_report(observer_instructions(build, nginx, tmp))
                print(text)
                return
            if os.environ.get("BENCH_ONLY") == "tls":
                text = tls_report(tls_bursts(build))
                print(text)
                if len(sys.argv) == 3:
                    with open(sys.argv[2], "w") as f:
                        f.write(text)
                return
            if os.environ.get("BENCH_ONLY") == "instructions":
                instr = call_instructions(build, nginx, tmp, BLOCKING_LOOPS + ASYNC_LOOPS)
                for name, per_call in instr.items():
                    print(f"instructions per call (callgrind), {name}: {per_call:,.0f}")
                return
            if os.environ.get("BENCH_ONLY") == "outbox":
                text = outbox_report(outbox_figures(build, nginx, tmp))
                print(text)
                if len(sys.argv) == 3:
                    with open(sys.argv[2], "w") as f:
                        f.write(text)
                return
            load0 = os.getloadavg()[0]
            say(f"bench: nginx on 127.0.0.1:{nginx.port}; load {load0:.2f}; "
                f"N={N} x {ROUNDS} rounds")
            summary = timed_rounds(build, nginx)
            load1 = os.getloadavg()[0]
            say("bench: connections, allocations (valgrind), decode cost (callgrind)")
            conns = count_connections(build, nginx)
            per_decode = cjson_allocs_per_decode(build)
            allocs = allocations(build, nginx, BLOCKING_LOOPS, {"libcoord": per_decode})
            decode = {mode: callgrind_ir(build, tmp, mode, 2000) for mode in ("coord", "cjson")}
            instr = call_instructions(build, nginx, tmp, BLOCKING_LOOPS)
            instr_observer = observer_instructions(build, nginx, tmp)
            say(f"bench: non-blocking API: {ASYNC_N} calls x {ROUNDS} rounds, "
                f"{IN_FLIGHT} in flight")
            async_summary = async_rounds(build, nginx)
            slow = SlowServer(tmp, SLOW_DELAY_S)
            try:
                latency = latency_bound(build, slow)
            finally:
                slow.stop()
            memory = memory_in_flight(build, tmp)
            node_extras = node_binding_extras(nginx)
            allocs_async = allocations(build, nginx, ASYNC_LOOPS, {"libcoord loop": per_decode})
            instr_async = call_instructions(build, nginx, tmp, ASYNC_LOOPS)
            say(f"bench: the outbox: enqueue, drain of {OUTBOX_N} vs the loop, RSS")
            outbox = outbox_figures(build, nginx, tmp)
            say("bench: bursts over TLS, HTTP/2 and HTTP/1.1")
            tls = tls_bursts(build)
        finally:
            nginx.stop()
        size = sizes(build, tmp)
    text = report(machine(), (load0, load1), summary, decode, allocs, conns, size, instr,
                  instr_observer)
    text += "\n" + async_report(async_summary, latency, memory, allocs_async, instr_async,
                                 node_extras)
    text += "\n" + outbox_report(outbox)
    text += "\n" + tls_report(tls)
    print()
    print(text)
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            f.write(text)
        say(f"bench: results written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
