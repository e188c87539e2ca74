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
                     {"mode": "throttle", "http_date": 1}, {"mode": "nested", "depth": 0}):
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


if __name__ == "__main__":
    unittest.main()
