#!/usr/bin/env python3
"""The `coord` CLI against the simulator: JSON on stdout, one error line on
stderr, one exit code per error class, never the key or the token.

Run by `make check` (check-cli) under tests/sim/with_sim.sh, which exports
COORD_SIM_URL and COORD_SIM_KEY. COORD_CLI is the binary; COORD_CLI_WRAPPER
(e.g. valgrind) is put in front of it when set. Standard library only."""
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

SIM = os.environ.get("COORD_SIM_URL", "")
KEY = os.environ.get("COORD_SIM_KEY", "")
CLI = os.environ.get("COORD_CLI", "build/examples/coord")
WRAPPER = shlex.split(os.environ.get("COORD_CLI_WRAPPER", ""))
BASE = SIM + "/v1/access/parking"
ERROR_LINE = re.compile(r"^coord: (COORD_[A-Z_]+) \(HTTP (\d+)\): (.+)\n$")
SESSION_FIELDS = {"id", "location_id", "user_id", "resource_id", "start_time", "start_time_ms",
                  "end_time", "end_time_ms", "active", "billing_info", "redemption_info"}
EXIT = {"usage": 2, "INVALID_ARGUMENT": 3, "UNAUTHORIZED": 4, "NOT_FOUND": 5, "REFUSED": 6,
        "PHYSICAL_CHECKOUT": 7, "ALREADY_ENDED": 8, "SESSION_ACTIVE": 9, "TIMEOUT": 10,
        "TRANSPORT": 11, "RATE_LIMITED": 12, "SERVER": 13, "BAD_RESPONSE": 14}


