#!/usr/bin/env python3
"""Self-test of the Coord simulator: python3 tests/sim/test_sim.py"""

import email.utils
import gzip
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True     # keep the source tree clean
import coord_sim  # noqa: E402

SIM = os.path.join(HERE, "coord_sim.py")
KEY = "sandbox-test-key"
BASE = "/v1/access/parking"
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def start_sim(*args):
    """Start the simulator; return (process, port)."""
    proc = subprocess.Popen([sys.executable, SIM, *args], stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(10, proc.kill)      # never hang the test run
    timer.start()
    line = proc.stdout.readline()
    timer.cancel()
    match = re.fullmatch(r"COORD_SIM_PORT=(\d+)\n", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"simulator did not start: {line!r}")
    return proc, int(match.group(1))


def stop_sim(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=5)
    finally:
        proc.stdout.close()


class SimTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start_sim("--access-key", KEY, "--access-key", "other-key")

    @classmethod
    def tearDownClass(cls):
        stop_sim(cls.proc)

    def setUp(self):
        self.assertEqual(self.control("POST", "/_sim/reset"), (200, {}))
        # sessions are user transactions: seeded sessions belong to DEFAULT_USER_ID
        self.token = self.issue_token(user_id=coord_sim.DEFAULT_USER_ID)

    def issue_token(self, **fields):
        status, body = self.control("POST", "/_sim/tokens", fields)
        self.assertEqual(status, 200, body)
        return body["jwt_token"]

    def auth(self, token):
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    def connect(self, timeout=5):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        self.addCleanup(conn.close)
        return conn

    def request(self, method, target, body=None, conn=None, headers=None):
        conn = conn or self.connect()
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        conn.request(method, target, body=data, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        self.assertEqual(int(resp.getheader("Content-Length")), len(raw))
        return resp.status, (json.loads(raw) if raw else None)

    def control(self, method, path, body=None, conn=None):
        return self.request(method, path, body, conn)

    def end(self, location, session, key=KEY, conn=None, token=""):
        query = "" if key is None else f"?access_key={key}"
        return self.request("PUT", f"{BASE}/{location}/session/{session}/end{query}", conn=conn,
                            headers=self.auth(self.token if token == "" else token))

    def api(self, method, path, body=None, token="", key=KEY):
        """An API call as the test's user (token "" = self.token, None = none)."""
        sep = "&" if "?" in path else "?"
        return self.request(method, f"{path}{sep}access_key={key}", body,
                            headers=self.auth(self.token if token == "" else token))

    def new_session(self, **fields):
        status, body = self.control("POST", "/_sim/sessions", fields)
        self.assertEqual(status, 200, body)
        return body


class PureFunctionTest(unittest.TestCase):
    def test_cost(self):
        hour = 3_600_000
        self.assertEqual(coord_sim.compute_cost(200, 0, 90 * 60_000), 300)
        self.assertEqual(coord_sim.compute_cost(200, 0, 60_000), 4)      # ceil(200/60)
        self.assertEqual(coord_sim.compute_cost(200, 0, 59_999), 0)      # whole minutes
        self.assertEqual(coord_sim.compute_cost(250, 0, 2 * hour + 30_000), 500)

    def test_format_time(self):
        self.assertEqual(coord_sim.format_time(1523492060292), "2018-04-12T00:14:20.292Z")
        self.assertEqual(coord_sim.format_time(1523492060002), "2018-04-12T00:14:20.002Z")


class EndSessionTest(SimTestCase):
    def test_end_bills_and_renders(self):
        created = self.new_session(location_id="L1", start_minutes_ago=90, resource_id="stall-7")
        self.assertEqual(created["id"], 1)
        self.assertNotIn("end_time", created)
        status, body = self.end("L1", 1)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["billing_info"], {"cost": {"amount": 300, "currency": "USD"}})
        self.assertEqual(body["start_time"], created["start_time"])
        self.assertRegex(body["end_time"], TIME_RE)
        self.assertEqual(body["resource_id"], "stall-7")
        self.assertEqual(body["user_id"], coord_sim.DEFAULT_USER_ID)
        self.assertEqual(body["location_id"], "L1")
        self.assertNotIn("redemption_info", body)

    def test_ids_are_per_location(self):
        self.assertEqual(self.new_session(location_id="A")["id"], 1)
        self.assertEqual(self.new_session(location_id="A")["id"], 2)
        self.assertEqual(self.new_session(location_id="B")["id"], 1)

    def test_already_ended(self):
        self.new_session(location_id="L1", ended=True)
        self.assertEqual(self.end("L1", 1), (409, {"code": 4091, "message": "session already ended"}))

    def test_gate_controlled(self):
        self.control("POST", "/_sim/locations", {"location_id": "G", "gate_controlled": True})
        created = self.new_session(location_id="G")
        self.assertNotIn("start_time", created)
        self.assertEqual(created["redemption_info"],
                         {"barcode": {"data": "COORD-G-1", "format": "aztec"}})
        status, body = self.end("G", 1)
        self.assertEqual(status, 400)
        self.assertEqual(body["code"], 4001)
        self.assertEqual(body["message"], coord_sim.MSG_PHYSICAL_CHECKOUT)

    def test_cost_pending(self):
        status, location = self.control("POST", "/_sim/locations", {
            "location_id": "P", "cost_pending": True, "hourly_rate": 600, "currency": "EUR"})
        self.assertEqual((status, location), (200, {
            "location_id": "P", "hourly_rate": 600, "currency": "EUR",
            "gate_controlled": False, "cost_pending": True}))
        self.new_session(location_id="P", start_minutes_ago=10)
        status, body = self.end("P", 1)
        self.assertEqual(status, 200)
        self.assertEqual(body["billing_info"], {"cost": None})

    def test_not_found(self):
        self.assertEqual(self.end("nowhere", 1), (404, {"code": 404, "message": "session not found"}))
        self.new_session(location_id="L1")
        self.assertEqual(self.end("L1", 2)[0], 404)

    def test_bad_session_id(self):
        for bad in ("abc", "1.5", "9223372036854775808", "%20", "0x1"):
            status, body = self.end("L1", bad)
            self.assertEqual((status, body["code"]), (400, 400), bad)
        self.assertEqual(self.end("L1", "9223372036854775807")[0], 404)

    def test_access_key(self):
        self.new_session(location_id="L1")
        denied = (403, {"code": 403, "message": "access key missing or invalid"})
        self.assertEqual(self.end("L1", 1, key=None), denied)
        self.assertEqual(self.end("L1", 1, key="wrong"), denied)
        self.assertEqual(self.end("L1", 1, key=f"{KEY}&access_key={KEY}"), denied)
        self.assertEqual(self.end("L1", 1, key="other-key")[0], 200)

    def test_percent_decoding(self):
        self.new_session(location_id="a/../b?x=1")
        status, body = self.end("a%2F..%2Fb%3Fx%3D1", 1)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["location_id"], "a/../b?x=1")

    def test_routing_errors(self):
        self.assertEqual(self.request("GET", f"{BASE}/nope?access_key={KEY}"),
                         (404, {"code": 404, "message": "no such route"}))
        status, body = self.request("GET", f"{BASE}/L1/session/1/end?access_key={KEY}")
        self.assertEqual((status, body["code"]), (405, 405))
        self.assertEqual(self.request("GET", "/_sim/reset")[0], 405)
        self.assertEqual(self.request("GET", "/_sim/nope")[0], 404)


