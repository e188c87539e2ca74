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

    def end(self, location, session, key=KEY, conn=None):
        query = "" if key is None else f"?access_key={key}"
        return self.request("PUT", f"{BASE}/{location}/session/{session}/end{query}", conn=conn)

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


class ControlTest(SimTestCase):
    def test_keep_alive_and_stats(self):
        conn = self.connect()
        for _ in range(3):
            self.assertEqual(self.end("x", 1, conn=conn)[0], 404)
        status, stats = self.control("GET", "/_sim/stats", conn=conn)
        self.assertEqual(status, 200)
        self.assertEqual(stats, {"connections": 1, "requests": 4, "api_requests": 3,
                                 "control_requests": 1, "api_connections": 1})

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
                     f"Host: x\r\nContent-Length: 0\r\n".encode() + extra + b"\r\n")
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                return data
            data += piece

    def test_get_session(self):
        self.new_session(location_id="L1", start_minutes_ago=30)
        status, body = self.request("GET", f"{BASE}/L1/session/1?access_key={KEY}")
        self.assertEqual((status, "end_time" in body), (200, False))
        self.end("L1", 1)
        status, body = self.request("GET", f"{BASE}/L1/session/1?access_key={KEY}")
        self.assertEqual((status, body["billing_info"]["cost"]["amount"]), (200, 100))
        self.assertEqual(self.request("GET", f"{BASE}/L1/session/2?access_key={KEY}")[0], 404)

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