def sim(path, body):
    req = urllib.request.Request(SIM + path, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.load(answer)


class Result:
    def __init__(self, proc):
        self.code, self.out, self.err = proc.returncode, proc.stdout, proc.stderr

    def json(self):
        return json.loads(self.out)


class CliTest(unittest.TestCase):
    def setUp(self):
        sim("/_sim/reset", {})
        sim("/_sim/locations", {"location_id": "LOT-1", "hourly_rate": 350})
        sim("/_sim/locations", {"location_id": "GATE-1", "hourly_rate": 350,
                                "gate_controlled": True})
        self.env = {"PATH": os.environ.get("PATH", ""), "COORD_BASE_URL": BASE,
                    "COORD_ACCESS_KEY": KEY}
        self.token = self.ok("test", "token", "--email", "kiosk@example.com")["jwt_token"]
        self.env["COORD_TOKEN"] = self.token

    def coord(self, *argv, env=None):
        proc = subprocess.run(WRAPPER + [CLI, *argv], capture_output=True, text=True,
                              env=self.env if env is None else env, timeout=60)
        result = Result(proc)
        for secret in (KEY, getattr(self, "token", None)):
            if secret:
                self.assertNotIn(secret, result.err)
        return result

    def ok(self, *argv, env=None):
        r = self.coord(*argv, env=env)
        self.assertEqual((r.code, r.err), (0, ""), argv)
        return r.json()

    def fails(self, status, http, *argv, env=None):
        """Exit code of status's class, one error line naming it, nothing on stdout."""
        r = self.coord(*argv, env=env)
        self.assertEqual(r.code, EXIT[status], (argv, r.err))
        m = ERROR_LINE.match(r.err)
        self.assertIsNotNone(m, r.err)
        self.assertEqual((m.group(1), int(m.group(2))), ("COORD_ERR_" + status, http))
        return r, m.group(3)

    def usage(self, *argv, env=None):
        r = self.coord(*argv, env=env)
        self.assertEqual((r.code, r.out), (2, ""), argv)
        self.assertRegex(r.err, r"^coord: .+ \(coord --help\)\n$")
        return r.err

    # ---- help, usage ----

    def test_help_documents_every_exit_code(self):
        r = self.coord("--help")
        self.assertEqual(r.code, 0)
        for status, code in EXIT.items():
            if status != "usage":
                self.assertRegex(r.out, rf"\b{code}\s+COORD_ERR_{status}\b")
        for command in ("session create", "session get", "session end", "session wait",
                        "sessions list", "barcode", "test redeem", "test token"):
            self.assertIn(command, r.out)
        self.assertRegex(self.coord("--version").out, r"^coord \d+\.\d+\.\d+ \(libcoord ")

    def test_usage_errors(self):
        self.usage()
        self.usage("nope")
        self.usage("session")
        self.usage("session", "fly")
        self.assertIn("--id is required", self.usage("session", "get", "--location", "L"))
        self.assertIn("--duration does not apply",
                      self.usage("session", "get", "--location", "L", "--id", "1",
                                 "--duration", "5"))
        self.assertIn("--id needs a whole number", self.usage("session", "get", "--location",
                                                              "L", "--id", "1x"))
        self.usage("session", "get", "--location", "L", "--id", "9223372036854775808")
        self.usage("session", "wait", "--location", "L", "--id", "1", "--until", "soon")
        self.usage("sessions", "list")
        self.usage("sessions", "list", "--mine", "--location", "L")
        self.usage("test", "redeem", "--location", "L", "--id", "1", "--duration", "-1")
        # an unknown option is named without its value
        err = self.usage("--kye=sandbox-typed-secret", "barcode")
        self.assertIn("--kye", err)
        self.assertNotIn("typed-secret", err)
        env = dict(self.env)
        del env["COORD_ACCESS_KEY"]
        self.assertIn("no access key", self.usage("barcode", env=env))

    # ---- the calls ----

    def test_create_get_list_end_and_bill(self):
        created = self.ok("session", "create", "--location", "LOT-1", "--resource", "stall-3")
        self.assertEqual(set(created), SESSION_FIELDS)
        self.assertEqual((created["location_id"], created["resource_id"], created["active"]),
                         ("LOT-1", "stall-3", True))
        self.assertIsInstance(created["start_time_ms"], int)
        self.assertIsNone(created["end_time"])
        self.assertIsNone(created["billing_info"])
        self.assertIsNone(created["redemption_info"])
        sid = str(created["id"])
        self.assertEqual(self.ok("session", "get", "--location", "LOT-1", "--id", sid), created)
        mine = self.ok("sessions", "list", "--mine")
        self.assertEqual((mine["count"], mine["sessions"]), (1, [created]))
        self.assertEqual(self.ok("sessions", "list", "--location", "LOT-1", "--active"), created)
        ended = self.ok("session", "end", "--location", "LOT-1", "--id", sid)
        self.assertEqual((ended["active"], ended["billing_info"]),
                         (False, {"cost": {"amount": 0, "currency": "USD"}}))
        self.assertIsInstance(ended["end_time_ms"], int)
        # --pretty is the same JSON, indented
        pretty = self.coord("--pretty", "session", "get", "--location", "LOT-1", "--id", sid)
        self.assertEqual(json.loads(pretty.out), ended)
        self.assertGreater(pretty.out.count("\n"), 5)
        _, message = self.fails("NOT_FOUND", 0, "sessions", "list", "--location", "LOT-1",
                                "--active")
        self.assertEqual(message, "no active session")

    def test_gate_flow_wait_redeem_and_bill(self):
        created = self.ok("session", "create", "--location", "GATE-1")
        self.assertIsNone(created["start_time"])
        self.assertEqual(created["redemption_info"]["barcode"]["format"], "aztec")
        sid = str(created["id"])
        # the deadline passes: the last session seen on stdout, exit TIMEOUT
        r, message = self.fails_with_output("TIMEOUT", "session", "wait", "--location",
                                            "GATE-1", "--id", sid, "--deadline-ms", "300",
                                            "--interval-ms", "50")
        self.assertIn("not started after 300 ms", message)
        self.assertEqual(r.json(), created)
        # the gate is passed while the CLI waits
        def gate():
            time.sleep(0.3)
            self.gate = self.coord("test", "redeem", "--location", "GATE-1", "--id", sid,
                                   "--duration", "95")
        thread = threading.Thread(target=gate)
        thread.start()
        waited = self.ok("session", "wait", "--location", "GATE-1", "--id", sid, "--until",
                         "ended", "--deadline-ms", "20000", "--interval-ms", "50")
        thread.join()
        self.assertEqual(self.gate.code, 0, self.gate.err)
        self.assertEqual(waited, self.gate.json())
        self.assertEqual(waited["billing_info"], {"cost": {"amount": 555, "currency": "USD"}})
        self.assertEqual(waited["end_time_ms"] - waited["start_time_ms"], 95 * 60 * 1000)
        self.fails("PHYSICAL_CHECKOUT", 400, "session", "end", "--location", "GATE-1", "--id", sid)
        self.fails("ALREADY_ENDED", 409, "test", "redeem", "--location", "GATE-1", "--id", sid,
                   "--duration", "1")

    def fails_with_output(self, status, *argv):
        r = self.coord(*argv)
        self.assertEqual(r.code, EXIT[status], r.err)
        m = ERROR_LINE.match(r.err)
        self.assertEqual(m.group(1), "COORD_ERR_" + status)
        return r, m.group(3)

    def test_barcode_and_token(self):
        barcode = self.ok("barcode")
        self.assertEqual(set(barcode), {"data", "format"})
        self.assertEqual(barcode["format"], "aztec")
        self.assertEqual(self.ok("barcode", "create"), barcode)
        other = self.ok("test", "token", "--email", "other@example.com", "--external-uid", "7")
        self.assertEqual(set(other), {"jwt_token"})
        env = dict(self.env, COORD_TOKEN=other["jwt_token"])
        self.assertNotEqual(self.ok("barcode", env=env), barcode)
        # the flag wins over the environment
        self.assertEqual(self.ok("--token", self.token, "barcode", env=env), barcode)

    def test_each_error_class(self):
        sid = str(self.ok("session", "create", "--location", "LOT-1")["id"])
        self.fails("SESSION_ACTIVE", 409, "session", "create", "--location", "LOT-1")
        self.fails("NOT_FOUND", 404, "session", "get", "--location", "LOT-1", "--id", "99")
        self.fails("NOT_FOUND", 404, "session", "create", "--location", "NOWHERE")
        self.fails("REFUSED", 400, "test", "redeem", "--location", "LOT-1", "--id", sid,
                   "--duration", "5")
        self.fails("REFUSED", 400, "test", "token", "--email", "a b@example.com")
        self.fails("INVALID_ARGUMENT", 0, "session", "get", "--location", "", "--id", "1")
        # no token, a bad token, a bad key: never echoed
        env = dict(self.env)
        del env["COORD_TOKEN"]
        _, message = self.fails("UNAUTHORIZED", 401, "barcode", env=env)
        self.assertIn("bearer token", message)
        self.fails("UNAUTHORIZED", 401, "--token", "not.a.jwt", "barcode")
        self.fails("UNAUTHORIZED", 403, "--key", "sandbox-wrong", "barcode")
        # faults: malformed answer, server errors and throttling after retries,
        # a silent server, a closed port
        sim("/_sim/fault", {"mode": "status", "status": 200, "body": "{\"data\": 1}"})
        self.fails("BAD_RESPONSE", 200, "barcode")
        sim("/_sim/fault", {"mode": "status", "status": 503, "count": 10})
        self.fails("SERVER", 503, "sessions", "list", "--mine")
        sim("/_sim/fault", {"mode": "status", "status": 429, "count": 10})
        self.fails("RATE_LIMITED", 429, "sessions", "list", "--mine")
        sim("/_sim/fault", {"mode": "hang", "seconds": 5, "count": 10})
        started = time.monotonic()
        self.fails("TIMEOUT", 0, "--timeout-ms", "300", "session", "get", "--location", "LOT-1",
                   "--id", sid)
        self.assertLess(time.monotonic() - started, 30)
        sim("/_sim/reset", {})
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, never listening: refused
        self.fails("TRANSPORT", 0, "--base-url", f"http://127.0.0.1:{port}/v1/access/parking",
                   "barcode")

    def test_a_server_echoing_the_secrets_is_redacted(self):
        message = f"bad key {KEY} and token {self.token}"
        sim("/_sim/fault", {"mode": "status", "status": 400,
                            "body": json.dumps({"code": 400, "message": message})})
        _, shown = self.fails("REFUSED", 400, "barcode")   # coord() asserts neither appears
        self.assertTrue(shown.startswith("bad key [redacted] and token [redacted]"), shown)


if __name__ == "__main__":
    if not SIM:
        sys.exit("run through tests/sim/with_sim.sh (make check-cli)")
    unittest.main()