class LifecycleTest(SimTestCase):
    """The user calls of issue 3: tokens, create, get, lists, barcode, redemption."""

    def setUp(self):
        super().setUp()
        self.control("POST", "/_sim/locations", {"location_id": "L1", "hourly_rate": 350})
        self.control("POST", "/_sim/locations", {"location_id": "G", "gate_controlled": True})
        self.token = self.create_jwt("Kiosk@Example.com")

    def create_jwt(self, email, **extra):
        status, body = self.request("POST", f"/v1/users/testing/create_jwt?access_key={KEY}",
                                    {"email": email, **extra})
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"jwt_token"})
        return body["jwt_token"]

    def create(self, location, body=None, token=""):
        return self.api("POST", f"{BASE}/{location}/session", body, token=token)

    def test_create_jwt(self):
        token = self.create_jwt("a@b.c", external_uid="1234")
        self.assertEqual(len(token.split(".")), 3)
        claims = json.loads(coord_sim.b64url_decode(token.split(".")[1]))
        self.assertEqual(claims["sub"], coord_sim.user_id_for("a@b.c"))
        self.assertEqual(claims["external_uid"], "1234")
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        # the same e-mail in any case is the same user
        status, first = self.create("L1", token=self.create_jwt("kiosk@example.COM"))
        self.assertEqual(status, 200, first)
        self.assertEqual(first["user_id"], coord_sim.user_id_for("kiosk@example.com"))
        target = "/v1/users/testing/create_jwt"
        for body in ({}, {"email": "no-at-sign"}, {"email": 7}, {"email": "a@b.c", "x": 1},
                     {"email": "a@b.c", "external_uid": 5}, "[]", "{"):
            status, reply = self.request("POST", f"{target}?access_key={KEY}", body)
            self.assertEqual((status, reply["code"]), (400, 400), body)
        self.assertEqual(self.request("POST", f"{target}?access_key=wrong", {"email": "a@b.c"}),
                         (403, {"code": 403, "message": coord_sim.MSG_BAD_KEY}))
        self.assertEqual(self.request("GET", f"{target}?access_key={KEY}")[0], 405)

    def test_token_required_on_every_user_call(self):
        unauthorized = (401, {"code": 401, "message": coord_sim.MSG_BAD_TOKEN})
        header, claims, signature = self.token.split(".")
        forged = coord_sim.b64url(json.dumps({"sub": "someone-else", "email": "x@y.z",
                                              "exp": 9999999999}).encode())
        expired = self.issue_token(email="kiosk@example.com", expires_in=-1)
        calls = [("PUT", f"{BASE}/L1/session/1/end"), ("POST", f"{BASE}/L1/session"),
                 ("GET", f"{BASE}/L1/session/1"), ("GET", f"{BASE}/L1/session"),
                 ("GET", f"{BASE}/session"), ("POST", f"{BASE}/barcode"),
                 ("POST", f"{BASE}/testing/L1/1/simulate_redemption")]
        for method, path in calls:
            for token in (None, "garbage", f"{header}.{forged}.{signature}", expired):
                self.assertEqual(self.api(method, path, token=token), unauthorized,
                                 (method, path, token))
        # the key is checked before the token
        self.assertEqual(self.api("GET", f"{BASE}/session", token=None, key="wrong")[0], 403)
        self.assertEqual(self.request("GET", f"{BASE}/session?access_key={KEY}",
                                      headers={"Authorization": f"Basic {self.token}"}),
                         unauthorized)

    def test_create_one_active_per_user_and_location(self):
        status, created = self.create("L1", {"resource_id": "stall-3"})
        self.assertEqual(status, 200, created)
        self.assertEqual((created["id"], created["location_id"], created["resource_id"]),
                         (1, "L1", "stall-3"))
        self.assertRegex(created["start_time"], TIME_RE)
        self.assertNotIn("end_time", created)
        self.assertNotIn("redemption_info", created)
        self.assertEqual(self.create("L1"), (409, {"code": 4092,
                                                   "message": coord_sim.MSG_SESSION_ACTIVE}))
        # another user, or another location, is not affected
        self.assertEqual(self.create("L1", token=self.create_jwt("other@example.com"))[0], 200)
        self.assertEqual(self.create("G")[0], 200)
        self.assertEqual(self.end("L1", 1, token=self.token)[0], 200)
        status, again = self.create("L1")
        self.assertEqual((status, again["id"]), (200, 3))
        self.assertEqual(self.create("nowhere"),
                         (404, {"code": 404, "message": coord_sim.MSG_NO_LOCATION}))
        for body in ({"resource_id": 5}, {"resource_id": ""}, {"x": 1}, "[]"):
            self.assertEqual(self.create("L1", body)[0], 400, body)

    def test_gate_controlled_flow(self):
        status, created = self.create("G")
        self.assertEqual(status, 200, created)
        self.assertNotIn("start_time", created)
        self.assertEqual(created["redemption_info"],
                         {"barcode": {"data": "COORD-G-1", "format": "aztec"}})
        self.assertEqual(self.end("G", 1, token=self.token)[1]["code"], 4001)
        redeem = f"{BASE}/testing/G/1/simulate_redemption"
        for body in ({}, {"duration_m": -1}, {"duration_m": 1.5}, {"duration_m": "5"},
                     {"duration_m": 527041}, {"duration_m": 5, "x": 1}):
            self.assertEqual(self.api("POST", redeem, body)[0], 400, body)
        status, redeemed = self.api("POST", redeem, {"duration_m": 95})
        self.assertEqual(status, 200, redeemed)
        self.assertEqual(redeemed["billing_info"], {"cost": {"amount": 317, "currency": "USD"}})
        start = time.strptime(redeemed["start_time"][:19], "%Y-%m-%dT%H:%M:%S")
        end = time.strptime(redeemed["end_time"][:19], "%Y-%m-%dT%H:%M:%S")
        self.assertEqual(time.mktime(end) - time.mktime(start), 95 * 60)
        self.assertEqual(self.api("GET", f"{BASE}/G/session/1")[1], redeemed)
        self.assertEqual(self.api("POST", redeem, {"duration_m": 1}),
                         (409, {"code": 4091, "message": coord_sim.MSG_ALREADY_ENDED}))
        # not gate-controlled, another user's, unknown, not a test user
        self.create("L1")
        self.assertEqual(self.api("POST", f"{BASE}/testing/L1/1/simulate_redemption",
                                  {"duration_m": 1}),
                         (400, {"code": 4002, "message": coord_sim.MSG_NOT_GATE_CONTROLLED}))
        other = self.create_jwt("other@example.com")
        self.assertEqual(self.api("POST", redeem, {"duration_m": 1}, token=other)[0], 404)
        self.assertEqual(self.api("POST", f"{BASE}/testing/G/9/simulate_redemption",
                                  {"duration_m": 1})[0], 404)
        real = self.issue_token(email="real@example.com", test_user=False)
        self.create("G", token=real)
        self.assertEqual(self.api("POST", f"{BASE}/testing/G/2/simulate_redemption",
                                  {"duration_m": 1}, token=real),
                         (403, {"code": 4031, "message": coord_sim.MSG_NOT_TEST_USER}))

    def test_get_and_lists_show_only_the_users_sessions(self):
        other = self.create_jwt("other@example.com")
        self.control("POST", "/_sim/locations", {"location_id": "L2"})
        self.assertEqual(self.api("GET", f"{BASE}/L1/session"), (200, []))
        self.assertEqual(self.api("GET", f"{BASE}/session"), (200, []))
        first = self.create("L2")[1]            # L2 #1, mine
        self.create("L1", token=other)          # L1 #1, other's
        second = self.create("L1")[1]           # L1 #2, mine
        self.assertEqual(self.api("GET", f"{BASE}/L1/session/2"), (200, second))
        self.assertEqual(self.api("GET", f"{BASE}/L1/session/1")[0], 404)
        self.assertEqual(self.api("GET", f"{BASE}/L1/session/x")[0], 400)
        self.assertEqual(self.api("GET", f"{BASE}/L1/session"), (200, [second]))
        self.assertEqual(self.api("GET", f"{BASE}/session"), (200, [first, second]))
        self.assertEqual(self.api("GET", f"{BASE}/nowhere/session")[0], 404)
        status, ended = self.end("L1", 2, token=self.token)
        third = self.create("L1")[1]
        self.assertEqual(self.api("GET", f"{BASE}/L1/session"), (200, [ended, third]))

    def test_barcode(self):
        status, body = self.api("POST", f"{BASE}/barcode", {})
        user = coord_sim.user_id_for("kiosk@example.com")
        self.assertEqual((status, body), (200, {"data": f"COORD-USER-{user}", "format": "aztec"}))
        self.assertEqual(self.api("POST", f"{BASE}/barcode")[0], 200)    # empty body
        self.assertEqual(self.api("POST", f"{BASE}/barcode", {"format": "qr"})[0], 400)
        self.assertEqual(self.api("GET", f"{BASE}/barcode")[0], 405)


