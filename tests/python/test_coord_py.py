"""The ctypes binding (bindings/python/coord.py) against the simulator.

Run through tests/sim/with_sim.sh (COORD_SIM_URL, COORD_SIM_KEY) with
COORD_LIBRARY pointing at the libcoord.so under test; COORD_CC names the C
compiler for the layout check (default cc). Standard library only.
"""
import dataclasses
import datetime
import decimal
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import coord  # noqa: E402  (after the path above)

SIM = os.environ.get("COORD_SIM_URL", "")
KEY = os.environ.get("COORD_SIM_KEY", "")
DEFAULT_USER = "00000000-0000-0000-0000-000000000000"  # of seeded sessions
BASE = SIM + "/v1/access/parking"


def sim(path, body):
    req = urllib.request.Request(SIM + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def c_layout(structs):
    """offsetof/sizeof of every mirrored field, from the C compiler."""
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "coord/coord.h"',
             'int main(void) {']
    for cname, mirror in structs.items():
        lines.append(f'    printf("{cname} %zu\\n", sizeof({cname}));')
        for fname, _ in mirror._fields_:
            lines.append(f'    printf("{cname}.{fname} %zu %zu\\n", offsetof({cname}, {fname}),'
                         f' sizeof((({cname} *)0)->{fname}));')
    lines += ['    return 0;', '}']
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "layout.c"), os.path.join(tmp, "layout")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([os.environ.get("COORD_CC", "cc"), "-std=c99", "-Wall", "-Werror",
                        "-I", os.path.join(ROOT, "include"), src, "-o", exe], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    # "name value..." per line
    return dict(line.split(" ", 1) for line in out.splitlines())


class Layout(unittest.TestCase):
    def test_mirrors_match_the_c_compiler(self):
        c = c_layout(coord.LAYOUTS)
        checked = 0
        for cname, mirror in coord.LAYOUTS.items():
            self.assertEqual(int(c[cname]), coord.ctypes.sizeof(mirror), cname)
            for fname, _ in mirror._fields_:
                offset, size = (int(x) for x in c[f"{cname}.{fname}"].split())
                self.assertEqual(getattr(mirror, fname).offset, offset, f"{cname}.{fname}")
                self.assertEqual(getattr(mirror, fname).size, size, f"{cname}.{fname}")
                checked += 1
        self.assertGreater(checked, 25)
        self.assertEqual(coord.ctypes.sizeof(coord.LAYOUTS["coord_session"]), 4096)

    def test_every_exported_function_is_bound(self):
        out = subprocess.run(["nm", "-D", "--defined-only", os.environ["COORD_LIBRARY"]],
                             check=True, capture_output=True, text=True).stdout
        # names without their symbol version (coord_version@@COORD_1.0)
        exported = {line.split()[-1].split("@")[0] for line in out.splitlines()
                    if line.split()[-1].startswith("coord_")}
        # C-only: the allocator hooks (a Python allocator cannot serve cJSON/libcurl
        # safely) and the non-blocking API (callbacks from a C event loop; the
        # binding's calls block, and Client.cancel() stops them from a thread)
        c_only = {"coord_set_allocator", "coord_loop_new", "coord_loop_free",
                  "coord_loop_set_limits", "coord_loop_set_callbacks", "coord_loop_assign",
                  "coord_loop_socket_ready", "coord_loop_timeout", "coord_loop_run_once",
                  "coord_loop_run", "coord_loop_calls", "coord_call_cancel", "coord_call_id",
                  "coord_loop_cancel", "coord_loop_set_multiplexed_connections"}
        c_only |= {name for name in exported if name.endswith("_async")}
        missing = exported - set(coord._PROTOTYPES) - c_only
        self.assertEqual(missing, set(), "exported by libcoord.so but not in coord.py")


class Library(unittest.TestCase):
    def test_version_and_texts(self):
        with open(os.path.join(ROOT, "include", "coord", "coord.h"), encoding="utf-8") as f:
            header = f.read()
        expected = re.search(r'#define COORD_VERSION_STRING "([^"]+)"', header).group(1)
        self.assertEqual(coord.version(), expected)
        self.assertEqual(coord.status_name(7), "COORD_ERR_NOT_FOUND")
        self.assertTrue(coord.strerror(2))

    def test_statuses_are_the_headers_enum(self):
        with open(os.path.join(ROOT, "include", "coord", "coord.h"), encoding="utf-8") as f:
            header = f.read()
        enum_body = re.search(r"typedef enum coord_status \{(.*?)\} coord_status;", header,
                              re.S).group(1)
        in_c = {name: int(value) for name, value in
                re.findall(r"COORD_(?:ERR_)?([A-Z_]+) = (\d+)", enum_body)}
        self.assertEqual({s.name: s.value for s in coord.Status}, in_c)
        for s in coord.Status:
            self.assertEqual(coord.status_name(s),
                             "COORD_OK" if s == coord.Status.OK else "COORD_ERR_" + s.name)
        self.assertEqual(coord.Status.NOT_FOUND, 7)   # an IntEnum: compares with ints

    def test_one_exception_class_per_status(self):
        failures = [s for s in coord.Status if s != coord.Status.OK]
        self.assertEqual(sorted(coord.ERRORS), failures)
        names = set()
        for status in failures:
            cls = coord.ERRORS[status]
            self.assertTrue(issubclass(cls, coord.CoordError))
            self.assertEqual(cls.status, status)
            # the class is named after the status: NOT_FOUND -> NotFoundError
            self.assertEqual(cls.__name__.lower(), status.name.replace("_", "").lower() + "error")
            self.assertIs(getattr(coord, cls.__name__), cls)
            names.add(cls.__name__)
            with self.assertRaises(cls) as cm:
                coord.raise_for(status, 404, 4001, "server text", "detail text")
            e = cm.exception
            self.assertEqual((e.status, e.status_name, e.http_status, e.api_code, e.message,
                              e.detail), (status, coord.status_name(status), 404, 4001,
                                          "server text", "detail text"))
            self.assertIsInstance(e.status, coord.Status)
        self.assertEqual(len(names), len(failures))
        self.assertIsNone(coord.raise_for(coord.Status.OK))
        # a status newer than this binding: the base class, the number kept
        with self.assertRaises(coord.CoordError) as cm:
            coord.raise_for(99)
        self.assertIs(type(cm.exception), coord.CoordError)
        self.assertEqual(cm.exception.status, 99)

    def test_session_is_plain_data_with_datetimes(self):
        s = coord.decode_session('{"id": 5, "location_id": "L", "user_id": "u", '
                                 '"start_time": "2018-04-12T00:14:20.292Z", '
                                 '"end_time": "2018-04-12T02:14:20+02:00", '
                                 '"billing_info": {"cost": {"amount": 300, "currency": "USD"}}, '
                                 '"redemption_info": {"barcode": {"data": "B", '
                                 '"format": "aztec"}}}')
        as_dict = dataclasses.asdict(s)
        self.assertEqual(json.loads(json.dumps(as_dict)), as_dict)
        self.assertEqual(as_dict["billing_info"], {"cost": {"amount": 300, "currency": "USD"}})
        self.assertEqual(set(as_dict), {f.name for f in dataclasses.fields(coord.Session)})
        self.assertNotIn("_c", as_dict)
        utc = datetime.timezone.utc
        self.assertEqual(s.start_datetime, datetime.datetime(2018, 4, 12, 0, 14, 20, 292000, utc))
        self.assertEqual(s.end_datetime, datetime.datetime(2018, 4, 12, 0, 14, 20, 0, utc))
        self.assertEqual(s.end_datetime - s.start_datetime,
                         datetime.timedelta(milliseconds=-292))
        active = dataclasses.replace(s, end_time=None, end_time_ms=None)
        self.assertIsNone(active.end_datetime)
        # a session is rebuilt into C as it came: decode(json) -> C -> Python
        self.assertEqual(coord.Session._from_c(s._to_c()), s)
        with self.assertRaises(ValueError):
            dataclasses.replace(s, location_id="x" * 128)._to_c()

    def test_integers_out_of_range_raise_value_error(self):
        client = coord.Client("http://127.0.0.1:9/v1/access/parking", "a-test-key")
        client.set_bearer_token("a-user-token")
        try:
            for bad in (2**63, -2**63 - 1, 2**70):
                for call in (lambda: client.session_get("L", bad),
                             lambda: client.end_session("L", bad),
                             lambda: client.session_wait("L", bad),
                             lambda: client.test_simulate_redemption("L", bad, 1)):
                    with self.assertRaises(ValueError) as cm:
                        call()
                    self.assertIn(str(bad), str(cm.exception))
            for call in (lambda: client.set_timeouts(-1, 1000),
                         lambda: client.set_timeouts(1000, 2**32),
                         lambda: client.set_retry(1, -5, 10),
                         lambda: client.set_max_response_size(2**40),
                         lambda: client.session_wait("L", 1, timeout_ms=-1),
                         lambda: client.test_simulate_redemption("L", 1, 2**32 + 5)):
                with self.assertRaises(ValueError):
                    call()
            with self.assertRaises(TypeError):
                client.session_get("L", 1.0)
            # the largest ids pass the binding; the library judges them
            client.set_retry(1, 0, 0)
            with self.assertRaises(coord.TransportError):   # port 9: refused
                client.session_get("L", 2**63 - 1)
        finally:
            client.close()

    def test_money_as_text_and_decimal(self):
        table = [(300, "USD", "3.00 USD", "3.00"), (-5, "EUR", "-0.05 EUR", "-0.05"),
                 (300, "JPY", "300 JPY", "300"), (1500, "BHD", "1.500 BHD", "1.500"),
                 (1, "CLF", "0.0001 CLF", "0.0001"), (42, "XAU", "42 XAU", "42"),
                 (1234, "QQQ", "12.34 QQQ", "12.34"),  # not ISO 4217: 2 decimals
                 (-2**63, "USD", "-92233720368547758.08 USD", "-92233720368547758.08")]
        for amount, currency, text, value in table:
            money = coord.Money(amount, currency)
            self.assertEqual(str(money), text)
            self.assertEqual(money.value, decimal.Decimal(value))
            self.assertEqual(str(money.value), value)  # the exponent kept: "3.00", not "3"
        self.assertEqual([coord.currency_exponent(c) for c in ("USD", "JPY", "KWD", "UYW", "QQQ")],
                         [2, 0, 3, 4, coord.CURRENCY_DEFAULT_EXPONENT])
        for bad in ("usd", "US", ""):
            with self.assertRaises(coord.InvalidArgumentError):
                str(coord.Money(1, bad))
            with self.assertRaises(coord.InvalidArgumentError):
                coord.currency_exponent(bad)
        with self.assertRaises(ValueError):
            coord.Money(2**63, "USD").value

    def test_a_bad_base_url_says_what_is_wrong(self):
        for url, why in (("htp://127.0.0.1:8080/v1/access/parking",
                          'base URL: scheme "htp" is not http or https'),
                         ("http:///v1/access/parking", 'base URL: no host after "://"'),
                         ("127.0.0.1:8080/v1/access/parking",
                          "base URL: no scheme: it starts with http:// or https://, then the host"),
                         ("http://u:s3cret@h/v1/access/parking",
                          "base URL: has a user name or password (user:pass@): not allowed")):
            with self.assertRaises(coord.InvalidArgumentError) as cm:
                coord.Client(url, "a-test-key")
            self.assertEqual(str(cm.exception), "COORD_ERR_INVALID_ARGUMENT: " + why)
            with self.assertRaises(coord.InvalidArgumentError) as cm:
                coord.base_url_check(url)
            self.assertEqual(cm.exception.detail, why)
        with self.assertRaises(coord.InvalidArgumentError) as cm:
            coord.Client("http://127.0.0.1:9/v1/access/parking", "")
        self.assertIn("access key", cm.exception.detail)
        # accepted, with a warning (the client's log says it too)
        self.assertEqual(coord.base_url_check("http://127.0.0.1:9/v1/access/parking"), "")
        self.assertIn("does not end in /v1/access/parking",
                      coord.base_url_check("http://127.0.0.1:9"))

    def test_timeout_error_is_the_builtin_too(self):
        self.assertTrue(issubclass(coord.TimeoutError, TimeoutError))
        self.assertTrue(issubclass(coord.TimeoutError, coord.CoordError))
        try:
            coord.raise_for(coord.Status.TIMEOUT, detail="a wait's deadline")
        except TimeoutError as e:  # the builtin catches it
            self.assertEqual(str(e), "COORD_ERR_TIMEOUT: a wait's deadline")

    def test_decode(self):
        s = coord.decode_session('{"id": 5, "location_id": "L", "user_id": "u", '
                                 '"start_time": "2018-04-12T00:14:20.292Z", '
                                 '"billing_info": {"cost": null}}')
        self.assertEqual((s.id, s.location_id, s.user_id), (5, "L", "u"))
        self.assertEqual(s.start_time_ms, 1523492060292)
        self.assertIsNone(s.end_time)
        self.assertIsNone(s.billing_info.cost)
        with self.assertRaises(coord.CoordError) as cm:
            coord.decode_session(b'{"id": "5"}')
        self.assertEqual(cm.exception.status_name, "COORD_ERR_BAD_RESPONSE")
        self.assertIsInstance(cm.exception, coord.BadResponseError)
        self.assertEqual(cm.exception.detail, "field id: not a number")


class AgainstSimulator(unittest.TestCase):
    def setUp(self):
        sim("/_sim/reset", {})
        sim("/_sim/locations", {"location_id": "PY-LOT", "hourly_rate": 200})
        # sessions are user transactions: act as the seeded sessions' user
        self.token = sim("/_sim/tokens", {"user_id": DEFAULT_USER})["jwt_token"]

    def user_client(self):
        client = coord.Client(BASE, KEY)
        client.set_bearer_token(self.token)
        return client

    def test_end_session_returns_dataclasses(self):
        sid = sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 30})["id"]
        with self.user_client() as client:
            client.set_user_agent("coord-py-test/1")
            client.set_timeouts(5000, 10000)
            s = client.end_session("PY-LOT", sid)
        self.assertIsInstance(s, coord.Session)
        self.assertEqual((s.id, s.location_id), (sid, "PY-LOT"))
        self.assertEqual(s.billing_info.cost, coord.Money(100, "USD"))
        self.assertEqual(str(s.billing_info.cost), "1.00 USD")
        self.assertGreaterEqual(s.end_time_ms - s.start_time_ms, 30 * 60 * 1000)
        self.assertTrue(s.end_time.endswith("Z"))
        self.assertIsNone(s.redemption_info)

    def test_observer_gets_a_record_per_call(self):
        ids = [sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 30})["id"]
               for _ in range(2)]
        records = []
        with self.user_client() as client:
            client.set_observer(records.append)
            client.end_session("PY-LOT", ids[0])
            sim("/_sim/fault", {"mode": "status", "status": 503, "count": 1})
            client.set_retry(3, 1, 5)
            client.end_session("PY-LOT", ids[1])
            with self.assertRaises(coord.AlreadyEndedError):
                client.end_session("PY-LOT", ids[1])
            client.set_observer(None)
        self.assertEqual(len(records), 3)
        first, retried, refused = records
        self.assertIsInstance(first, coord.CallRecord)
        self.assertEqual((first.operation, first.location_id, first.session_id, first.status,
                          first.http_status, first.attempts, first.retries, first.call_id),
                         ("end", "PY-LOT", ids[0], "COORD_OK", 200, 1, 0, 0))
        self.assertTrue(first.has_timings)
        self.assertFalse(first.connection_reused)
        self.assertEqual((first.http_version, first.connections_opened, first.tls_us), (11, 1, 0))
        self.assertTrue(0 <= first.dns_us <= first.connect_us <= first.ttfb_us <= first.total_us
                        <= first.elapsed_us)
        self.assertRegex(first.request_id, r"^sim-[0-9]{8}$")
        self.assertGreater(first.bytes_sent, 0)
        self.assertGreater(first.bytes_received, 0)
        self.assertEqual((retried.attempts, retried.retries, retried.retry_reasons),
                         (2, 1, [("COORD_ERR_SERVER", 503)]))
        self.assertTrue(retried.connection_reused)
        self.assertNotEqual(retried.request_id, first.request_id)
        self.assertEqual((refused.status, refused.http_status),
                         ("COORD_ERR_ALREADY_ENDED", 409))
        for record in records:  # no secret in any field
            text = json.dumps(dataclasses.asdict(record))
            self.assertNotIn(KEY, text)
            self.assertNotIn(self.token, text)
        self.assertEqual(coord.operation_name(6), "wait_poll")

    def test_an_observer_exception_is_raised_by_the_call(self):
        sid = sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 30})["id"]

        def broken(record):
            raise KeyError(record.operation)

        with self.user_client() as client:
            client.set_observer(broken)
            with self.assertRaises(KeyError) as cm:
                client.end_session("PY-LOT", sid)
            self.assertEqual(cm.exception.args, ("end",))
            client.set_observer(None)
            with self.assertRaises(coord.AlreadyEndedError):
                client.end_session("PY-LOT", sid)

    def test_clock_offset_from_the_date_header(self):
        with self.user_client() as client:
            self.assertIsNone(client.clock_offset_ms())
            sim("/_sim/clock", {"date_offset": -86400})
            try:
                with self.assertRaises(coord.NotFoundError):
                    client.session_get("NO-LOT", 1)
            finally:
                sim("/_sim/clock", {"date_offset": 0})
            self.assertAlmostEqual(client.clock_offset_ms(), -86400000, delta=2000)

    def test_each_failure_raises_its_class_with_status_http_and_message(self):
        sid = sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 5})["id"]
        with self.user_client() as client:
            client.end_session("PY-LOT", sid)
            with self.assertRaises(coord.AlreadyEndedError) as cm:
                client.end_session("PY-LOT", sid)
            e = cm.exception
            self.assertEqual((e.status, e.status_name, e.http_status, e.api_code),
                             (coord.Status.ALREADY_ENDED, "COORD_ERR_ALREADY_ENDED", 409, 4091))
            self.assertTrue(e.message)
            self.assertIn(e.message, e.detail)
            with self.assertRaises(coord.NotFoundError) as cm:
                client.end_session("PY-LOT", 999999)
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_NOT_FOUND", 404))
            with self.assertRaises(coord.InvalidArgumentError) as cm:
                client.end_session("", sid)
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_INVALID_ARGUMENT", 0))
        with coord.Client(BASE, "wrong-key") as client:
            # no token: refused before sending (a key is checked by the server)
            with self.assertRaises(coord.UnauthorizedError) as cm:
                client.end_session("PY-LOT", sid)
            self.assertEqual((cm.exception.http_status, str(cm.exception)),
                             (0, "COORD_ERR_UNAUTHORIZED: no bearer token set: this call is made "
                                 "as a user (coord_client_set_bearer_token); nothing was sent"))
            client.set_bearer_token(self.token)
            with self.assertRaises(coord.UnauthorizedError) as cm:
                client.end_session("PY-LOT", sid)
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_UNAUTHORIZED", 403))
            self.assertNotIn("wrong-key", str(cm.exception))
            # the HTTP status once, and the server's message
            self.assertEqual(str(cm.exception), "COORD_ERR_UNAUTHORIZED (HTTP 403): access key "
                                                "missing or invalid")

    def test_cancel_from_another_thread(self):
        sid = sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 5})["id"]
        sim("/_sim/fault", {"mode": "hang", "seconds": 30})
        with self.user_client() as client:
            self.assertFalse(client.cancel())  # no call in progress
            timer = threading.Timer(0.3, client.cancel)
            timer.start()
            started = time.monotonic()
            with self.assertRaises(coord.CancelledError) as cm:
                client.end_session("PY-LOT", sid)
            timer.join()
            self.assertLess(time.monotonic() - started, 5.0)
            self.assertEqual(cm.exception.status_name, "COORD_ERR_CANCELLED")

    def test_held_gate_controlled_session_is_refused_locally(self):
        held = coord.decode_session(json.dumps(sim("/_sim/sessions", {
            "location_id": "PY-LOT", "start_minutes_ago": 5, "gate_controlled": True})))
        self.assertEqual(held.redemption_info.barcode_format, "aztec")
        with self.user_client() as client:
            with self.assertRaises(coord.PhysicalCheckoutError) as cm:
                client.session_end(held)
        self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                         ("COORD_ERR_PHYSICAL_CHECKOUT", 0))

    def test_held_session_ends(self):
        held = coord.decode_session(json.dumps(sim("/_sim/sessions", {
            "location_id": "PY-LOT", "start_minutes_ago": 60})))
        with self.user_client() as client:
            ended = client.session_end(held)
            # one built by hand (or rebuilt from JSON) ends the same way
            other = sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 60})
            by_hand = client.session_end(coord.Session(other["id"], "PY-LOT", other["user_id"]))
            with self.assertRaises(coord.AlreadyEndedError):
                client.session_end(coord.Session(**json.loads(json.dumps(
                    dataclasses.asdict(dataclasses.replace(held, billing_info=None))))))
        self.assertEqual(ended.id, held.id)
        self.assertEqual(ended.billing_info.cost.amount, 200)
        self.assertEqual((by_hand.id, by_hand.billing_info.cost.amount), (other["id"], 200))

    def test_session_lifecycle(self):
        sim("/_sim/locations", {"location_id": "PY-GATE", "gate_controlled": True})
        with coord.Client(BASE, KEY) as client:
            client.set_bearer_token(client.test_create_jwt("py@example.com", "py-1"))
            s = client.session_create("PY-LOT", "stall-1")
            self.assertEqual((s.location_id, s.resource_id), ("PY-LOT", "stall-1"))
            self.assertIsNotNone(s.start_time)
            with self.assertRaises(coord.SessionActiveError) as cm:
                client.session_create("PY-LOT")
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_SESSION_ACTIVE", 409))
            self.assertEqual(client.session_get("PY-LOT", s.id).id, s.id)
            gate = client.session_create("PY-GATE")
            self.assertEqual(gate.redemption_info.barcode_format, "aztec")
            redeemed = client.test_simulate_redemption("PY-GATE", gate.id, 60)
            self.assertEqual(redeemed.billing_info.cost, coord.Money(200, "USD"))
            waited = client.session_wait("PY-GATE", gate.id, coord.WAIT_ENDED, 5000, 50)
            self.assertEqual(waited.end_time, redeemed.end_time)
            mine = client.session_list_user()
            self.assertEqual([x.id for x in mine], [s.id, gate.id])
            self.assertEqual(coord.find_active(mine).id, s.id)
            self.assertEqual(len(client.session_list_location("PY-LOT")), 1)
            seen = []
            client.session_list_user_each(seen.append)
            self.assertEqual([x.id for x in seen], [s.id, gate.id])
            seen = []
            client.session_list_location_each("PY-LOT", lambda x: seen.append(x) or True)
            self.assertEqual([(x.id, x.location_id) for x in seen], [(s.id, "PY-LOT")])
            client.set_max_sessions(1)
            with self.assertRaises(coord.ResponseTooLargeError):
                client.session_list_user()
            self.assertTrue(client.barcode_create().barcode_data.startswith("COORD-USER-"))
        self.assertEqual([x.id for x in coord.decode_session_list('[{"id": 3}, {"id": 4}]')],
                         [3, 4])
        with self.assertRaises(coord.CoordError) as cm:
            coord.decode_session_list('[{"id": 3}, {}]')
        self.assertEqual(cm.exception.detail, "field [1].id: missing")
        seen = []
        coord.decode_session_list_each('[{"id": 3}, {"id": 4}]', lambda x: seen.append(x.id))
        self.assertEqual(seen, [3, 4])
        with self.assertRaises(ZeroDivisionError):  # the callback's own, after the C call
            coord.decode_session_list_each('[{"id": 3}]', lambda x: 1 / 0)

    def test_bad_arguments_and_closed_client(self):
        with self.assertRaises(coord.CoordError) as cm:
            coord.Client("ftp://nope", KEY)
        self.assertEqual(cm.exception.status_name, "COORD_ERR_INVALID_ARGUMENT")
        client = coord.Client(BASE, KEY)
        with self.assertRaises(coord.CoordError) as cm:
            client.set_timeouts(0, 0)
        self.assertEqual(cm.exception.status_name, "COORD_ERR_INVALID_ARGUMENT")
        with self.assertRaises(coord.CoordError) as cm:
            client.set_proxy("http://user:secret@127.0.0.1:3128")  # no credentials
        self.assertEqual(cm.exception.status_name, "COORD_ERR_INVALID_ARGUMENT")
        client.set_proxy("http://127.0.0.1:3128")
        client.set_proxy(None)
        client.set_proxy_from_environment(True)
        client.set_proxy_from_environment(False)
        client.close()
        client.close()
        with self.assertRaises(ValueError):
            client.end_session("PY-LOT", 1)


if __name__ == "__main__":
    if not SIM or not os.environ.get("COORD_LIBRARY"):
        sys.exit("run through tests/sim/with_sim.sh with COORD_LIBRARY set (make check-python)")
    unittest.main()
