#!/usr/bin/env python3
"""The `coord` CLI against the simulator: JSON on stdout, one error line on
stderr, one exit code per error class, never the key or the token.

Run by `make check` (check-cli) under tests/sim/with_sim.sh, which exports
COORD_SIM_URL and COORD_SIM_KEY. COORD_CLI is the binary; COORD_CLI_WRAPPER
(e.g. valgrind) is put in front of it when set. Standard library only."""
import json
import os
import pty
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

SIM = os.environ.get("COORD_SIM_URL", "")
KEY = os.environ.get("COORD_SIM_KEY", "")
CLI = os.environ.get("COORD_CLI", "build/examples/coord")
MAN_PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "coord.1")
WRAPPER = shlex.split(os.environ.get("COORD_CLI_WRAPPER", ""))
MINIMAL = os.environ.get("MINIMAL") == "1"   # the firmware build: no log text at all
BASE = SIM + "/v1/access/parking"
# "(HTTP n)" only when an answer came: never "(HTTP 0)"
ERROR_LINE = re.compile(r"^coord: (COORD_[A-Z_]+)(?: \(HTTP ([1-9]\d*)\))?: (.+)\n$")
# the CLI's own verdict when every call succeeded: the message alone
VERDICT_LINE = re.compile(r"^coord: ([^()]+)\n$")
SESSION_FIELDS = {"id", "location_id", "user_id", "resource_id", "start_time", "start_time_ms",
                  "end_time", "end_time_ms", "active", "billing_info", "redemption_info"}
EXIT = {"usage": 2, "INVALID_ARGUMENT": 3, "UNAUTHORIZED": 4, "NOT_FOUND": 5, "REFUSED": 6,
        "PHYSICAL_CHECKOUT": 7, "ALREADY_ENDED": 8, "SESSION_ACTIVE": 9, "TIMEOUT": 10,
        "TRANSPORT": 11, "RATE_LIMITED": 12, "SERVER": 13, "BAD_RESPONSE": 14, "STORAGE": 15}