class ControlTest(SimTestCase):
    def test_keep_alive_and_stats(self):
        conn = self.connect()
        for _ in range(3):
            self.assertEqual(self.end("x", 1, conn=conn)[0], 404)
        status, stats = self.control("GET", "/_sim/stats", conn=conn)
        self.assertEqual(status, 200)
        # setUp's token request adds one connection and one control request
        self.assertEqual(stats, {"connections": 2, "requests": 5, "api_requests": 3,
                                 "control_requests": 2, "api_connections": 1})

    def test_last_request(self):
        self.assertEqual(self.control("GET", "/_sim/last_request")[0], 404)
        self.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}&a=1&a=2",
                     body="hello", headers={"X-Test": "yes"})
        status, last = self.control("GET", "/_sim/last_request")
        self.assertEqual(status, 200)
        self.assertEqual(last["method"], "PUT")
        self.assertEqual(last["target"], f"{BASE}/x/session/1/end?access_key={KEY}&a=1&a=2")
        self.assertEqual(last["path"], f"{BASE}/x/session/1/end")
        self.assertEqual(last["query"], {"access_key": [KEY], "a": ["1", "2"]})
        self.assertEqual(last["headers"]["x-test"], "yes")
        self.assertEqual(last["body"], "hello")

    def test_bad_control_bodies(self):
        for body in ("{", "[]", {"location_id": ""}, {"location_id": "L", "hourly_rate": "2"},
                     {"location_id": "L", "typo": 1}, {}):
            status, reply = self.control("POST", "/_sim/locations", body)
            self.assertEqual((status, reply["code"]), (400, 400), body)
        for body in ({"mode": "nope"}, {"mode": "hang", "seconds": -1}, {"mode": "close", "x": 1},
                     {"mode": "status", "status": 42}, {"mode": "hang", "count": 0}):
            self.assertEqual(self.control("POST", "/_sim/fault", body)[0], 400, body)

    def test_fault_status(self):
        status, fault = self.control("POST", "/_sim/fault", {
            "mode": "status", "count": 2, "status": 503, "body": "busy",
            "content_type": "text/plain", "headers": {"Retry-After": "1"}})
        self.assertEqual((status, fault["remaining"]), (200, 2))
        conn = self.connect()
        for _ in range(2):
            conn.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}")
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.read()), (503, b"busy"))
            self.assertEqual(resp.getheader("Retry-After"), "1")
        self.assertEqual(self.end("x", 1, conn=conn)[0], 404)     # disarmed after count

    def date_of_answer(self, conn=None):
        conn = conn or self.connect()
        conn.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}")
        resp = conn.getresponse()
        resp.read()
        when = email.utils.parsedate_to_datetime(resp.getheader("Date")).timestamp()
        return when - time.time(), resp.getheader("Age")

    def test_clock(self):
        self.assertEqual(self.control("GET", "/_sim/clock"), (200, {"date_offset": 0, "age": None}))
        offset, age = self.date_of_answer()
        self.assertLess(abs(offset), 2)
        self.assertIsNone(age)
        self.assertEqual(self.control("POST", "/_sim/clock", {"date_offset": 86400}),
                         (200, {"date_offset": 86400, "age": None}))
        offset, age = self.date_of_answer()
        self.assertLess(abs(offset - 86400), 2)
        self.assertEqual(self.control("POST", "/_sim/clock", {"date_offset": -3600, "age": 30}),
                         (200, {"date_offset": -3600, "age": 30}))
        conn = self.connect()
        offset, age = self.date_of_answer(conn)
        self.assertLess(abs(offset + 3600), 2)
        self.assertEqual(age, "30")
        conn.request("GET", "/_sim/clock")         # control answers: Date moved, no Age
        resp = conn.getresponse()
        resp.read()
        self.assertIsNone(resp.getheader("Age"))
        self.assertEqual(self.control("POST", "/_sim/clock", {"age": None}),
                         (200, {"date_offset": -3600, "age": None}))
        self.assertIsNone(self.date_of_answer()[1])
        for body in ({"date_offset": "1"}, {"age": -1}, {"age": 1.5}, {"when": 1}):
            self.assertEqual(self.control("POST", "/_sim/clock", body)[0], 400, body)
        self.control("POST", "/_sim/reset")
        self.assertEqual(self.control("GET", "/_sim/clock"), (200, {"date_offset": 0, "age": None}))

    def test_fault_disarm(self):
        self.control("POST", "/_sim/fault", {"mode": "status"})
        self.assertEqual(self.control("GET", "/_sim/fault")[1]["mode"], "status")
        self.assertEqual(self.control("DELETE", "/_sim/fault"), (200, {}))
        self.assertEqual(self.control("GET", "/_sim/fault"), (200, {}))
        self.assertEqual(self.end("x", 1)[0], 404)

    def test_fault_close(self):
        self.control("POST", "/_sim/fault", {"mode": "close"})
        with self.assertRaises(http.client.RemoteDisconnected):
            self.end("x", 1)
        self.assertEqual(self.end("x", 1)[0], 404)

    def test_fault_hang(self):
        self.control("POST", "/_sim/fault", {"mode": "hang", "seconds": 0.3})
        started = time.monotonic()
        with self.assertRaises(http.client.RemoteDisconnected):
            self.end("x", 1)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_fault_hang_ends_on_reset(self):
        self.control("POST", "/_sim/fault", {"mode": "hang"})     # 30 s
        conn = self.connect(timeout=0.3)
        with self.assertRaises(socket.timeout):
            self.end("x", 1, conn=conn)
        conn.sock.settimeout(3)
        started = time.monotonic()
        self.control("POST", "/_sim/reset")
        self.assertEqual(conn.sock.recv(1), b"")                  # closed, no answer
        self.assertLess(time.monotonic() - started, 1)


