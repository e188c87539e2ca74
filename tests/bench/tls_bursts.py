#!/usr/bin/env python3
"""Bursts of non-blocking calls over TLS, for make bench: run through

    COORD_NGINX_TLS=h2|http1.1 tests/threads/with_nginx.sh python3 tests/bench/tls_bursts.py BUILD

For each burst size (200 and 1,000 ends started at once on a new loop with
its default limits: burst_coord), ROUNDS rounds: the TLS connections nginx
saw ($connection in its access log), calls/s and CPU seconds of the client;
medians. Prints one JSON line."""

import json
import os
import statistics
import subprocess
import sys
import time

BURSTS = (200, 1000)
ROUNDS = int(os.environ.get("BENCH_TLS_ROUNDS", "5"))


def connections(log, n):
    """Distinct connections once nginx logged the burst's n requests."""
    for _ in range(100):
        with open(log) as f:
            lines = f.read().splitlines()
        if len(lines) >= n:
            break
        time.sleep(0.05)
    if len(lines) != n:
        raise SystemExit(f"tls_bursts: {len(lines)} requests logged, expected {n}")
    return len({line.split()[0] for line in lines}), {line.split()[1] for line in lines}


def main():
    build = sys.argv[1]
    env = os.environ
    log = env["COORD_NGINX_ACCESS_LOG"]
    out = {"tls": env["COORD_NGINX_TLS"]}
    for n in BURSTS:
        rows = []
        for _ in range(ROUNDS):
            open(log, "w").close()      # nginx appends (O_APPEND): truncation is safe
            text = subprocess.run([os.path.join(build, "bench", "burst_coord"),
                                   env["COORD_NGINX_URL"], env["COORD_NGINX_KEY"],
                                   env["COORD_NGINX_CA"], str(n)],
                                  capture_output=True, text=True, timeout=120)
            if text.returncode != 0:
                raise SystemExit(f"tls_bursts: burst_coord failed: {text.stderr}")
            result = dict(f.split("=") for f in text.stdout.split("RESULT ", 1)[1].split())
            conns, protocols = connections(log, n)
            rows.append((conns, n / float(result["wall_s"]), float(result["cpu_s"])))
        out[str(n)] = {"connections": statistics.median(r[0] for r in rows),
                       "connections_max": max(r[0] for r in rows),
                       "calls_s": statistics.median(r[1] for r in rows),
                       "cpu_s": statistics.median(r[2] for r in rows),
                       "protocols": sorted(protocols)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
