"""The ctypes binding (examples/python/coord.py) against the simulator.

Run through tests/sim/with_sim.sh (COORD_SIM_URL, COORD_SIM_KEY) with
COORD_LIBRARY pointing at the libcoord.so under test; COORD_CC names the C
compiler for the layout check (default cc). Standard library only.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))

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
        exported = {line.split()[-1] for line in out.splitlines()
                    if line.split()[-1].startswith("coord_")}
        # the allocator hooks are C-only: a Python allocator cannot serve cJSON/libcurl safely
        missing = exported - set(coord._PROTOTYPES) - {"coord_set_allocator"}
        self.assertEqual(missing, set(), "exported by libcoord.so but not in coord.py")


class Library(unittest.TestCase):
    def test_version_and_texts(self):
        with open(os.path.join(ROOT, "include", "coord", "coord.h"), encoding="utf-8") as f:
            header = f.read()
        expected = re.search(r'#define COORD_VERSION_STRING "([^"]+)"', header).group(1)
        self.assertEqual(coord.version(), expected)
        self.assertEqual(coord.status_name(7), "COORD_ERR_NOT_FOUND")
        self.assertTrue(coord.strerror(2))

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
        self.assertGreaterEqual(s.end_time_ms - s.start_time_ms, 30 * 60 * 1000)
        self.assertTrue(s.end_time.endswith("Z"))
        self.assertIsNone(s.redemption_info)

    def test_one_exception_type_with_status_http_and_message(self):
        sid = sim("/_sim/sessions", {"location_id": "PY-LOT", "start_minutes_ago": 5})["id"]
        with self.user_client() as client:
            client.end_session("PY-LOT", sid)
            with self.assertRaises(coord.CoordError) as cm:
                client.end_session("PY-LOT", sid)
            e = cm.exception
            self.assertEqual((e.status_name, e.http_status, e.api_code),
                             ("COORD_ERR_ALREADY_ENDED", 409, 4091))
            self.assertTrue(e.message)
            self.assertIn(e.message, e.detail)
            with self.assertRaises(coord.CoordError) as cm:
                client.end_session("PY-LOT", 999999)
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_NOT_FOUND", 404))
            with self.assertRaises(coord.CoordError) as cm:
                client.end_session("", sid)
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_INVALID_ARGUMENT", 0))
        with coord.Client(BASE, "wrong-key") as client:
            with self.assertRaises(coord.CoordError) as cm:
                client.end_session("PY-LOT", sid)
            self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                             ("COORD_ERR_UNAUTHORIZED", 403))
            self.assertNotIn("wrong-key", str(cm.exception))

    def test_held_gate_controlled_session_is_refused_locally(self):
        held = coord.decode_session(json.dumps(sim("/_sim/sessions", {
            "location_id": "PY-LOT", "start_minutes_ago": 5, "gate_controlled": True})))
        self.assertEqual(held.redemption_info.barcode_format, "aztec")
        with self.user_client() as client:
            with self.assertRaises(coord.CoordError) as cm:
                client.session_end(held)
        self.assertEqual((cm.exception.status_name, cm.exception.http_status),
                         ("COORD_ERR_PHYSICAL_CHECKOUT", 0))

    def test_held_session_ends(self):
        held = coord.decode_session(json.dumps(sim("/_sim/sessions", {
            "location_id": "PY-LOT", "start_minutes_ago": 60})))
        with self.user_client() as client:
            ended = client.session_end(held)
        self.assertEqual(ended.id, held.id)
        self.assertEqual(ended.billing_info.cost.amount, 200)

    def test_session_lifecycle(self):
        sim("/_sim/locations", {"location_id": "PY-GATE", "gate_controlled": True})
        with coord.Client(BASE, KEY) as client:
            client.set_bearer_token(client.test_create_jwt("py@example.com", "py-1"))
            s = client.session_create("PY-LOT", "stall-1")
            self.assertEqual((s.location_id, s.resource_id), ("PY-LOT", "stall-1"))
            self.assertIsNotNone(s.start_time)
            with self.assertRaises(coord.CoordError) as cm:
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
            self.assertTrue(client.barcode_create().barcode_data.startswith("COORD-USER-"))
        self.assertEqual([x.id for x in coord.decode_session_list('[{"id": 3}, {"id": 4}]')],
                         [3, 4])
        with self.assertRaises(coord.CoordError) as cm:
            coord.decode_session_list('[{"id": 3}, {}]')
        self.assertEqual(cm.exception.detail, "field [1].id: missing")

    def test_bad_arguments_and_closed_client(self):
        with self.assertRaises(coord.CoordError) as cm:
            coord.Client("ftp://nope", KEY)
        self.assertEqual(cm.exception.status_name, "COORD_ERR_INVALID_ARGUMENT")
        client = coord.Client(BASE, KEY)
        with self.assertRaises(coord.CoordError) as cm:
            client.set_timeouts(0, 0)
        self.assertEqual(cm.exception.status_name, "COORD_ERR_INVALID_ARGUMENT")
        client.close()
        client.close()
        with self.assertRaises(ValueError):
            client.end_session("PY-LOT", 1)


if __name__ == "__main__":
    if not SIM or not os.environ.get("COORD_LIBRARY"):
        sys.exit("run through tests/sim/with_sim.sh with COORD_LIBRARY set (make check-python)")
    unittest.main()