class OutboxSupportTest(SimTestCase):
    """The charge ledger, answers dropped after apply, outages (issue 18)."""

    def ledger(self):
        status, body = self.control("GET", "/_sim/ledger")
        self.assertEqual(status, 200)
        return body

    def test_the_ledger_counts_applied_ends_only(self):
        self.assertEqual(self.ledger(), {"ends": [], "total": 0, "max": 0})
        self.new_session(location_id="L1")
        self.new_session(location_id="L1")
        self.assertEqual(self.end("L1", 1)[0], 200)
        self.assertEqual(self.end("L1", 1)[0], 409)     # refused: not an end
        self.assertEqual(self.end("L1", 9)[0], 404)
        self.assertEqual(self.ledger(), {"ends": [{"location_id": "L1", "session_id": 1,
                                                   "count": 1}], "total": 1, "max": 1})
        self.assertEqual(self.control("POST", "/_sim/reset"), (200, {}))
        self.assertEqual(self.ledger()["total"], 0)

    def test_dropped_answers_still_end_and_count(self):
        for _ in range(3):
            self.new_session(location_id="L2")
        self.assertEqual(self.control("POST", "/_sim/drop_ends", {"rate": 1, "seed": 3}),
                         (200, {"rate": 1, "seed": 3}))
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.end("L2", 1)
        self.assertEqual(self.ledger()["total"], 1)
        self.control("POST", "/_sim/drop_ends", {"rate": 0})
        self.assertEqual(self.end("L2", 1)[0], 409)     # it was applied
        self.assertEqual(self.end("L2", 2)[0], 200)
        self.assertEqual(self.control("POST", "/_sim/drop_ends", {"rate": 2})[0], 400)

    def test_an_outage_refuses_connections_then_serves_the_same_state(self):
        self.new_session(location_id="L3")
        self.assertEqual(self.control("POST", "/_sim/outage", {"seconds": 0.6}),
                         (200, {"seconds": 0.6}))
        time.sleep(0.3)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                break
            except ConnectionRefusedError:
                self.assertLess(time.monotonic(), deadline, "the simulator did not come back")
                time.sleep(0.05)
        self.assertEqual(self.end("L3", 1)[0], 200)     # the session survived the restart
        self.assertEqual(self.ledger()["total"], 1)