def read_all(fd):
    """What a pty's other end wrote, until it was closed."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:       # EIO: every writer is gone
            break
        if not chunk:
            break
        data += chunk
    return data.decode()


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

    def coord(self, *argv, env=None, **streams):
        """Run the CLI; streams (e.g. stdout=, stderr=) replace the captured pipes."""
        if not streams:
            streams = {"capture_output": True}
        proc = subprocess.run(WRAPPER + [CLI, *argv], text=True, timeout=60,
                              env=self.env if env is None else env, **streams)
        result = Result(proc)
        for secret in (KEY, getattr(self, "token", None)):
            if secret and result.err:
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
        # the HTTP status once: "(HTTP n)", or in libcoord's detail ("HTTP 503 (...) ...")
        said = re.match(r"HTTP (\d+)", m.group(3))
        seen = int(m.group(2) or (said.group(1) if said else 0))
        self.assertEqual((m.group(1), seen), ("COORD_ERR_" + status, http))
        self.assertFalse(m.group(2) and said, r.err)
        return r, m.group(3)

    def verdict(self, status, *argv):
        """Exit code of status's class and the CLI's own one-line message."""
        r = self.coord(*argv)
        self.assertEqual(r.code, EXIT[status], (argv, r.err))
        m = VERDICT_LINE.match(r.err)
        self.assertIsNotNone(m, r.err)
        return r, m.group(1)

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
                        "sessions list", "sessions end", "barcode", "test redeem", "test token",
                        "outbox end", "outbox list", "outbox drain", "outbox ack"):
            self.assertIn(command, r.out)
        self.assertRegex(self.coord("--version").out, r"^coord \d+\.\d+\.\d+ \(libcoord ")

    def test_the_man_page_documents_every_command_option_and_exit_code(self):
        with open(MAN_PAGE, encoding="utf-8") as f:
            page = f.read()
        text = page.replace("\\-", "-").replace("\\fI", "").replace("\\fP", "")
        help_text = self.coord("--help").out
        options = set(re.findall(r"--[a-z][a-z-]+", help_text))
        self.assertGreater(len(options), 15)
        for option in options:
            self.assertIn(option, text)
        for command in ("session create", "session get", "session end", "session wait",
                        "sessions list", "sessions end", "barcode", "test redeem", "test token",
                        "outbox end", "outbox list", "outbox drain", "outbox ack"):
            self.assertIn(f".B {command}", text)
        exits = re.findall(r"^\.B (\d+)\n(.+)$", text.split(".SH EXIT STATUS")[1], re.M)
        self.assertEqual([int(code) for code, _ in exits], list(range(16)))
        for status, code in EXIT.items():
            if status != "usage":
                self.assertIn("COORD_ERR_" + status, dict(exits)[str(code)])
        for variable in ("COORD_BASE_URL", "COORD_ACCESS_KEY", "COORD_TOKEN", "COORD_PROXY"):
            self.assertIn(f".B {variable}\n", text)
        version = re.search(r"^coord (\S+) ", self.coord("--version").out).group(1)
        self.assertRegex(page, rf'(?m)^\.TH COORD 1 "[-0-9]+" "libcoord {re.escape(version)}"')
        if shutil.which("groff"):   # roff without a warning
            lint = subprocess.run(["groff", "-man", "-ww", "-z", MAN_PAGE],
                                  capture_output=True, text=True)
            self.assertEqual((lint.returncode, lint.stderr), (0, ""))

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

    def test_the_outbox_records_offline_drains_and_acknowledges(self):
        self.env["COORD_TOKEN"] = sim("/_sim/tokens", {"user_id": "u-outbox"})["jwt_token"]
        sid = sim("/_sim/sessions", {"location_id": "LOT-1", "user_id": "u-outbox",
                                     "start_minutes_ago": 60})["id"]
        workdir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, workdir)
        path = os.path.join(workdir, "kiosk.outbox")
        offline = {"PATH": self.env["PATH"]}     # no base URL, no key: no server needed
        self.assertEqual(self.ok("outbox", "end", "--outbox", path, "--location", "LOT-1",
                                 "--id", str(sid), env=offline),
                         {"intent_id": 1, "location_id": "LOT-1", "session_id": sid})
        listed = self.ok("outbox", "list", "--outbox", path, env=offline)
        self.assertEqual((listed["count"], listed["intents"][0]["state"]), (1, "PENDING"))
        # another process holds the file: BUSY, exit 15
        held = sqlite3.connect(path)
        held.execute("PRAGMA locking_mode=EXCLUSIVE")
        held.execute("BEGIN EXCLUSIVE")
        r, message = self.fails("STORAGE", 0, "outbox", "list", "--outbox", path, env=offline)
        self.assertIn("BUSY", message)
        held.rollback()
        held.close()
        drained = self.ok("outbox", "drain", "--outbox", path)
        self.assertEqual((drained["sent"], drained["ended"], drained["pending"]), (1, 1, 0))
        intent = self.ok("outbox", "list", "--outbox", path, env=offline)["intents"][0]
        self.assertEqual((intent["state"], intent["status"], intent["attempts"]),
                         ("ENDED", "COORD_OK", 1))
        self.assertEqual(intent["session"]["billing_info"]["cost"],
                         {"amount": 350, "currency": "USD", "text": "3.50 USD"})
        self.assertEqual(intent["drift_ms"], intent["session"]["end_time_ms"] -
                         intent["requested_at_ms"])
        self.assertEqual(self.ok("outbox", "ack", "--outbox", path, "--id", "1", env=offline),
                         {"acknowledged": 1})
        self.assertEqual(self.ok("outbox", "list", "--outbox", path, env=offline),
                         {"count": 0, "intents": []})
        self.fails("NOT_FOUND", 0, "outbox", "ack", "--outbox", path, "--id", "1", env=offline)
        _, message = self.fails("STORAGE", 0, "outbox", "list", "--outbox",
                                os.path.join(workdir, "none", "x"), env=offline)
        self.assertIn("NO_DIRECTORY", message)
        self.usage("outbox", "end", "--outbox", path, "--location", "LOT-1")
        self.usage("outbox", "drain", "--outbox", path, "--location", "LOT-1")

    def test_no_base_url_names_the_option_the_variable_and_the_simulator(self):
        # no default: the production service is offline, its URL would only
        # give "Could not resolve host"
        env = dict(self.env)
        del env["COORD_BASE_URL"]
        err = self.usage("barcode", env=env)
        for words in ("no base URL", "--base-url", "COORD_BASE_URL", "offline", "coord-sim"):
            self.assertIn(words, err)
        self.assertIn("no base URL", self.usage("barcode", env=dict(env, COORD_BASE_URL="")))
        self.assertRegex(self.coord("--help").out, r"--base-url URL .*required")

    def test_a_base_url_without_the_api_path_gets_a_hint(self):
        for base in (SIM, SIM + "/v1/access", SIM + "/v1/parking"):
            _, message = self.fails("NOT_FOUND", 404, "--base-url", base, "sessions", "list",
                                    "--mine")
            self.assertEqual(message, "no such route (the base URL must end in "
                                      "/v1/access/parking)", base)
        # a 404 of the API itself carries no hint; it names what was not
        # found: the API's "session not found" is also its unknown location's
        _, message = self.fails("NOT_FOUND", 404, "session", "get", "--location", "LOT-1",
                                "--id", "99")
        self.assertEqual(message, "no session 99 at location LOT-1, or no location LOT-1")
        _, message = self.fails("NOT_FOUND", 404, "sessions", "list", "--location", "NOWHERE")
        self.assertEqual(message, "no location NOWHERE")

    def test_a_bad_base_url_is_named_by_its_part(self):
        for base, why in (("htp://127.0.0.1:8080/v1/access/parking",
                           'base URL: scheme "htp" is not http or https'),
                          ("http:///v1/access/parking", 'base URL: no host after "://"'),
                          ("127.0.0.1:8080/v1/access/parking", "base URL: no scheme: it starts "
                           "with http:// or https://, then the host"),
                          ("http://u:s3cret@h/v1/access/parking",
                           "base URL: has a user name or password (user:pass@): not allowed")):
            r, message = self.fails("INVALID_ARGUMENT", 0, "--base-url", base, "barcode")
            self.assertEqual(message, why)
            self.assertNotIn("s3cret", r.err)
        env = dict(self.env, COORD_ACCESS_KEY="bad\tkey")
        _, message = self.fails("INVALID_ARGUMENT", 0, "barcode", env=env)
        self.assertIn("access key", message)

    def test_a_failed_write_of_the_output_fails(self):
        created = self.ok("session", "create", "--location", "LOT-1")
        argvs = (["session", "get", "--location", "LOT-1", "--id", str(created["id"])],
                 ["--pretty", "sessions", "list", "--mine"], ["barcode"], ["--help"],
                 ["--version"])
        for argv in argvs:
            with open("/dev/full", "w") as full:
                r = self.coord(*argv, stdout=full, stderr=subprocess.PIPE)
            self.assertEqual(r.code, 1, argv)
            self.assertEqual(r.err, "coord: the output could not be written: "
                                    "No space left on device\n", argv)
        # a failed call keeps its own exit code, and says both
        with open("/dev/full", "w") as full:
            r = self.coord("sessions", "list", "--location", "NOWHERE", stdout=full,
                           stderr=subprocess.PIPE)
        self.assertEqual(r.code, EXIT["NOT_FOUND"])
        self.assertTrue(r.err.startswith("coord: COORD_ERR_NOT_FOUND (HTTP 404)"), r.err)

    def test_verbose_logs_each_request_and_answer_without_secrets(self):
        r = self.coord("--verbose", "sessions", "list", "--mine")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["count"], 0)
        if MINIMAL:   # COORD_MINIMAL compiles the messages out: --verbose adds nothing
            self.assertEqual(r.err, "")
            sim("/_sim/fault", {"mode": "status", "status": 503, "count": 10})
            r = self.coord("--verbose", "sessions", "list", "--mine")
            self.assertTrue(ERROR_LINE.match(r.err), r.err)
            return
        request, answer = r.err.splitlines()
        self.assertRegex(request, r"^coord: debug: .*GET /v1/access/parking/session\b")
        self.assertRegex(answer, r"^coord: info: .*GET /v1/access/parking/session\b.*200")
        # retries and the final failure, the key in the query never shown
        sim("/_sim/fault", {"mode": "status", "status": 503, "count": 10})
        r = self.coord("--verbose", "sessions", "list", "--mine")
        self.assertEqual(r.code, EXIT["SERVER"])
        levels = [line.split(":")[1].strip() for line in r.err.splitlines()]
        self.assertEqual(levels[0], "debug")
        self.assertEqual(levels[-2:], ["error", "COORD_ERR_SERVER (HTTP 503)"])
        self.assertIn("warn", levels)   # a retry
        self.assertNotIn("access_key", r.err)
        # a server that echoes the secrets: redacted in the log as in the error
        sim("/_sim/fault", {"mode": "status", "status": 400, "body": json.dumps(
            {"code": 400, "message": f"key {KEY} token {self.token}"})})
        r = self.coord("--verbose", "barcode")      # coord() asserts neither appears
        self.assertIn("[redacted]", r.err)

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
                         (False, {"cost": {"amount": 0, "currency": "USD", "text": "0.00 USD"}}))
        self.assertIsInstance(ended["end_time_ms"], int)
        # --pretty is the same JSON, indented
        pretty = self.coord("--pretty", "session", "get", "--location", "LOT-1", "--id", sid)
        self.assertEqual(json.loads(pretty.out), ended)
        self.assertGreater(pretty.out.count("\n"), 5)
        _, message = self.verdict("NOT_FOUND", "sessions", "list", "--location", "LOT-1",
                                  "--active")
        self.assertEqual(message, "no active session at LOT-1")
        _, message = self.verdict("NOT_FOUND", "sessions", "list", "--mine", "--active")
        self.assertEqual(message, "no active session")

    def test_gate_flow_wait_redeem_and_bill(self):
        created = self.ok("session", "create", "--location", "GATE-1")
        self.assertIsNone(created["start_time"])
        self.assertEqual(created["redemption_info"]["barcode"]["format"], "aztec")
        sid = str(created["id"])
        # the deadline passes: the last session seen on stdout, exit TIMEOUT
        r, message = self.verdict("TIMEOUT", "session", "wait", "--location", "GATE-1",
                                  "--id", sid, "--deadline-ms", "300", "--interval-ms", "50")
        self.assertEqual(message, f"session {sid} at GATE-1 not started after 300 ms")
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
        self.assertEqual(waited["billing_info"],
                         {"cost": {"amount": 555, "currency": "USD", "text": "5.55 USD"}})
        self.assertEqual(waited["end_time_ms"] - waited["start_time_ms"], 95 * 60 * 1000)
        self.fails("PHYSICAL_CHECKOUT", 400, "session", "end", "--location", "GATE-1", "--id", sid)
        self.fails("ALREADY_ENDED", 409, "test", "redeem", "--location", "GATE-1", "--id", sid,
                   "--duration", "1")

    def test_wait_on_a_terminal_shows_the_time_waited_and_the_last_state(self):
        sid = str(self.ok("session", "create", "--location", "GATE-1")["id"])
        threading.Timer(1.5, lambda: self.coord("test", "redeem", "--location", "GATE-1",
                                                "--id", sid, "--duration", "5")).start()
        master, slave = pty.openpty()
        try:
            r = self.coord("session", "wait", "--location", "GATE-1", "--id", sid, "--until",
                           "ended", "--interval-ms", "100", "--deadline-ms", "20000",
                           stdout=subprocess.PIPE, stderr=slave)
            os.close(slave)
            shown = read_all(master)
        finally:
            os.close(master)
        self.assertEqual(r.code, 0)
        self.assertTrue(r.json()["end_time"])
        updates = shown.replace("\r\n", "\n").split("\r")
        self.assertEqual(updates[0], "")
        self.assertTrue(updates[-1].endswith("\n"), updates[-1])
        self.assertGreaterEqual(len(updates), 3, shown)   # about one a second
        state = re.compile(rf"^coord: waited (\d+) s for session {sid} to be ended; "
                           r"last seen: (not started|ended) *\n?$")
        seen = [state.match(u) for u in updates[1:]]
        self.assertTrue(all(seen), updates)
        waited = [int(m.group(1)) for m in seen]
        self.assertEqual(waited, sorted(waited))
        self.assertGreaterEqual(waited[0], 1)
        self.assertEqual(seen[0].group(2), "not started")
        self.assertEqual(seen[-1].group(2), "ended")
        # not a terminal (as every other test here): no progress at all
        r = self.coord("session", "wait", "--location", "GATE-1", "--id", sid)
        self.assertEqual((r.code, r.err), (0, ""))

    def wait_ends_at_a_polls_own_timeout(self, timeout_ms):
        """A silent server: the wait ends at the poll's TIMEOUT, long before its deadline."""
        sid = str(self.ok("session", "create", "--location", "GATE-1")["id"])
        sim("/_sim/fault", {"mode": "hang", "seconds": 5, "count": 30})
        started = time.monotonic()
        r, message = self.fails("TIMEOUT", 0, "--timeout-ms", timeout_ms, "session", "wait",
                                "--location", "GATE-1", "--id", sid, "--deadline-ms", "20000")
        self.assertLess(time.monotonic() - started, 10)
        self.assertNotIn("not started after", message)
        self.assertEqual(r.out, "")

    def test_wait_ends_at_a_polls_own_timeout_before_its_deadline(self):
        self.wait_ends_at_a_polls_own_timeout("300")

    def test_wait_ends_at_a_polls_own_timeout_longer_than_a_step(self):
        # off a terminal the wait is not cut into one-second steps: a poll
        # allowed 1.5 s is not cut at a step's end and resent until the deadline
        self.wait_ends_at_a_polls_own_timeout("1500")

    def test_timing_prints_each_calls_record_on_stderr(self):
        sid = sim("/_sim/sessions", {"location_id": "LOT-1", "user_id": "u-t",
                                     "start_minutes_ago": 60})["id"]
        self.env["COORD_TOKEN"] = sim("/_sim/tokens", {"user_id": "u-t"})["jwt_token"]
        sim("/_sim/fault", {"mode": "status", "status": 503, "count": 1})
        r = self.coord("--timing", "session", "end", "--location", "LOT-1", "--id", str(sid))
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["id"], sid)
        (record,) = [json.loads(line) for line in r.err.splitlines()]
        self.assertEqual({k: record[k] for k in ("operation", "location_id", "session_id",
                                                 "call_id", "status", "http_status", "attempts",
                                                 "retries", "retry_reasons", "recovered",
                                                 "queued_us", "http_version")},
                         {"operation": "end", "location_id": "LOT-1", "session_id": sid,
                          "call_id": 0, "status": "COORD_OK", "http_status": 200, "attempts": 2,
                          "retries": 1, "recovered": False, "queued_us": 0, "http_version": 1.1,
                          "retry_reasons": [{"status": "COORD_ERR_SERVER", "http_status": 503}]})
        self.assertTrue(0 <= record["dns_us"] <= record["ttfb_us"] <= record["total_us"]
                        <= record["elapsed_us"])
        self.assertEqual(record["tls_us"], 0)
        self.assertRegex(record["request_id"], r"^sim-[0-9]{8}$")
        self.assertNotIn(KEY, r.err)
        # a failure: the record, then the error line
        r = self.coord("--timing", "session", "end", "--location", "LOT-1", "--id", str(sid))
        self.assertEqual(r.code, EXIT["ALREADY_ENDED"])
        record, error = r.err.splitlines()
        self.assertEqual((json.loads(record)["status"], json.loads(record)["http_status"]),
                         ("COORD_ERR_ALREADY_ENDED", 409))
        self.assertTrue(ERROR_LINE.match(error + "\n"), error)

    def test_timing_summarises_sessions_end(self):
        self.env["COORD_TOKEN"] = sim("/_sim/tokens", {"user_id": "u-s"})["jwt_token"]
        for _ in range(5):
            sim("/_sim/sessions", {"location_id": "LOT-1", "user_id": "u-s",
                                   "start_minutes_ago": 60})
        sim("/_sim/fault", {"mode": "status", "status": 503, "count": 2})
        r = self.coord("--timing", "sessions", "end", "--location", "LOT-1", "--all-active",
                       "--concurrency", "2")
        self.assertEqual(r.code, 0, r.err)
        summary = json.loads(r.out.splitlines()[-1])
        timing = summary.pop("timing")
        self.assertEqual(summary, {"ended": 5, "failed": 0, "total": 5})
        records = [json.loads(line) for line in r.err.splitlines()]
        ends = [x for x in records if x["operation"] == "end"]
        self.assertEqual(([x["operation"] for x in records[:1]], len(ends)), (["list_location"], 5))
        times = sorted(x["elapsed_us"] for x in ends)
        self.assertEqual((timing["calls"], timing["p50_us"], timing["p95_us"], timing["p99_us"],
                          timing["max_us"]), (5, times[2], times[4], times[4], times[4]))
        # the two 503s went to the list, which the summary leaves out
        self.assertEqual((records[0]["retries"], timing["retries"]), (2, 0))
        self.assertEqual(timing["retries"], sum(x["retries"] for x in ends))
        self.assertEqual(timing["connections_opened"],
                         sum(x["connections_opened"] for x in ends))
        self.assertGreaterEqual(timing["connections_opened"], 1)
        self.assertEqual(len({x["call_id"] for x in ends}), 5)

    def test_sessions_end_all_active_concurrently(self):
        me = sim("/_sim/tokens", {"user_id": "u-ops"})
        self.env["COORD_TOKEN"] = me["jwt_token"]
        ids = {sim("/_sim/sessions", {"location_id": "LOT-1", "user_id": "u-ops",
                                      "start_minutes_ago": 60})["id"] for _ in range(30)}
        done = sim("/_sim/sessions", {"location_id": "LOT-1", "user_id": "u-ops",
                                      "start_minutes_ago": 60, "ended": True})["id"]
        # each answer 0.5 s late: 30 one after the other would take 15 s
        sim("/_sim/fault", {"mode": "delay", "seconds": 0.5, "count": 30})
        started = time.monotonic()
        r = self.coord("sessions", "end", "--location", "LOT-1", "--all-active",
                       "--concurrency", "10")
        took = time.monotonic() - started
        self.assertEqual((r.code, r.err), (0, ""))
        lines = [json.loads(line) for line in r.out.splitlines()]
        self.assertEqual(lines[-1], {"ended": 30, "failed": 0, "total": 30})
        self.assertEqual({line["id"] for line in lines[:-1]}, ids)
        self.assertNotIn(done, {line["id"] for line in lines[:-1]})
        for line in lines[:-1]:
            self.assertEqual(line["status"], "COORD_OK")
            self.assertEqual(line["session"]["billing_info"]["cost"],
                             {"amount": 350, "currency": "USD", "text": "3.50 USD"})
        self.assertLess(took, 10.0)
        # nothing left: nothing to do
        self.assertEqual(self.ok("sessions", "end", "--location", "LOT-1", "--all-active"),
                         {"ended": 0, "failed": 0, "total": 0})
        # a failure: its line, the others ended, the exit code of its class (a
        # gate-controlled session is active, but only the gate can end it)
        for gate in (False, True, False):
            sim("/_sim/sessions", {"location_id": "LOT-1", "user_id": "u-ops",
                                   "start_minutes_ago": 5, "gate_controlled": gate})
        r = self.coord("sessions", "end", "--location", "LOT-1", "--all-active",
                       "--concurrency", "1")
        self.assertEqual(r.code, EXIT["PHYSICAL_CHECKOUT"], r.err)
        lines = [json.loads(line) for line in r.out.splitlines()]
        self.assertEqual(lines[-1], {"ended": 2, "failed": 1, "total": 3})
        failed = [line for line in lines[:-1] if line["status"] != "COORD_OK"]
        self.assertEqual(len(failed), 1)
        self.assertEqual((failed[0]["status"], failed[0]["http_status"]),
                         ("COORD_ERR_PHYSICAL_CHECKOUT", 400))
        self.assertEqual(r.err, "coord: 1 of 3 sessions not ended "
                                "(first: COORD_ERR_PHYSICAL_CHECKOUT)\n")
        self.usage("sessions", "end", "--location", "LOT-1")  # --all-active is required
        self.assertIn("--concurrency needs a whole number from 1 to 1000",  # the range, said
                      self.usage("sessions", "end", "--location", "LOT-1", "--all-active",
                                 "--concurrency", "0"))

    def test_lists_and_bulk_end_stream_10000_sessions(self):
        # one location, one user, 10,000 sessions (300 active): far beyond the
        # 256 entries of a list's array, and beyond its 1 MiB default answer
        sim("/_sim/seed", {"locations": [{"location_id": "BIG", "hourly_rate": 200}],
                           "tokens": [{"token": "many-token", "user_id": "u-many"}],
                           "sessions": [{"location_id": "BIG", "user_id": "u-many",
                                         "start_minutes_ago": 60, "ended": i >= 300}
                                        for i in range(10000)]})
        env = dict(self.env, COORD_TOKEN="many-token")
        listed = self.ok("sessions", "list", "--location", "BIG", env=env)
        self.assertEqual((listed["count"], len(listed["sessions"])), (10000, 10000))
        self.assertEqual(len({s["id"] for s in listed["sessions"]}), 10000)
        self.assertEqual(sum(s["active"] for s in listed["sessions"]), 300)
        self.assertEqual(listed["sessions"][-1]["billing_info"]["cost"]["text"], "2.00 USD")
        pretty = self.coord("--pretty", "sessions", "list", "--location", "BIG", env=env)
        self.assertEqual(json.loads(pretty.out), listed)
        first_active = next(s for s in listed["sessions"] if s["active"])
        self.assertEqual(self.ok("sessions", "list", "--location", "BIG", "--active", env=env),
                         first_active)
        self.assertEqual(self.ok("sessions", "list", "--mine", env=env)["count"], 10000)
        r = self.coord("sessions", "end", "--location", "BIG", "--all-active", env=env)
        self.assertEqual((r.code, r.err), (0, ""))
        lines = [json.loads(line) for line in r.out.splitlines()]
        self.assertEqual(lines[-1], {"ended": 300, "failed": 0, "total": 300})
        self.assertEqual({line["id"] for line in lines[:-1]},
                         {s["id"] for s in listed["sessions"] if s["active"]})
        r = self.coord("sessions", "list", "--location", "BIG", "--active", env=env)
        self.assertEqual((r.code, r.err), (EXIT["NOT_FOUND"], "coord: no active session at BIG\n"))
        # memory follows the answer, not the count: an array of 10,000
        # sessions alone would take 41 MB (4096 bytes each). The CLI's peak,
        # measured in a child of its own (RUSAGE_CHILDREN keeps the largest);
        # not under valgrind or a sanitizer, whose own memory it would count
        if not WRAPPER and not os.environ.get("COORD_CLI_SANITIZED"):
            measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], "
                       "stdout=subprocess.DEVNULL, check=True); "
                       "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            peak_kb = int(subprocess.run([sys.executable, "-c", measure, CLI, "sessions", "list",
                                          "--location", "BIG"], env=env, check=True,
                                         capture_output=True, text=True).stdout)
            self.assertLess(peak_kb, 40 * 1024)
        # an empty list is a list
        sim("/_sim/locations", {"location_id": "EMPTY", "hourly_rate": 200})
        self.assertEqual(self.ok("sessions", "list", "--location", "EMPTY", env=env),
                         {"sessions": [], "count": 0})

    def test_a_proxy_only_when_asked(self):
        proxy_py = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "forward_proxy.py")
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "proxy.log")
            proxy = subprocess.Popen([sys.executable, proxy_py, "--log", log],
                                     stdout=subprocess.PIPE, text=True)
            try:
                port = proxy.stdout.readline().strip().split("=", 1)[1]
                url = f"http://127.0.0.1:{port}"
                def requests():
                    if not os.path.exists(log):
                        return []
                    with open(log) as f:
                        return f.read().splitlines()
                # the environment's proxy is ignored by default ...
                env = dict(self.env, http_proxy=url, ALL_PROXY=url)
                r = self.coord("barcode", env=env)
                self.assertEqual((r.code, requests()), (0, []))
                # ... followed when asked, and --proxy (or COORD_PROXY) always
                self.assertEqual(self.coord("barcode", "--proxy-from-env", env=env).code, 0)
                self.assertEqual(len(requests()), 1)
                self.assertEqual(self.coord("barcode", "--proxy", url).code, 0)
                self.assertEqual(self.coord("barcode", env=dict(self.env, COORD_PROXY=url)).code,
                                 0)
                seen = requests()
                self.assertEqual(len(seen), 3)
                self.assertTrue(all(line.startswith("POST http://127.0.0.1:") for line in seen),
                                seen)
                self.usage("barcode", "--proxy")
            finally:
                proxy.terminate()
                proxy.wait()
                proxy.stdout.close()

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
        _, message = self.fails("UNAUTHORIZED", 0, "barcode", env=env)  # refused before sending
        self.assertEqual(message, "no bearer token set: this call is made as a user "
                                  "(coord_client_set_bearer_token); nothing was sent (give "
                                  "--token or COORD_TOKEN)")
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


    # ---- issue 12: secrets a hostile server echoes (points 3 and 4) ----

    def assert_hidden(self, result, *spellings):
        for text in spellings:
            self.assertNotIn(text, result.err)
            self.assertNotIn(text, result.out)

    def test_a_retry_after_echoing_the_key_is_redacted(self):
        key = os.environ["COORD_SIM_DIGIT_KEY"]   # digits: a valid Retry-After
        env = dict(self.env, COORD_ACCESS_KEY=key)
        sim("/_sim/fault", {"mode": "status", "status": 503, "body": "",
                            "content_type": "text/plain", "headers": {"Retry-After": key}})
        r, shown = self.fails("SERVER", 503, "sessions", "list", "--mine", env=env)
        self.assert_hidden(r, key)
        self.assertEqual(shown, "HTTP 503 (text/plain) without a Coord error body; "
                                "Retry-After [redacted] s is beyond the cap")

    def test_every_spelling_of_the_key_and_token_is_redacted(self):
        key = os.environ["COORD_SIM_ODD_KEY"]
        self.assertEqual(key, "K3Y+S/cr=t&zq 81")
        spellings = [key, "K3Y%2BS%2Fcr%3Dt%26zq%2081", "K3Y%2bS%2fcr%3dt%26zq%2081",
                     "K3Y%2BS%2Fcr%3Dt%26zq+81"]
        token = self.token
        token_spellings = [token, "".join("%%%02x" % ord(ch) for ch in token)]
        env = dict(self.env, COORD_ACCESS_KEY=key)
        self.assertEqual(self.ok("sessions", "list", "--mine", env=env)["count"], 0)
        for key_echo, token_echo in zip(spellings, token_spellings * 2):
            message = f"key {key_echo} token {token_echo}"
            sim("/_sim/fault", {"mode": "status", "status": 400,
                                "body": json.dumps({"code": 400, "message": message})})
            r, shown = self.fails("REFUSED", 400, "barcode", env=env)
            self.assert_hidden(r, *spellings, *token_spellings)
            self.assertEqual(shown, "key [redacted] token [redacted]")


if __name__ == "__main__":
    if not SIM:
        sys.exit("run through tests/sim/with_sim.sh (make check-cli)")
    unittest.main()
