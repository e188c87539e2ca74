#!/usr/bin/env python3
"""The event-loop adapter examples (examples/adapters: poll, libuv, libevent)
against the simulator: each ends sessions concurrently through its event
library, retries on its timers, and prints one JSON line per session.

    test_adapters.py [WRAPPER...] -- ADAPTER...   (under tests/sim/with_sim.sh)
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

SIM = os.environ["COORD_SIM_URL"]
KEY = os.environ["COORD_SIM_KEY"]
BASE = SIM + "/v1/access/parking"
LOT = "ADAPTER-LOT"
USER = "00000000-0000-0000-0000-000000000000"  # of seeded sessions


def sim(path, body):
    req = urllib.request.Request(SIM + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def secrets(token):
    """The adapters read the base URL, key and token from the environment."""
    return dict(os.environ, COORD_BASE_URL=BASE, COORD_ACCESS_KEY=KEY, COORD_TOKEN=token)


def run(wrapper, adapter, ids, token):
    started = time.monotonic()
    proc = subprocess.run(wrapper + [adapter, LOT] + [str(i) for i in ids], env=secrets(token),
                          capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{adapter}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    got = sorted(line["id"] for line in lines)
    if got != sorted(ids):
        raise SystemExit(f"{adapter}: answers for {got}, wanted {sorted(ids)}")
    for line in lines:
        if line != {"id": line["id"], "status": "COORD_OK", "bill": "3.00 USD"}:
            raise SystemExit(f"{adapter}: {line}")
    return took


def check(wrapper, adapter):
    sim("/_sim/reset", {})
    sim("/_sim/locations", {"location_id": LOT, "hourly_rate": 200})
    token = sim("/_sim/tokens", {"user_id": USER})["jwt_token"]
    seed = lambda: sim("/_sim/sessions", {"location_id": LOT, "start_minutes_ago": 90})["id"]
    # 20 ends, each answered after 1 s: together about 1 s, one by one 20 s
    # (the bound leaves room for valgrind and a loaded machine)
    ids = [seed() for _ in range(20)]
    sim("/_sim/fault", {"mode": "delay", "seconds": 1.0, "count": 20})
    took = run(wrapper, adapter, ids, token)
    if took > 10.0:
        raise SystemExit(f"{adapter}: 20 delayed ends took {took:.1f} s: not concurrent")
    # a Retry-After of 1 s: the retry waits on the adapter's timer
    ids = [seed() for _ in range(3)]
    sim("/_sim/fault", {"mode": "throttle", "status": 503, "retry_after": 1})
    took = run(wrapper, adapter, ids, token)
    if took < 0.95:
        raise SystemExit(f"{adapter}: the Retry-After of 1 s was not waited ({took:.2f} s)")
    check_refusals(wrapper, adapter, token)
    print(f"ok {os.path.basename(adapter)}: 20 concurrent ends, a retry on its timer, "
          "bad ids refused, a failure reported")


def check_refusals(wrapper, adapter, token):
    def attempt(*ids):
        return subprocess.run(wrapper + [adapter, LOT, *ids], env=secrets(token),
                              capture_output=True, text=True, timeout=120)
    # a session id that is not a whole number: a usage error, nothing sent
    for bad in ("12x", "abc", ""):
        proc = attempt("1", bad)
        if (proc.returncode, proc.stdout) != (2, ""):
            raise SystemExit(f"{adapter}: id {bad!r}: exit {proc.returncode}\n{proc.stdout}")
    # secrets only from the environment
    proc = subprocess.run(wrapper + [adapter, LOT, "1"], capture_output=True, text=True,
                          timeout=120, env={"PATH": os.environ.get("PATH", "")})
    if proc.returncode != 2 or "COORD_TOKEN=" not in proc.stderr:
        raise SystemExit(f"{adapter}: without its environment: exit {proc.returncode}")
    # a failure: its line stays JSON when the server's message has quotes
    # (the message goes to stderr), and names the id whole (beyond 32 bits:
    # no pointer holds it on armhf)
    message = 'no "such" session'
    sim("/_sim/fault", {"mode": "status", "status": 404,
                        "body": json.dumps({"code": 404, "message": message})})
    proc = attempt(str(2**32 + 1))
    if proc.returncode != 1 or message not in proc.stderr:
        raise SystemExit(f"{adapter}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    line = json.loads(proc.stdout)
    if line != {"id": 2**32 + 1, "status": "COORD_ERR_NOT_FOUND"}:
        raise SystemExit(f"{adapter}: {line}")


def main():
    split = sys.argv.index("--")
    wrapper, adapters = sys.argv[1:split], sys.argv[split + 1:]
    for adapter in adapters:
        check(wrapper, adapter)


if __name__ == "__main__":
    main()