class HardeningFaultTest(SimTestCase):
    """The network and encoding faults, seen from a raw socket."""

    def arm(self, **fault):
        status, armed = self.control("POST", "/_sim/fault", fault)
        self.assertEqual(status, 200, armed)

    def raw_end(self, location="L1", session=1, extra=b""):
        """Send an end request on a fresh socket; return everything received."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.addCleanup(sock.close)
        sock.sendall(f"PUT {BASE}/{location}/session/{session}/end?access_key={KEY} HTTP/1.1\r\n"
                     f"Host: x\r\nContent-Length: 0\r\nAuthorization: Bearer {self.token}\r\n"
                     .encode() + extra + b"\r\n")
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                return data
            data += piece

    def test_get_session(self):
        self.new_session(location_id="L1", start_minutes_ago=30)
        status, body = self.api("GET", f"{BASE}/L1/session/1")
        self.assertEqual((status, "end_time" in body), (200, False))
        self.end("L1", 1)
        status, body = self.api("GET", f"{BASE}/L1/session/1")
        self.assertEqual((status, body["billing_info"]["cost"]["amount"]), (200, 100))
        self.assertEqual(self.api("GET", f"{BASE}/L1/session/2")[0], 404)

    def test_accept_close(self):
        self.arm(mode="accept_close")
        self.assertEqual(self.raw_end(), b"")

    def test_request_ids(self):
        """Every API answer carries its own X-Request-Id, the last request
        names it, faults' answers carry one, a status fault may set its own,
        control answers carry none."""
        conn = self.connect()
        seen = []
        for _ in range(2):
            conn.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}")
            resp = conn.getresponse()
            resp.read()
            self.assertRegex(resp.getheader("X-Request-Id"), r"^sim-[0-9]{8}$")
            seen.append(resp.getheader("X-Request-Id"))
        self.assertNotEqual(seen[0], seen[1])
        self.assertEqual(self.control("GET", "/_sim/last_request")[1]["request_id"], seen[1])
        conn.request("GET", "/_sim/stats")
        resp = conn.getresponse()
        resp.read()
        self.assertIsNone(resp.getheader("X-Request-Id"))
        self.new_session(location_id="L1")
        self.arm(mode="truncate", keep=5)
        head = self.raw_end().split(b"\r\n\r\n", 1)[0]
        self.assertRegex(head, rb"\r\nX-Request-Id: sim-[0-9]{8}\r\n")
        self.control("POST", "/_sim/fault", {"mode": "status", "headers": {"X-Request-Id": "mine"}})
        conn = self.connect()
        conn.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}")
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.getheaders().count(("X-Request-Id", "mine")), 1)
        self.assertEqual(len([h for h in resp.getheaders() if h[0] == "X-Request-Id"]), 1)

    def test_end_then_drop(self):
        self.new_session(location_id="L1")
        self.arm(mode="end_then_drop")
        self.assertEqual(self.raw_end(), b"")
        self.assertEqual(self.end("L1", 1)[0], 409)              # it did end

    def test_truncate(self):
        self.new_session(location_id="L1")
        self.arm(mode="truncate", keep=5)
        head, body = self.raw_end().split(b"\r\n\r\n", 1)
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        self.assertEqual((len(body), body), (5, b'{"id"'))
        self.assertGreater(length, 5)

    def test_reset(self):
        self.new_session(location_id="L1")
        self.arm(mode="reset", keep=5)
        with self.assertRaises(ConnectionResetError):
            self.raw_end()

    def test_slow_headers_and_trickle(self):
        for fault in ({"mode": "slow_headers", "seconds": 0.3},
                      {"mode": "trickle", "bytes": 50, "interval": 0.05}):
            self.control("POST", "/_sim/reset")
            self.new_session(location_id="L1")
            self.arm(**fault)
            started = time.monotonic()
            status, body = self.end("L1", 1)
            self.assertEqual((status, body["id"]), (200, 1), fault)
            self.assertGreaterEqual(time.monotonic() - started, 0.1)

    def test_chunked(self):
        self.new_session(location_id="L1")
        self.arm(mode="chunked", bytes=7)
        head, body = self.raw_end().split(b"\r\n\r\n", 1)
        self.assertIn(b"Transfer-Encoding: chunked", head)
        self.assertTrue(body.startswith(b'7\r\n{"id":1'), body)
        self.assertTrue(body.endswith(b"0\r\n\r\n"))

    def test_gzip(self):
        self.new_session(location_id="L1")
        self.arm(mode="gzip", pad_bytes=100000)
        head, body = self.raw_end().split(b"\r\n\r\n", 1)
        self.assertIn(b"Content-Encoding: gzip", head)
        self.assertLess(len(body), 2000)
        session = json.loads(gzip.decompress(body))
        self.assertEqual((session["id"], len(session["pad"])), (1, 100000))

    def test_gzip_to_an_exact_decoded_size(self):
        self.new_session(location_id="L1")
        self.arm(mode="gzip", decoded_bytes=4090, level=0)
        head, body = self.raw_end().split(b"\r\n\r\n", 1)
        self.assertIn(b"Content-Length: 4113\r\n", head)   # stored: longer than the answer
        self.assertEqual(len(body), 4113)
        decoded = gzip.decompress(body)
        self.assertEqual((len(decoded), json.loads(decoded)["id"]), (4090, 1))

    def test_big_and_many_headers(self):
        for fault, lines, longest in (({"mode": "big_header", "bytes": 300000}, 1, 300000),
                                      ({"mode": "many_headers", "headers": 5000}, 5000, 1)):
            self.control("POST", "/_sim/reset")
            self.new_session(location_id="L1")
            self.arm(**fault)
            head, body = self.raw_end().split(b"\r\n\r\n", 1)
            extra = [line for line in head.split(b"\r\n")
                     if line.startswith(b"X-") and not line.startswith(b"X-Request-Id:")]
            self.assertEqual(len(extra), lines, fault)
            self.assertEqual(max(len(line.split(b": ", 1)[1]) for line in extra), longest)
            self.assertEqual(json.loads(body)["id"], 1)

    def test_declared_length(self):
        self.new_session(location_id="L1")
        self.arm(mode="declared_length", length=123456789, gzip=True, seconds=0.2)
        started = time.monotonic()
        head = self.raw_end()
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertTrue(head.endswith(b"\r\n\r\n"), head)    # a head, and nothing more
        self.assertIn(b"Content-Length: 123456789\r\n", head)
        self.assertIn(b"Content-Encoding: gzip\r\n", head)

    def test_content_type(self):
        self.new_session(location_id="L1")
        self.arm(mode="content_type", content_type="text/html")
        self.assertIn(b"Content-Type: text/html", self.raw_end())

    def test_invalid_utf8_and_nested(self):
        self.new_session(location_id="L1")
        self.new_session(location_id="L1")
        self.arm(mode="invalid_utf8", field="user_id")
        self.assertIn(b'"user_id": "caf\xe9"', self.raw_end(session=1))
        self.arm(mode="nested", depth=3)
        self.assertIn(b',"nested":[[[]]]}', self.raw_end(session=2))

    def test_throttle(self):
        self.arm(mode="throttle", status=429, retry_after=7)
        conn = self.connect()
        conn.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.getheader("Retry-After")), (429, "7"))
        self.assertEqual(json.loads(resp.read())["code"], 429)
        self.arm(mode="throttle", retry_after=100, http_date=True)
        conn.request("PUT", f"{BASE}/x/session/1/end?access_key={KEY}")
        resp = conn.getresponse()
        resp.read()
        when = email.utils.parsedate_to_datetime(resp.getheader("Retry-After")).timestamp()
        self.assertEqual(resp.status, 503)
        self.assertTrue(90 <= when - time.time() <= 101, when - time.time())

    def test_bad_hardening_faults(self):
        for body in ({"mode": "reset", "keep": -1}, {"mode": "accept_close", "x": 1},
                     {"mode": "throttle", "http_date": 1}, {"mode": "nested", "depth": 0},
                     {"mode": "gzip", "level": 10}, {"mode": "big_header", "bytes": 0},
                     {"mode": "many_headers", "headers": 0}, {"mode": "declared_length",
                                                              "length": -1}):
            self.assertEqual(self.control("POST", "/_sim/fault", body)[0], 400, body)


class ProcessTest(unittest.TestCase):
    def test_port_file_and_sigterm(self):
        with tempfile.TemporaryDirectory() as tmp:
            port_file = os.path.join(tmp, "port")
            proc, port = start_sim("--port-file", port_file)
            with open(port_file) as handle:
                self.assertEqual(int(handle.read()), port)
            self.assertEqual(stop_sim(proc), 0)



class TlsTest(unittest.TestCase):
    """--tls-cert/--tls-key: HTTPS with a self-signed certificate made here."""

    def test_https_round_trip_and_bad_client_survival(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True)
            proc, port = start_sim("--tls-cert", cert, "--tls-key", key)
            try:
                # a client that does not trust the certificate is refused...
                with self.assertRaises(ssl.SSLCertVerificationError):
                    conn = http.client.HTTPSConnection(
                        "127.0.0.1", port, timeout=5, context=ssl.create_default_context())
                    conn.request("GET", "/_sim/stats")
                # ...and a plain-HTTP client gets no answer...
                with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                    raw.sendall(b"GET /_sim/stats HTTP/1.1\r\nHost: x\r\n\r\n")
                    try:
                        answer = raw.recv(4096)
                    except ConnectionResetError:
                        answer = b""
                    self.assertNotIn(b"HTTP/1.1", answer)
                # ...while the server keeps serving one that does
                context = ssl.create_default_context(cafile=cert)
                conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                                   context=context)
                conn.request("POST", "/_sim/reset", body="{}")
                self.assertEqual(conn.getresponse().read(), b"{}")
                conn.request("GET", "/_sim/stats")    # same TLS connection, kept alive
                self.assertEqual(json.loads(conn.getresponse().read())["requests"], 1)
                conn.close()
            finally:
                self.assertEqual(stop_sim(proc), 0)

    def test_cert_without_key_is_refused(self):
        result = subprocess.run([sys.executable, SIM, "--tls-cert", "x.pem"],
                                capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--tls-cert and --tls-key go together", result.stderr)


# ---- coord-sim as a product: --help, --seed, POST /_sim/seed, fixed tokens ----

SEED = {
    "locations": [{"location_id": "LOT-9", "hourly_rate": 200},
                  {"location_id": "GATE-9", "gate_controlled": True}],
    "sessions": [{"location_id": "LOT-9", "user_id": "u-1", "start_minutes_ago": 30},
                 {"location_id": "GATE-9", "user_id": "u-1"}],
    "tokens": [{"token": "kiosk-token", "user_id": "u-1"}],
    "fault": {"mode": "status", "status": 503, "count": 1},
}


def run_sim(*args):
    return subprocess.run([sys.executable, SIM, *args], capture_output=True, text=True,
                          timeout=10)


class DateOffsetTest(unittest.TestCase):
    def test_date_offset_flag_moves_the_date_and_survives_resets(self):
        proc, port = start_sim("--date-offset", "-86400")
        try:
            def offset():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/_sim/reset", body=b"{}")
                resp = conn.getresponse()
                resp.read()
                when = email.utils.parsedate_to_datetime(resp.getheader("Date")).timestamp()
                conn.close()
                return when - time.time()
            self.assertLess(abs(offset() + 86400), 2)
            self.assertLess(abs(offset() + 86400), 2)      # after a reset too
        finally:
            self.assertEqual(stop_sim(proc), 0)


class SeedTest(SimTestCase):
    def seed(self, doc):
        return self.control("POST", "/_sim/seed", doc)

    def test_seed_applies_every_part_and_answers_what_it_made(self):
        status, made = self.seed(SEED)
        self.assertEqual(status, 200, made)
        self.assertEqual([x["location_id"] for x in made["locations"]], ["LOT-9", "GATE-9"])
        self.assertEqual([(x["id"], x["location_id"]) for x in made["sessions"]],
                         [(1, "LOT-9"), (1, "GATE-9")])
        self.assertIn("redemption_info", made["sessions"][1])
        self.assertEqual(made["tokens"], [{"jwt_token": "kiosk-token", "user_id": "u-1",
                                           "email": "u-1@sim.invalid"}])
        self.assertEqual(made["fault"]["mode"], "status")
        # the fault takes the first API request, then the seeded user sees both sessions
        self.assertEqual(self.api("GET", BASE + "/session", token="kiosk-token")[0], 503)
        status, mine = self.api("GET", BASE + "/session", token="kiosk-token")
        self.assertEqual((status, mine), (200, made["sessions"]))
        status, ended = self.api("PUT", BASE + "/LOT-9/session/1/end", token="kiosk-token")
        self.assertEqual((status, ended["billing_info"]["cost"]["amount"]), (200, 100))

    def test_a_bad_entry_changes_nothing_and_is_named(self):
        for doc, reason in (
                ({"sessions": [{"location_id": "L"}, {"user_id": "u"}]},
                 "sessions[1]: missing field: location_id"),
                ({"locations": [{"location_id": "L", "hourly_rate": -1}]},
                 "locations[0]: hourly_rate"),
                ({"tokens": [{"token": "has space", "user_id": "u"}]}, "tokens[0]: token"),
                ({"tokens": [{"token": "t", "user_id": "u", "expires_in": 5}]},
                 "tokens[0]: a seeded token never expires"),
                ({"tokens": [{"token": "t"}]}, "tokens[0]: give email or user_id"),
                ({"fault": {"mode": "explode"}}, "fault: mode must be one of"),
                ({"locations": {"location_id": "L"}}, "locations must be a list"),
                ({"locations": ["L"]}, "locations[0]: not an object"),
                ({"users": []}, "unknown seed part(s): users"),
                ([], "body must be a JSON object")):
            status, body = self.seed(doc)
            self.assertEqual(status, 400, doc)
            self.assertTrue(body["message"].startswith(reason), (reason, body["message"]))
        status, stats = self.control("GET", "/_sim/fault")
        self.assertEqual((status, stats), (200, {}))
        self.assertEqual(self.api("GET", BASE + "/L/session")[0], 404)   # no location L

    def test_fixed_tokens_act_as_their_user_across_resets(self):
        status, body = self.control("POST", "/_sim/tokens", {"token": "tok-A", "email":
                                                             "A@example.com"})
        self.assertEqual((status, body["jwt_token"], body["user_id"]),
                         (200, "tok-A", coord_sim.user_id_for("a@example.com")))
        self.assertEqual(self.control("POST", "/_sim/reset"), (200, {}))
        status, barcode = self.api("POST", BASE + "/barcode", {}, token="tok-A")
        self.assertEqual((status, barcode["data"]), (200, "COORD-USER-" + body["user_id"]))
        # the same user as create_jwt's token for that e-mail
        status, jwt = self.api("POST", "/v1/users/testing/create_jwt",
                               {"email": "a@example.com"}, token=None)
        self.assertEqual(self.api("POST", BASE + "/barcode", {}, token=jwt["jwt_token"])[1],
                         barcode)
        for wrong in ("tok-B", "tok-A-", "Tok-A"):
            self.assertEqual(self.api("GET", BASE + "/session", token=wrong)[0], 401)
        self.assertEqual(self.request("GET", f"{BASE}/session?access_key={KEY}",
                                      headers={"Authorization": "Basic tok-A"})[0], 401)


class ProductTest(unittest.TestCase):
    def test_help_explains_the_base_url_and_the_seed(self):
        result = run_sim("--help")
        self.assertEqual(result.returncode, 0)
        for words in ("usage: coord-sim", "--seed FILE.json", "COORD_SIM_URL=http://127.0.0.1:",
                      "/v1/access/parking", "/_sim/seed", "--reference", "offline"):
            self.assertIn(words, result.stdout)
        # the example in --help is a valid seed
        example = result.stdout.split("same document:\n")[1].split("\nEach entry")[0]
        doc = json.loads(example)
        self.assertEqual(coord_sim.seed_document(doc)["tokens"][0]["user_id"],
                         doc["sessions"][0]["user_id"])

    def test_reference_lists_every_route_and_fault_mode(self):
        result = run_sim("--reference")
        self.assertEqual(result.returncode, 0)
        for r in coord_sim.CONTROL_ROUTER.routes:
            self.assertIn(f"{r.method:<6} {'/'.join(r.pattern)}", result.stdout)
        for mode in coord_sim.FAULT_MODES:
            self.assertRegex(result.stdout, rf"\n +{mode} ")

    def test_the_users_guide_documents_every_control_route_and_fault_mode(self):
        with open(os.path.join(HERE, "..", "..", "docs", "SIMULATOR.md"), encoding="utf-8") as f:
            guide = f.read()
        for r in coord_sim.CONTROL_ROUTER.routes:
            self.assertIn(f"| `{r.method} {'/'.join(r.pattern)}` |", guide)
        for mode in coord_sim.FAULT_MODES:
            self.assertIn(f"| `{mode}` |", guide,
                          f"fault mode {mode}: add a row to docs/SIMULATOR.md's fault table")
        # its seed example is a valid seed
        example = guide.split("```json\n")[1].split("```")[0]
        self.assertEqual(len(coord_sim.seed_document(json.loads(example))["locations"]), 2)

    def test_started_with_a_seed_it_is_ready_when_it_prints_its_url(self):
        with tempfile.TemporaryDirectory() as tmp:
            seed = os.path.join(tmp, "seed.json")
            with open(seed, "w") as f:
                json.dump(SEED, f)
            proc = subprocess.Popen([sys.executable, SIM, "--seed", seed, "--access-key", "k1",
                                     "--access-key", "k2"], stdout=subprocess.PIPE, text=True)
            try:
                lines = [proc.stdout.readline() for _ in range(3)]
                port = int(lines[0].split("=")[1])
                self.assertEqual(lines[1:], [
                    f"COORD_SIM_URL=http://127.0.0.1:{port}/v1/access/parking\n",
                    "COORD_SIM_KEY=k1\n"])
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/_sim/fault")
                self.assertEqual(json.loads(conn.getresponse().read())["mode"], "status")
                conn.request("DELETE", "/_sim/fault")
                conn.getresponse().read()
                conn.request("GET", "/v1/access/parking/LOT-9/session/1?access_key=k2",
                             headers={"Authorization": "Bearer kiosk-token"})
                answer = conn.getresponse()
                self.assertEqual((answer.status, json.loads(answer.read())["user_id"]),
                                 (200, "u-1"))
                conn.close()
            finally:
                self.assertEqual(stop_sim(proc), 0)

    def test_an_unusable_seed_stops_it_before_it_listens(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = {"missing.json": None, "bad.json": "{nope", "list.json": "[]",
                     "invalid.json": json.dumps({"sessions": [{}]})}
            for name, text in cases.items():
                path = os.path.join(tmp, name)
                if text is not None:
                    with open(path, "w") as f:
                        f.write(text)
                result = run_sim("--seed", path)
                self.assertEqual((result.returncode, result.stdout), (2, ""), name)
                self.assertTrue(result.stderr.startswith(f"coord-sim: --seed {path}: "),
                                result.stderr)
            self.assertIn("sessions[0]: missing field: location_id", result.stderr)

    def test_a_busy_port_is_one_line_not_a_traceback(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = run_sim("--port", str(port))
        self.assertEqual((result.returncode, result.stdout), (1, ""))
        self.assertEqual(result.stderr, f"coord-sim: cannot listen on 127.0.0.1:{port}: Address "
                                        "already in use (another coord-sim? --port 0 picks a "
                                        "free one)\n")


if __name__ == "__main__":
    unittest.main()
