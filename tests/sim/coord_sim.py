#!/usr/bin/env python3
"""Coord Parking Access API simulator (Python 3 standard library only).

The Coord service is gone; this server stands in for it so that libcoord's
tests -- and anyone testing their own code offline -- talk to something real
over loopback HTTP/1.1 (keep-alive supported).

Running it yourself
-------------------
Installed by `make install` as coord-sim (or run tests/sim/coord_sim.py):

    coord-sim --port 8080 --access-key mykey --seed seed.json

then point the SDK's base URL at

    http://127.0.0.1:8080/v1/access/parking

and use "mykey" as the access key. Seed data with --seed (a JSON document,
see POST /_sim/seed) or through the control routes, e.g.

    curl -s -X POST http://127.0.0.1:8080/_sim/sessions \\
         -d '{"location_id": "L1", "start_minutes_ago": 90}'

Once listening, and seeded, the server prints three lines to stdout:
"COORD_SIM_PORT=<port>", "COORD_SIM_URL=<the base URL>" and
"COORD_SIM_KEY=<the first access key>"; SIGTERM or SIGINT stops it cleanly
(exit status 0). A seed file that is not valid JSON or not a valid seed
stops it before it listens (exit status 2, the reason on stderr).

Flags: --host (default 127.0.0.1), --port (default 0: the OS chooses),
--port-file PATH (the port is written there atomically, removed on exit),
--access-key KEY (default "sandbox-test-key"; repeat it to accept several
keys), --seed FILE.json, --verbose (log every request to stderr),
--tls-cert PEM --tls-key PEM (serve HTTPS with that certificate chain and
key instead of HTTP; each connection's handshake runs in its own thread, so
a client that rejects the certificate only ends its own connection),
--date-offset SECONDS (every answer's Date header runs that far ahead of
this machine's clock, behind when negative: a server whose clock differs
from the client's; see /_sim/clock),
--reference (print this text), --help.

API routes (base path /v1/access/parking)
-----------------------------------------
Every API route needs exactly one query parameter access_key equal to an
accepted key, otherwise: 403 {"code": 403, "message": "access key missing or
invalid"}. Every route except create_jwt is a user call: it also needs
"Authorization: Bearer <token>" with a token from create_jwt (or
/_sim/tokens), unexpired and signed by this process, otherwise: 401 {"code":
401, "message": "bearer token missing, invalid or expired"}. Routing happens
first (unknown route 404, wrong method 405), then the key, then the token,
then the route's own parameters. A user sees only their own sessions: another
user's session is 404 "session not found". Path segments are
percent-decoded one by one after the raw path is split on "/" (so
"a%2F..%2Fb%3Fx%3D1" is the location id "a/../b?x=1"); the query is parsed
from the raw request target.

PUT /v1/access/parking/{location_id}/session/{session_id}/end
    200  the session, now with end_time and billing_info
    400  {"code": 400, ...}   session_id is not a decimal int64
    404  {"code": 404, "message": "session not found"}   unknown location or session
    400  {"code": 4001, "message": "session checkout is controlled physically
         (redemption_info); end it at the gate"}   gate-controlled session
    409  {"code": 4091, "message": "session already ended"}

POST /v1/access/parking/{location_id}/session   body {} or {"resource_id": "..."}
    200  the new session: start_time now, or (gate-controlled location)
         redemption_info and no start_time until redeemed
    400  {"code": 400, ...}   body not a JSON object, unknown field, bad type
    404  {"code": 404, "message": "location not found"}   (seed it with /_sim/locations)
    409  {"code": 4092, "message": "user already has an active session at this
         location"}   the user has a session without end_time there

GET /v1/access/parking/{location_id}/session/{session_id}
    200  the session;  400 bad session_id;  404 "session not found"

GET /v1/access/parking/{location_id}/session
    200  [the user's sessions at the location, oldest first];  404 "location not found"

GET /v1/access/parking/session
    200  [the user's sessions at every location, in creation order]

POST /v1/access/parking/barcode   body {} (Coord never published it)
    200  {"data": "COORD-USER-<user_id>", "format": "aztec"};  400 unknown field

POST /v1/access/parking/testing/{location_id}/{session_id}/simulate_redemption
    body {"duration_m": 0..527040}: the user checked in at the gate now and
    out duration_m minutes later; start_time, end_time and the bill are set
    at once.
    200  the session, ended and billed
    400  {"code": 400, ...}    missing or bad duration_m, bad session_id
    400  {"code": 4002, "message": "session has no redemption_info: nothing to redeem"}
    403  {"code": 4031, "message": "simulate_redemption is only for test users"}
         (a token from /_sim/tokens with "test_user": false)
    404  "session not found";  409 {"code": 4091, ...} already ended

POST /v1/users/testing/create_jwt   (Users API: access key only, no token)
    body {"email": "a@b.c", "external_uid": "..."} (email required, 3..254
    bytes, one "@"); the same e-mail (any case) is always the same user, id
    uuid5(NAMESPACE_URL, "coord-sim:user:" + lower-case e-mail), a test user.
    200  {"jwt_token": "<header>.<claims>.<HS256 signature>"}, valid one hour
    400  {"code": 400, ...}   missing or bad email, unknown field

Every API answer (fault modes' answers included, control answers not)
carries X-Request-Id: sim-NNNNNNNN, a number this process never repeats;
a status fault's "headers" may set its own instead.

Any other path: 404 {"code": 404, "message": "no such route"}; a known path
with another method: 405 {"code": 405, ...} with an Allow header.

Sessions are rendered as the API sends them; absent fields are omitted and
only billing_info.cost is ever null:
    {"id": 1, "location_id": "L1", "user_id": "00000000-...",
     "resource_id": "...",          (only when set)
     "start_time": "2018-04-12T00:14:20.292Z",  (absent for a gate-controlled
                                                session not yet redeemed)
     "end_time": "...",             (only when ended)
     "billing_info": {"cost": {"amount": 300, "currency": "USD"}},
                                    (only when ended; cost is null while the
                                    location is cost_pending)
     "redemption_info": {"barcode": {"data": "COORD-L1-1", "format": "aztec"}}}
                                    (only for gate-controlled sessions)
Billing on end: whole_minutes = floor((end - start) / 60 s);
amount = ceil(hourly_rate * whole_minutes / 60), integer arithmetic.

Control routes (prefix /_sim, no access key, JSON in and out)
-------------------------------------------------------------
POST   /_sim/reset         clear locations, sessions, fault, last request and
                           counters; 200 {}
POST   /_sim/locations     {"location_id": "L", "hourly_rate": 200,
                           "currency": "USD", "gate_controlled": false,
                           "cost_pending": false}; creates or updates the
                           location (only the fields given change);
                           200 with the location
POST   /_sim/sessions      {"location_id": "L", "user_id": "...",
                           "resource_id": "...", "start_minutes_ago": 90,
                           "gate_controlled": bool, "ended": bool};
                           200 with the session exactly as the API renders it.
                           gate_controlled defaults to the location's
                           setting; a gate-controlled session has no
                           start_time unless start_minutes_ago is given;
                           "ended": true ends it now, with billing.
POST   /_sim/tokens        {"email": E | "user_id": U, "external_uid": X,
                           "test_user": true, "expires_in": 3600}: a token
                           without the API (e.g. for the seeded sessions'
                           DEFAULT user_id, or already expired with a
                           negative expires_in); 200 {"jwt_token", "user_id",
                           "email"}. With "token": T (1..4096 printable
                           ASCII, no spaces; not with expires_in) the token
                           is T itself: "Authorization: Bearer T" is that
                           user from then on, across resets, never expiring
                           (a fixed token for a test suite's configuration)
POST   /_sim/seed          {"locations": [bodies of /_sim/locations],
                            "sessions": [bodies of /_sim/sessions],
                            "tokens": [bodies of /_sim/tokens],
                            "fault": body of POST /_sim/fault}, every part
                           optional, applied in that order (what --seed
                           FILE.json applies at start). Every entry is
                           checked first: a bad one changes nothing, 400
                           naming it ("sessions[2]: missing field:
                           location_id"). 200 {"locations": [...],
                           "sessions": [the sessions as the API renders
                           them, with their ids], "tokens": [{"jwt_token",
                           "user_id", "email"}], "fault": {...} if armed}
GET    /_sim/stats         {"connections": N, "requests": M, "api_requests",
                           "control_requests", "api_connections"}, counted
                           since start or the last reset
GET    /_sim/last_request  the last API request: {"method", "target", "path",
                           "request_id" (its answer's X-Request-Id),
                           "query": {name: [values]}, "headers": {lower-case
                           name: value}, "body"}; 404 if none since reset
GET    /_sim/clock         {"date_offset": S, "age": A or null}: how far the
                           Date header of every answer runs ahead of this
                           machine's clock (seconds; --date-offset), and the
                           Age header API answers carry (null: none)
POST   /_sim/clock         {"date_offset": S, "age": A or null}, each
                           optional (only the fields given change); 200 with
                           the clock. A reset restores --date-offset, no Age
GET    /_sim/fault         the armed fault, or {} when none
POST   /_sim/fault         {"mode": M, "count": 1, ...}: the next `count` API
                           requests (never control requests) get fault M:
                             hang    read the request, send nothing for
                                     "seconds" (default 30; cut short by reset
                                     or shutdown), then close the connection
                             close   read the request, close with no answer
                             status  answer "status" (default 503) with raw
                                     "body" and "content_type" (default
                                     application/json and a Coord error body)
                                     and optional extra "headers" {name: value}
                             accept_close  read the request head, close at
                                     once (the body is not even read)
                             end_then_drop  perform the request (an end
                                     really ends), then close unanswered
                             truncate  the real answer with its full
                                     Content-Length but only "keep" bytes
                                     (default 16) of body, then close
                             reset   as truncate, then a TCP RST
                                     (SO_LINGER 0) instead of a FIN
                             slow_headers  the real answer, its header lines
                                     spread over "seconds" (default 1)
                             trickle  the real answer, its body in pieces of
                                     "bytes" (16) every "interval" s (0.05)
                             chunked  the real answer with Transfer-Encoding
                                     chunked, pieces of "bytes" (16)
                             gzip    the real answer gzip-compressed; with
                                     "pad_bytes" N, padded first with a
                                     member "pad" of N 'x' (a tiny body
                                     that inflates past any size cap); with
                                     "decoded_bytes" N, padded so that it
                                     decodes to exactly N bytes; "level"
                                     0..9 (default 9; 0 stores, and the
                                     encoded body is longer than the answer)
                             content_type  the real answer labelled with
                                     "content_type" (default text/plain)
                             invalid_utf8  the real answer with string
                                     member "field" (default user_id) set to
                                     the bytes caf + byte 0xE9 (not UTF-8)
                             nested  the real answer plus a member "nested"
                                     of "depth" (5000) nested arrays
                             throttle  "status" (503) with a Coord error
                                     body and Retry-After: "retry_after"
                                     seconds (1), as an HTTP-date when
                                     "http_date" is true
                             big_header  the real answer with one more
                                     header line of "bytes" (1 MiB)
                             many_headers  the real answer with "headers"
                                     (100000) more small header lines
                             declared_length  the real answer's head with
                                     Content-Length "length" (and
                                     Content-Encoding: gzip when "gzip" is
                                     true), then no body for "seconds" (5)
                             delay   the real answer after "seconds" (default
                                     0.05), on a connection that stays open
                                     (many calls in flight: arm it with a
                                     "count" of them)
                           Modes that send the real answer (truncate ..
                           declared_length, throttle excepted)
                           let the API act first and close the connection
                           after answering.
                           200 with the armed fault
DELETE /_sim/fault         disarm; 200 {}
GET    /_sim/ledger        the charge ledger: how many times each session was
                           really ended (an end the API applied, whether or
                           not its answer arrived): {"ends": [{"location_id",
                           "session_id", "count"}], "total": N, "max": M}
                           (M: the most ends of one session; 1 when none was
                           ended twice), since start or the last reset
POST   /_sim/drop_ends     {"rate": 0.25, "seed": 1}: from now on each end
                           the API applies loses its answer (the connection
                           closes unanswered) with probability "rate", drawn
                           from a generator seeded with "seed"; rate 0
                           stops it (so does reset). 200 {"rate", "seed"}
POST   /_sim/outage        {"seconds": 2.0}: a power cut at the server: every
                           open connection is dropped, the port refuses
                           connections for "seconds", then the simulator
                           listens again on the same port with its state
                           intact (a restart; seconds 0: a restart at once).
                           200 {"seconds"}, answered before the cut
A malformed control body (not a JSON object, unknown field, wrong type) gets
400 {"code": 400, "message": "..."}.
"""

from __future__ import annotations

import argparse
import errno
import gzip
import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

API_PREFIX = "/v1/access/parking"
CONTROL_PREFIX = "/_sim"
DEFAULT_ACCESS_KEY = "sandbox-test-key"
DEFAULT_USER_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_HOURLY_RATE = 200
DEFAULT_CURRENCY = "USD"
DEFAULT_HANG_SECONDS = 30.0
BARCODE_FORMAT = "aztec"
MAX_REQUEST_BODY = 1024 * 1024
INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
WAIT_STEP_SECONDS = 0.05
TLS_HANDSHAKE_SECONDS = 10.0

CODE_PHYSICAL_CHECKOUT = 4001
CODE_ALREADY_ENDED = 4091
MSG_BAD_KEY = "access key missing or invalid"
MSG_NO_SESSION = "session not found"
MSG_PHYSICAL_CHECKOUT = ("session checkout is controlled physically "
                         "(redemption_info); end it at the gate")
MSG_ALREADY_ENDED = "session already ended"

# Session lifecycle (issue 3): users, tokens and the calls made as a user.
USERS_PREFIX = "/v1/users"
TOKEN_LIFETIME_SECONDS = 3600
MAX_EMAIL_LENGTH = 254
MAX_REDEMPTION_MINUTES = 527040           # 366 days
CODE_NOT_GATE_CONTROLLED = 4002
CODE_NOT_TEST_USER = 4031
CODE_SESSION_ACTIVE = 4092
MSG_BAD_TOKEN = "bearer token missing, invalid or expired"
MSG_NO_LOCATION = "location not found"
MSG_SESSION_ACTIVE = "user already has an active session at this location"
MSG_NOT_GATE_CONTROLLED = "session has no redemption_info: nothing to redeem"
MSG_NOT_TEST_USER = "simulate_redemption is only for test users"


# --------------------------------------------------------------------------
# Replies and errors

@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: List[Tuple[str, str]] = field(default_factory=list)


def json_reply(obj: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def error_reply(status: int, code: int, message: str) -> Reply:
    return json_reply({"code": code, "message": message}, status)


class ApiError(Exception):
    """Raised anywhere in request handling; becomes a Coord error reply."""

    def __init__(self, status: int, code: int, message: str,
                 headers: Optional[List[Tuple[str, str]]] = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or []

    def reply(self) -> Reply:
        reply = error_reply(self.status, self.code, self.message)
        reply.headers.extend(self.headers)
        return reply


def bad_request(message: str) -> ApiError:
    return ApiError(400, 400, message)


# --------------------------------------------------------------------------
# Time and billing

def now_ms() -> int:
    return time.time_ns() // 1_000_000


def format_time(ms: int) -> str:
    """RFC 3339 UTC with milliseconds: 2018-04-12T00:14:20.292Z."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%03dZ" % millis


def compute_cost(hourly_rate: int, start_ms: int, end_ms: int) -> int:
    whole_minutes = max(0, (end_ms - start_ms) // 60_000)
    return -(-hourly_rate * whole_minutes // 60)  # ceiling division


# --------------------------------------------------------------------------
# Users and tokens

@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    external_uid: Optional[str] = None
    test_user: bool = True


def user_id_for(email: str) -> str:
    """The same e-mail (any case) is always the same user."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "coord-sim:user:" + email.lower()))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc))


# --------------------------------------------------------------------------
# Model

@dataclass
class Session:
    id: int
    location_id: str
    user_id: str
    resource_id: Optional[str] = None
    start_ms: Optional[int] = None
    end_ms: Optional[int] = None
    barcode: Optional[str] = None       # set for gate-controlled sessions
    amount: Optional[int] = None        # set once ended
    currency: Optional[str] = None
    seq: int = 0                        # creation order across locations

    @property
    def gate_controlled(self) -> bool:
        return self.barcode is not None

    @property
    def ended(self) -> bool:
        return self.end_ms is not None

    def end(self, location: "Location", at_ms: int) -> None:
        if self.start_ms is None:       # never redeemed: zero-length stay
            self.start_ms = at_ms
        self.end_ms = at_ms
        self.amount = compute_cost(location.hourly_rate, self.start_ms, at_ms)
        self.currency = location.currency

    def redeem(self, location: "Location", at_ms: int, duration_m: int) -> None:
        """Checked in at the gate at at_ms, out duration_m minutes later."""
        self.start_ms = at_ms
        self.end(location, at_ms + duration_m * 60_000)


@dataclass
class Location:
    location_id: str
    hourly_rate: int = DEFAULT_HOURLY_RATE
    currency: str = DEFAULT_CURRENCY
    gate_controlled: bool = False
    cost_pending: bool = False
    sessions: Dict[int, Session] = field(default_factory=dict)
    next_session_id: int = 1

    def to_json(self) -> Dict[str, Any]:
        return {"location_id": self.location_id, "hourly_rate": self.hourly_rate,
                "currency": self.currency, "gate_controlled": self.gate_controlled,
                "cost_pending": self.cost_pending}

    def add_session(self, user_id: str, resource_id: Optional[str],
                    start_ms: Optional[int], gate_controlled: bool, seq: int = 0) -> Session:
        session_id = self.next_session_id
        self.next_session_id += 1
        barcode = f"COORD-{self.location_id}-{session_id}" if gate_controlled else None
        session = Session(session_id, self.location_id, user_id, resource_id,
                          start_ms=start_ms, barcode=barcode, seq=seq)
        self.sessions[session_id] = session
        return session


def render_session(session: Session, location: Location) -> Dict[str, Any]:
    """The session as the API sends it: absent fields omitted."""
    out: Dict[str, Any] = {"id": session.id, "location_id": session.location_id,
                           "user_id": session.user_id}
    if session.resource_id is not None:
        out["resource_id"] = session.resource_id
    if session.start_ms is not None:
        out["start_time"] = format_time(session.start_ms)
    if session.end_ms is not None:
        out["end_time"] = format_time(session.end_ms)
        cost = None if location.cost_pending else {"amount": session.amount,
                                                   "currency": session.currency}
        out["billing_info"] = {"cost": cost}
    if session.barcode is not None:
        out["redemption_info"] = {"barcode": {"data": session.barcode,
                                              "format": BARCODE_FORMAT}}
    return out


# --------------------------------------------------------------------------
# Faults: mode name -> FaultMode(parse, apply). parse validates the mode's own
# fields of the POST /_sim/fault body and returns its parameters; apply acts
# on the handler instead of answering normally.

@dataclass(frozen=True)
class FaultMode:
    parse: Callable[[Dict[str, Any]], Dict[str, Any]]
    apply: Callable[["SimHandler", Dict[str, Any]], None]
    before_body: bool = False   # True: applied before the request body is read


@dataclass
class ArmedFault:
    mode: str
    remaining: int
    params: Dict[str, Any]

    def to_json(self) -> Dict[str, Any]:
        return {"mode": self.mode, "remaining": self.remaining, **self.params}


def _parse_hang(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"seconds": v_number(minimum=0)})
    return {"seconds": fields.get("seconds", DEFAULT_HANG_SECONDS)}


def _apply_hang(handler: "SimHandler", params: Dict[str, Any]) -> None:
    handler.wait_cancellable(params["seconds"])
    handler.close_connection = True


def _parse_close(body: Dict[str, Any]) -> Dict[str, Any]:
    check_fields(body, {})
    return {}


def _apply_close(handler: "SimHandler", params: Dict[str, Any]) -> None:
    handler.close_connection = True


def _parse_status(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"status": v_int(200, 599), "body": v_str(allow_empty=True),
                                 "content_type": v_str(), "headers": v_header_map})
    status = fields.get("status", 503)
    default_body = json.dumps({"code": status, "message": "simulated fault"})
    return {"status": status, "body": fields.get("body", default_body),
            "content_type": fields.get("content_type", "application/json"),
            "headers": fields.get("headers", {})}


def _apply_status(handler: "SimHandler", params: Dict[str, Any]) -> None:
    handler.send_reply(Reply(params["status"], params["body"].encode("utf-8"),
                             params["content_type"], list(params["headers"].items())))


FAULT_MODES: Dict[str, FaultMode] = {
    "hang": FaultMode(_parse_hang, _apply_hang),
    "close": FaultMode(_parse_close, _apply_close),
    "status": FaultMode(_parse_status, _apply_status),
}


# ---- Latency (the non-blocking API): the real answer, late. Unlike the
# faults below it keeps the connection open, so that calls in flight
# together each hold one.

def _parse_delay(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"seconds": v_number(minimum=0)})
    return {"seconds": fields.get("seconds", 0.05)}


def _apply_delay(handler: "SimHandler", params: Dict[str, Any]) -> None:
    handler.wait_cancellable(params["seconds"])
    handler.send_reply(_real_answer(handler))


FAULT_MODES["delay"] = FaultMode(_parse_delay, _apply_delay)


# ---- Network and encoding faults (hardening). Modes that take the real
# answer let the API handle the request first (its side effects happen), then
# deliver that answer damaged, slowed or re-encoded. They always close the
# connection afterwards.

def _real_answer(handler: "SimHandler") -> Reply:
    reply = run_safely(handle_api, handler.server.state, handler.api_request)
    reply.headers = handler.request_id_header(reply.headers) + reply.headers
    return reply


def _head(reply: Reply, headers: List[Tuple[str, str]]) -> List[bytes]:
    """Status line and header lines of a raw answer, blank line included."""
    phrase = BaseHTTPRequestHandler.responses.get(reply.status, ("",))[0]
    lines = [f"HTTP/1.1 {reply.status} {phrase}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in
              [("Server", "CoordSim/1.0"), ("Date", formatdate(usegmt=True)),
               ("Content-Type", reply.content_type)] + reply.headers + headers +
              [("Connection", "close")]]
    return [line.encode("latin-1") for line in lines] + [b"\r\n"]


def _send_raw(handler: "SimHandler", parts: List[bytes], interval: float = 0.0) -> None:
    handler.close_connection = True
    for i, part in enumerate(parts):
        if i and interval:
            handler.wait_cancellable(interval)
        handler.wfile.write(part)


def _with_member(body: bytes, member: bytes) -> bytes:
    """Add ',"name": value' to a JSON object's text."""
    return body[:-1] + b"," + member + b"}" if body.endswith(b"}") else body


def _pieces(data: bytes, size: int) -> List[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def _no_fields(body: Dict[str, Any]) -> Dict[str, Any]:
    check_fields(body, {})
    return {}


def _apply_accept_close(handler: "SimHandler", params: Dict[str, Any]) -> None:
    handler.close_connection = True     # not even the body is read


def _apply_end_then_drop(handler: "SimHandler", params: Dict[str, Any]) -> None:
    _real_answer(handler)               # the request takes effect ...
    handler.close_connection = True     # ... and its answer is lost


def _parse_keep(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"keep": v_int(minimum=0)})
    return {"keep": fields.get("keep", 16)}


def _apply_truncate(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    head = _head(reply, [("Content-Length", str(len(reply.body)))])
    _send_raw(handler, head + [reply.body[:params["keep"]]])


def _apply_reset(handler: "SimHandler", params: Dict[str, Any]) -> None:
    _apply_truncate(handler, params)
    handler.wait_cancellable(0.1)       # let the client read the part
    # SO_LINGER 0: close() sends RST. The descriptor really closes when the
    # handler's file objects do, before any shutdown() could send a FIN.
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


def _parse_slow_headers(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"seconds": v_number(minimum=0)})
    return {"seconds": fields.get("seconds", 1.0)}


def _apply_slow_headers(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    head = _head(reply, [("Content-Length", str(len(reply.body)))])
    _send_raw(handler, head + [reply.body], params["seconds"] / len(head))


def _parse_trickle(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"bytes": v_int(minimum=1), "interval": v_number(minimum=0)})
    return {"bytes": fields.get("bytes", 16), "interval": fields.get("interval", 0.05)}


def _apply_trickle(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    head = b"".join(_head(reply, [("Content-Length", str(len(reply.body)))]))
    _send_raw(handler, [head] + _pieces(reply.body, params["bytes"]), params["interval"])


def _parse_chunked(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"bytes": v_int(minimum=1)})
    return {"bytes": fields.get("bytes", 16)}


def _apply_chunked(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    chunks = [b"%x\r\n%s\r\n" % (len(p), p) for p in _pieces(reply.body, params["bytes"])]
    _send_raw(handler, _head(reply, [("Transfer-Encoding", "chunked")]) + chunks + [b"0\r\n\r\n"])


def _parse_gzip(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"pad_bytes": v_int(minimum=0),
                                 "decoded_bytes": v_int(minimum=0), "level": v_int(0, 9)})
    return {"pad_bytes": fields.get("pad_bytes", 0),
            "decoded_bytes": fields.get("decoded_bytes", 0), "level": fields.get("level", 9)}


def _pad_member(size: int) -> bytes:
    return b'"pad":"' + b"x" * size + b'"'


def _apply_gzip(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    body = reply.body
    pad = params["pad_bytes"]
    if params["decoded_bytes"]:         # exactly that long once decoded
        pad = max(0, params["decoded_bytes"] - len(_with_member(body, _pad_member(0))))
    if pad:                             # compresses to almost nothing
        body = _with_member(body, _pad_member(pad))
    packed = gzip.compress(body, compresslevel=params["level"])
    _send_raw(handler, _head(reply, [("Content-Encoding", "gzip"),
                                     ("Content-Length", str(len(packed)))]) + [packed])


def _parse_content_type(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"content_type": v_str()})
    return {"content_type": fields.get("content_type", "text/plain")}


def _apply_content_type(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    reply.content_type = params["content_type"]
    handler.send_reply(reply, close=True)


def _parse_invalid_utf8(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"field": v_str()})
    return {"field": fields.get("field", "user_id")}


def _apply_invalid_utf8(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    if reply.status == 200:
        session = json.loads(reply.body)
        session[params["field"]] = "@INVALID@"
        # "café" in Latin-1: the lone byte 0xE9 is not UTF-8
        reply.body = json.dumps(session).encode().replace(b"@INVALID@", b"caf\xe9")
    handler.send_reply(reply, close=True)


def _parse_nested(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"depth": v_int(minimum=1, maximum=1_000_000)})
    return {"depth": fields.get("depth", 5000)}


def _apply_nested(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    depth = params["depth"]
    reply.body = _with_member(reply.body, b'"nested":' + b"[" * depth + b"]" * depth)
    handler.send_reply(reply, close=True)


def _parse_throttle(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"status": v_int(400, 599), "retry_after": v_int(minimum=0),
                                 "http_date": v_bool})
    return {"status": fields.get("status", 503), "retry_after": fields.get("retry_after", 1),
            "http_date": fields.get("http_date", False)}


def _apply_throttle(handler: "SimHandler", params: Dict[str, Any]) -> None:
    seconds = params["retry_after"]
    # an HTTP-date is computed when sent, so that it lies `seconds` ahead
    value = formatdate(time.time() + seconds, usegmt=True) if params["http_date"] \
        else str(seconds)
    reply = error_reply(params["status"], params["status"], "simulated throttling")
    reply.headers.append(("Retry-After", value))
    handler.send_reply(reply)


# ---- Hostile answers (issue 12): header blocks past libcurl's limits, and
# a length no allowed answer could have.

def _parse_big_header(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"bytes": v_int(1, 64 << 20)})
    return {"bytes": fields.get("bytes", 1 << 20)}


def _apply_big_header(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    head = _head(reply, [("X-Big", "a" * params["bytes"]),
                         ("Content-Length", str(len(reply.body)))])
    _send_raw(handler, [b"".join(head), reply.body])


def _parse_many_headers(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"headers": v_int(1, 10_000_000)})
    return {"headers": fields.get("headers", 100_000)}


def _apply_many_headers(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    extra = [(f"X-{i}", "v") for i in range(params["headers"])]
    head = _head(reply, extra + [("Content-Length", str(len(reply.body)))])
    _send_raw(handler, [b"".join(head), reply.body])


def _parse_declared_length(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, {"length": v_int(minimum=0), "gzip": v_bool,
                                 "seconds": v_number(minimum=0)})
    return {"length": fields.get("length", 1 << 30), "gzip": fields.get("gzip", False),
            "seconds": fields.get("seconds", 5.0)}


def _apply_declared_length(handler: "SimHandler", params: Dict[str, Any]) -> None:
    reply = _real_answer(handler)
    coding = [("Content-Encoding", "gzip")] if params["gzip"] else []
    _send_raw(handler, _head(reply, coding + [("Content-Length", str(params["length"]))]))
    handler.wait_cancellable(params["seconds"])


FAULT_MODES.update({
    "accept_close": FaultMode(_no_fields, _apply_accept_close, before_body=True),
    "end_then_drop": FaultMode(_no_fields, _apply_end_then_drop),
    "truncate": FaultMode(_parse_keep, _apply_truncate),
    "reset": FaultMode(_parse_keep, _apply_reset),
    "slow_headers": FaultMode(_parse_slow_headers, _apply_slow_headers),
    "trickle": FaultMode(_parse_trickle, _apply_trickle),
    "chunked": FaultMode(_parse_chunked, _apply_chunked),
    "gzip": FaultMode(_parse_gzip, _apply_gzip),
    "content_type": FaultMode(_parse_content_type, _apply_content_type),
    "invalid_utf8": FaultMode(_parse_invalid_utf8, _apply_invalid_utf8),
    "nested": FaultMode(_parse_nested, _apply_nested),
    "throttle": FaultMode(_parse_throttle, _apply_throttle),
    "big_header": FaultMode(_parse_big_header, _apply_big_header),
    "many_headers": FaultMode(_parse_many_headers, _apply_many_headers),
    "declared_length": FaultMode(_parse_declared_length, _apply_declared_length),
})


# --------------------------------------------------------------------------
# State

class SimState:
    """All mutable simulator state; every access holds self.lock."""

    def __init__(self, access_keys: List[str]):
        self.access_keys = frozenset(access_keys)
        self.token_secret = os.urandom(32)  # signs test tokens; kept across resets
        self.fixed_tokens: Dict[str, User] = {}  # seeded tokens; kept across resets too
        self.lock = threading.Lock()
        self.stopping = threading.Event()   # set on server shutdown
        self.outage_requested = threading.Event()  # POST /_sim/outage
        self.generation = 0                 # bumped by every reset
        self.start_date_offset = 0.0        # --date-offset: what a reset restores
        self._clear()

    def _clear(self) -> None:
        self.locations: Dict[str, Location] = {}
        self.session_seq = itertools.count(1)
        self.fault: Optional[ArmedFault] = None
        self.request_ids = 0
        self.date_offset = getattr(self, "start_date_offset", 0.0)
        self.age: Optional[int] = None
        self.last_request: Optional[Dict[str, Any]] = None
        self.counters = dict.fromkeys(("connections", "requests", "api_requests",
                                       "control_requests", "api_connections"), 0)
        self.ledger: Dict[Tuple[str, int], int] = {}   # ends applied, per session
        self.drop_rate = 0.0
        self.drop_rng = random.Random(0)
        self.outage: Optional[float] = None            # seconds of a requested outage

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self._clear()

    # counters -------------------------------------------------------------

    def count_connection(self) -> None:
        with self.lock:
            self.counters["connections"] += 1

    def next_request_id(self) -> str:
        """The X-Request-Id of the next API answer: never repeated by this
        process (resets do not restart it)."""
        with self.lock:
            self.request_ids += 1
            return f"sim-{self.request_ids:08d}"

    def count_request(self, control: bool, connection_generation: Optional[int]) -> int:
        """Count one request. An API request on a connection whose last API
        request predates the current generation also counts an API
        connection. Returns the current generation."""
        with self.lock:
            self.counters["requests"] += 1
            if control:
                self.counters["control_requests"] += 1
            else:
                self.counters["api_requests"] += 1
                if connection_generation != self.generation:
                    self.counters["api_connections"] += 1
            return self.generation

    def stats(self) -> Dict[str, int]:
        with self.lock:
            return dict(self.counters)

    # the clock the answers tell -------------------------------------------

    def set_clock(self, fields: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            if "date_offset" in fields:
                self.date_offset = fields["date_offset"]
            if "age" in fields:
                self.age = fields["age"]
            return {"date_offset": self.date_offset, "age": self.age}

    def clock(self) -> Tuple[float, Optional[int]]:
        with self.lock:
            return self.date_offset, self.age

    # requests and faults --------------------------------------------------

    def record_last_request(self, record: Dict[str, Any]) -> None:
        with self.lock:
            self.last_request = record

    def get_last_request(self) -> Optional[Dict[str, Any]]:
        with self.lock:
            return self.last_request

    def arm_fault(self, fault: Optional[ArmedFault]) -> None:
        with self.lock:
            self.fault = fault

    def get_fault(self) -> Optional[ArmedFault]:
        with self.lock:
            return self.fault

    def take_fault(self) -> Optional[ArmedFault]:
        """Consume one use of the armed fault, if any."""
        with self.lock:
            fault = self.fault
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.fault = None
            return fault

    # locations and sessions ---------------------------------------------

    def _location(self, location_id: str) -> Location:
        location = self.locations.get(location_id)
        if location is None:
            location = self.locations[location_id] = Location(location_id)
        return location

    def upsert_location(self, fields: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            location = self._location(fields["location_id"])
            for name in ("hourly_rate", "currency", "gate_controlled", "cost_pending"):
                if name in fields:
                    setattr(location, name, fields[name])
            return location.to_json()

    def create_session(self, fields: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            location = self._location(fields["location_id"])
            gate = fields.get("gate_controlled", location.gate_controlled)
            now = now_ms()
            start = None
            if "start_minutes_ago" in fields:
                start = now - round(fields["start_minutes_ago"] * 60_000)
            elif not gate:
                start = now
            session = location.add_session(fields.get("user_id", DEFAULT_USER_ID),
                                           fields.get("resource_id"), start, gate,
                                           next(self.session_seq))
            if fields.get("ended", False):
                session.end(location, now)
            return render_session(session, location)

    def end_session(self, location_id: str, session_id: int, user: "User") -> Dict[str, Any]:
        with self.lock:
            location, session = self._user_session(location_id, session_id, user)
            if session.gate_controlled:
                raise ApiError(400, CODE_PHYSICAL_CHECKOUT, MSG_PHYSICAL_CHECKOUT)
            if session.ended:
                raise ApiError(409, CODE_ALREADY_ENDED, MSG_ALREADY_ENDED)
            session.end(location, now_ms())
            key = (location_id, session_id)
            self.ledger[key] = self.ledger.get(key, 0) + 1
            return render_session(session, location)

    def ledger_json(self) -> Dict[str, Any]:
        with self.lock:
            ends = [{"location_id": loc, "session_id": sid, "count": n}
                    for (loc, sid), n in sorted(self.ledger.items())]
            return {"ends": ends, "total": sum(self.ledger.values()),
                    "max": max(self.ledger.values(), default=0)}

    def set_drop_ends(self, rate: float, seed: int) -> None:
        with self.lock:
            self.drop_rate = rate
            self.drop_rng = random.Random(seed)

    def drop_this_end(self) -> bool:
        with self.lock:
            return self.drop_rate > 0 and self.drop_rng.random() < self.drop_rate

    # users and their calls (issue 3) -------------------------------------

    def _user_session(self, location_id: str, session_id: int,
                      user: "User") -> Tuple[Location, Session]:
        """The user's session, or 404: other users' sessions are invisible."""
        location = self.locations.get(location_id)
        session = location.sessions.get(session_id) if location else None
        if session is None or session.user_id != user.user_id:
            raise ApiError(404, 404, MSG_NO_SESSION)
        return location, session

    def _known_location(self, location_id: str) -> Location:
        location = self.locations.get(location_id)
        if location is None:
            raise ApiError(404, 404, MSG_NO_LOCATION)
        return location

    def open_session(self, location_id: str, user: "User",
                     resource_id: Optional[str]) -> Dict[str, Any]:
        with self.lock:
            location = self._known_location(location_id)
            if any(s.user_id == user.user_id and not s.ended
                   for s in location.sessions.values()):
                raise ApiError(409, CODE_SESSION_ACTIVE, MSG_SESSION_ACTIVE)
            gate = location.gate_controlled
            session = location.add_session(user.user_id, resource_id,
                                           None if gate else now_ms(), gate,
                                           next(self.session_seq))
            return render_session(session, location)

    def get_session(self, location_id: str, session_id: int, user: "User") -> Dict[str, Any]:
        with self.lock:
            location, session = self._user_session(location_id, session_id, user)
            return render_session(session, location)

    def location_sessions(self, location_id: str, user: "User") -> List[Dict[str, Any]]:
        with self.lock:
            location = self._known_location(location_id)
            return [render_session(s, location) for s in location.sessions.values()
                    if s.user_id == user.user_id]

    def user_sessions(self, user: "User") -> List[Dict[str, Any]]:
        with self.lock:
            mine = [(s, location) for location in self.locations.values()
                    for s in location.sessions.values() if s.user_id == user.user_id]
            mine.sort(key=lambda pair: pair[0].seq)
            return [render_session(s, location) for s, location in mine]

    def simulate_redemption(self, location_id: str, session_id: int, user: "User",
                            duration_m: int) -> Dict[str, Any]:
        with self.lock:
            if not user.test_user:
                raise ApiError(403, CODE_NOT_TEST_USER, MSG_NOT_TEST_USER)
            location, session = self._user_session(location_id, session_id, user)
            if not session.gate_controlled:
                raise ApiError(400, CODE_NOT_GATE_CONTROLLED, MSG_NOT_GATE_CONTROLLED)
            if session.ended:
                raise ApiError(409, CODE_ALREADY_ENDED, MSG_ALREADY_ENDED)
            session.redeem(location, now_ms(), duration_m)
            return render_session(session, location)

    # tokens: HS256 JWTs signed with this process's secret -------------------

    def issue_token(self, user: "User", lifetime_s: float = TOKEN_LIFETIME_SECONDS) -> str:
        now = int(time.time())
        claims = {"sub": user.user_id, "email": user.email, "test": user.test_user,
                  "iat": now, "exp": now + int(lifetime_s)}
        if user.external_uid is not None:
            claims["external_uid"] = user.external_uid
        signing_input = (b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        return signing_input + "." + b64url(self._sign(signing_input))

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(self.token_secret, signing_input.encode(), hashlib.sha256).digest()

    def add_fixed_token(self, token: str, user: "User") -> None:
        with self.lock:
            self.fixed_tokens[token] = user

    def authenticate(self, authorization: Optional[str]) -> "User":
        """The user of an "Authorization: Bearer <JWT or seeded token>" header, or 401."""
        scheme, _, token = (authorization or "").partition(" ")
        with self.lock:
            fixed = self.fixed_tokens.get(token.strip())
        if scheme.lower() == "bearer" and fixed is not None:
            return fixed
        parts = token.strip().split(".")
        if scheme.lower() != "bearer" or len(parts) != 3:
            raise ApiError(401, 401, MSG_BAD_TOKEN)
        try:
            signature = b64url_decode(parts[2])
            claims = json.loads(b64url_decode(parts[1]))
        except ValueError:
            raise ApiError(401, 401, MSG_BAD_TOKEN)
        if not hmac.compare_digest(signature, self._sign(parts[0] + "." + parts[1])) \
                or not isinstance(claims, dict) or claims.get("exp", 0) <= time.time():
            raise ApiError(401, 401, MSG_BAD_TOKEN)
        return User(claims["sub"], claims["email"], claims.get("external_uid"),
                    bool(claims.get("test")))


# --------------------------------------------------------------------------
# Control-body validation

Validator = Callable[[str, Any], Any]


def parse_json_object(body: bytes) -> Dict[str, Any]:
    try:
        obj = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"body is not valid JSON: {exc}")
    if not isinstance(obj, dict):
        raise bad_request("body must be a JSON object")
    return obj


def check_fields(obj: Dict[str, Any], validators: Dict[str, Validator],
                 required: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """Validate obj against validators; null means "absent"."""
    unknown = sorted(set(obj) - set(validators))
    if unknown:
        raise bad_request("unknown field(s): " + ", ".join(unknown))
    present = {name: value for name, value in obj.items() if value is not None}
    for name in required:
        if name not in present:
            raise bad_request(f"missing field: {name}")
    return {name: validators[name](name, value) for name, value in present.items()}


def v_str(allow_empty: bool = False) -> Validator:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or (not value and not allow_empty):
            raise bad_request(f"{name} must be a{'' if allow_empty else ' non-empty'} string")
        return value
    return check


def v_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be a boolean")
    return value


def v_int(minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> Validator:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) \
                or not minimum <= value <= maximum:
            raise bad_request(f"{name} must be an integer in [{minimum}, {maximum}]")
        return value
    return check


def v_number(minimum: float) -> Validator:
    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise bad_request(f"{name} must be a number >= {minimum}")
        return value
    return check


def v_header_map(name: str, value: Any) -> Dict[str, str]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise bad_request(f"{name} must be an object of strings")
    return value


def parse_int64(text: str, what: str) -> int:
    if not re.fullmatch(r"-?[0-9]+", text) or not INT64_MIN <= int(text) <= INT64_MAX:
        raise bad_request(f"{what} must be a decimal int64")
    return int(text)


# --------------------------------------------------------------------------
# Requests and routing

@dataclass
class Request:
    method: str
    target: str                 # raw request target, query included
    path: str                   # raw (undecoded) path
    query: Dict[str, List[str]]
    headers: Dict[str, str]     # lower-case names
    body: bytes
    params: Dict[str, str] = field(default_factory=dict)   # from the route pattern
    user: Optional[User] = None                             # set by user_call

    def to_json(self) -> Dict[str, Any]:
        return {"method": self.method, "target": self.target, "path": self.path,
                "query": self.query, "headers": self.headers,
                "body": self.body.decode("utf-8", errors="replace")}


Handler = Callable[[SimState, Request], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: Tuple[str, ...]    # "/"-split segments; "{name}" captures one segment
    handler: Handler

    def match(self, segments: List[str]) -> Optional[Dict[str, str]]:
        if len(segments) != len(self.pattern):
            return None
        params = {}
        for want, got in zip(self.pattern, segments):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


def route(method: str, pattern: str, handler: Handler) -> Route:
    return Route(method, tuple(pattern.split("/")), handler)


def decode_segments(raw_path: str) -> List[str]:
    """Split the raw path on "/", then percent-decode each segment."""
    try:
        return [unquote(segment, errors="strict") for segment in raw_path.split("/")]
    except UnicodeDecodeError:
        raise bad_request("path is not valid percent-encoded UTF-8")


class Router:
    def __init__(self, routes: List[Route]):
        self.routes = routes

    def resolve(self, request: Request) -> Handler:
        """Find the handler and fill request.params; 404 or 405 otherwise."""
        segments = decode_segments(request.path)
        allowed = []
        for candidate in self.routes:
            params = candidate.match(segments)
            if params is None:
                continue
            if candidate.method == request.method:
                request.params = params
                return candidate.handler
            allowed.append(candidate.method)
        if allowed:
            raise ApiError(405, 405, f"method {request.method} not allowed here",
                           [("Allow", ", ".join(sorted(set(allowed))))])
        raise ApiError(404, 404, "no such route")


# --------------------------------------------------------------------------
# API handlers

def user_call(handler: Handler) -> Handler:
    """A call made as a user: needs a valid bearer token (401 otherwise),
    checked after the access key and before the route's own parameters."""
    def authenticated(state: SimState, request: Request) -> Reply:
        request.user = state.authenticate(request.headers.get("authorization"))
        return handler(state, request)
    return authenticated


def session_params(request: Request) -> Tuple[str, int]:
    return (request.params["location_id"],
            parse_int64(request.params["session_id"], "session_id"))


@user_call
def api_end_session(state: SimState, request: Request) -> Reply:
    return json_reply(state.end_session(*session_params(request), request.user))


@user_call
def api_create_session(state: SimState, request: Request) -> Reply:
    fields = check_fields(parse_json_object(request.body), {"resource_id": v_str()})
    return json_reply(state.open_session(request.params["location_id"], request.user,
                                         fields.get("resource_id")))


@user_call
def api_get_session(state: SimState, request: Request) -> Reply:
    return json_reply(state.get_session(*session_params(request), request.user))


@user_call
def api_location_sessions(state: SimState, request: Request) -> Reply:
    return json_reply(state.location_sessions(request.params["location_id"], request.user))


@user_call
def api_user_sessions(state: SimState, request: Request) -> Reply:
    return json_reply(state.user_sessions(request.user))


@user_call
def api_create_barcode(state: SimState, request: Request) -> Reply:
    check_fields(parse_json_object(request.body), {})
    return json_reply({"data": f"COORD-USER-{request.user.user_id}",
                       "format": BARCODE_FORMAT})


@user_call
def api_simulate_redemption(state: SimState, request: Request) -> Reply:
    fields = check_fields(parse_json_object(request.body),
                          {"duration_m": v_int(0, MAX_REDEMPTION_MINUTES)},
                          required=("duration_m",))
    return json_reply(state.simulate_redemption(*session_params(request), request.user,
                                                fields["duration_m"]))


def v_email(name: str, value: Any) -> str:
    if not isinstance(value, str) or not 3 <= len(value) <= MAX_EMAIL_LENGTH \
            or not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
        raise bad_request(f"{name} must be an e-mail address")
    return value


def api_create_jwt(state: SimState, request: Request) -> Reply:
    fields = check_fields(parse_json_object(request.body),
                          {"email": v_email, "external_uid": v_str()}, required=("email",))
    user = User(user_id_for(fields["email"]), fields["email"], fields.get("external_uid"))
    return json_reply({"jwt_token": state.issue_token(user)})


API_ROUTER = Router([
    route("PUT", API_PREFIX + "/{location_id}/session/{session_id}/end", api_end_session),
    route("POST", API_PREFIX + "/{location_id}/session", api_create_session),
    route("GET", API_PREFIX + "/{location_id}/session", api_location_sessions),
    route("GET", API_PREFIX + "/{location_id}/session/{session_id}", api_get_session),
    route("GET", API_PREFIX + "/session", api_user_sessions),
    route("POST", API_PREFIX + "/barcode", api_create_barcode),
    route("POST", API_PREFIX + "/testing/{location_id}/{session_id}/simulate_redemption",
          api_simulate_redemption),
    route("POST", USERS_PREFIX + "/testing/create_jwt", api_create_jwt),
])


def check_access_key(state: SimState, request: Request) -> None:
    keys = request.query.get("access_key", [])
    if len(keys) != 1 or keys[0] not in state.access_keys:
        raise ApiError(403, 403, MSG_BAD_KEY)


def handle_api(state: SimState, request: Request) -> Reply:
    handler = API_ROUTER.resolve(request)
    check_access_key(state, request)
    return handler(state, request)


# --------------------------------------------------------------------------
# Control handlers

LOCATION_FIELDS: Dict[str, Validator] = {
    "location_id": v_str(), "hourly_rate": v_int(minimum=0), "currency": v_str(),
    "gate_controlled": v_bool, "cost_pending": v_bool,
}

SESSION_FIELDS: Dict[str, Validator] = {
    "location_id": v_str(), "user_id": v_str(), "resource_id": v_str(),
    "start_minutes_ago": v_number(minimum=0), "gate_controlled": v_bool, "ended": v_bool,
}


def ctl_reset(state: SimState, request: Request) -> Reply:
    state.reset()
    return json_reply({})


def location_fields(body: Dict[str, Any]) -> Dict[str, Any]:
    return check_fields(body, LOCATION_FIELDS, required=("location_id",))


def session_fields(body: Dict[str, Any]) -> Dict[str, Any]:
    return check_fields(body, SESSION_FIELDS, required=("location_id",))


def ctl_upsert_location(state: SimState, request: Request) -> Reply:
    return json_reply(state.upsert_location(location_fields(parse_json_object(request.body))))


def ctl_create_session(state: SimState, request: Request) -> Reply:
    return json_reply(state.create_session(session_fields(parse_json_object(request.body))))


def v_fixed_token(name: str, value: Any) -> str:
    """A seeded token: what an Authorization header can carry after "Bearer "."""
    if not isinstance(value, str) or not re.fullmatch(r"[\x21-\x7e]{1,4096}", value):
        raise bad_request(f"{name} must be 1..4096 printable ASCII characters, no spaces")
    return value


TOKEN_FIELDS: Dict[str, Validator] = {
    "email": v_email, "user_id": v_str(), "external_uid": v_str(), "test_user": v_bool,
    "expires_in": v_number(minimum=-1e9), "token": v_fixed_token,
}


def token_fields(body: Dict[str, Any]) -> Dict[str, Any]:
    fields = check_fields(body, TOKEN_FIELDS)
    if "email" not in fields and "user_id" not in fields:
        raise bad_request("give email or user_id")
    if "token" in fields and "expires_in" in fields:
        raise bad_request("a seeded token never expires: give token or expires_in")
    return fields


def issue_token(state: SimState, fields: Dict[str, Any]) -> Dict[str, Any]:
    """A signed JWT for the user, or the seeded "token" registered for them."""
    user_id = fields.get("user_id") or user_id_for(fields["email"])
    user = User(user_id, fields.get("email", f"{user_id}@sim.invalid"),
                fields.get("external_uid"), fields.get("test_user", True))
    if "token" in fields:
        state.add_fixed_token(fields["token"], user)
        token = fields["token"]
    else:
        token = state.issue_token(user, fields.get("expires_in", TOKEN_LIFETIME_SECONDS))
    return {"jwt_token": token, "user_id": user.user_id, "email": user.email}


def ctl_issue_token(state: SimState, request: Request) -> Reply:
    return json_reply(issue_token(state, token_fields(parse_json_object(request.body))))


def ctl_stats(state: SimState, request: Request) -> Reply:
    return json_reply(state.stats())


def ctl_last_request(state: SimState, request: Request) -> Reply:
    last = state.get_last_request()
    if last is None:
        raise ApiError(404, 404, "no API request seen since start or reset")
    return json_reply(last)


CLOCK_FIELDS: Dict[str, Validator] = {
    "date_offset": v_number(minimum=-1e10), "age": v_int(minimum=0),
}


def ctl_get_clock(state: SimState, request: Request) -> Reply:
    return json_reply(state.set_clock({}))


def ctl_set_clock(state: SimState, request: Request) -> Reply:
    body = parse_json_object(request.body)
    fields = check_fields(body, CLOCK_FIELDS)
    if "age" in body and body["age"] is None:
        fields["age"] = None            # here null is a value: no Age header
    return json_reply(state.set_clock(fields))


def ctl_get_fault(state: SimState, request: Request) -> Reply:
    fault = state.get_fault()
    return json_reply(fault.to_json() if fault else {})


def fault_from(body: Dict[str, Any]) -> ArmedFault:
    body = dict(body)
    mode_name = body.pop("mode", None)
    if not isinstance(mode_name, str) or mode_name not in FAULT_MODES:
        raise bad_request("mode must be one of: " + ", ".join(sorted(FAULT_MODES)))
    count = body.pop("count", None)
    count = 1 if count is None else v_int(minimum=1)("count", count)
    return ArmedFault(mode_name, count, FAULT_MODES[mode_name].parse(body))


def ctl_arm_fault(state: SimState, request: Request) -> Reply:
    fault = fault_from(parse_json_object(request.body))
    state.arm_fault(fault)
    return json_reply(fault.to_json())


def ctl_disarm_fault(state: SimState, request: Request) -> Reply:
    state.arm_fault(None)
    return json_reply({})


# ---- Seeding: coord-sim --seed FILE.json and POST /_sim/seed ---------------
# One document seeds what the control routes above seed one at a time; its
# entries are those routes' bodies. Every entry is checked before any is
# applied, so a bad document changes nothing.

SEED_LISTS = {"locations": location_fields, "sessions": session_fields, "tokens": token_fields}


def seed_document(doc: Any) -> Dict[str, Any]:
    """The document checked: {"locations": [...], "sessions": [...],
    "tokens": [...], "fault": {...}}, every part optional."""
    if not isinstance(doc, dict):
        raise bad_request("a seed is a JSON object")
    unknown = sorted(set(doc) - set(SEED_LISTS) - {"fault"})
    if unknown:
        raise bad_request("unknown seed part(s): " + ", ".join(unknown)
                          + "; known: fault, locations, sessions, tokens")
    checked: Dict[str, Any] = {}
    for part, check in SEED_LISTS.items():
        entries = doc.get(part, [])
        if not isinstance(entries, list):
            raise bad_request(f"{part} must be a list of objects")
        checked[part] = []
        for index, entry in enumerate(entries):
            try:
                if not isinstance(entry, dict):
                    raise bad_request("not an object")
                checked[part].append(check(entry))
            except ApiError as exc:
                raise bad_request(f"{part}[{index}]: {exc.message}")
    if doc.get("fault") is not None:
        if not isinstance(doc["fault"], dict):
            raise bad_request("fault must be an object")
        try:
            checked["fault"] = fault_from(doc["fault"])
        except ApiError as exc:
            raise bad_request(f"fault: {exc.message}")
    return checked


def apply_seed(state: SimState, doc: Any) -> Dict[str, Any]:
    """Seed the state; returns what each entry made (locations, sessions
    as the API renders them, tokens, the armed fault)."""
    checked = seed_document(doc)
    made = {"locations": [state.upsert_location(f) for f in checked["locations"]],
            "sessions": [state.create_session(f) for f in checked["sessions"]],
            "tokens": [issue_token(state, f) for f in checked["tokens"]]}
    if "fault" in checked:
        state.arm_fault(checked["fault"])
        made["fault"] = checked["fault"].to_json()
    return made


def ctl_ledger(state: SimState, request: Request) -> Reply:
    return json_reply(state.ledger_json())


def ctl_drop_ends(state: SimState, request: Request) -> Reply:
    fields = check_fields(parse_json_object(request.body),
                          {"rate": v_number(minimum=0), "seed": v_int()}, required=("rate",))
    if fields["rate"] > 1:
        raise bad_request("rate must be within 0..1")
    state.set_drop_ends(fields["rate"], fields.get("seed", 0))
    return json_reply({"rate": fields["rate"], "seed": fields.get("seed", 0)})


def ctl_outage(state: SimState, request: Request) -> Reply:
    fields = check_fields(parse_json_object(request.body), {"seconds": v_number(minimum=0)},
                          required=("seconds",))
    with state.lock:
        state.outage = fields["seconds"]
    state.outage_requested.set()
    return json_reply({"seconds": fields["seconds"]})


def ctl_seed(state: SimState, request: Request) -> Reply:
    return json_reply(apply_seed(state, parse_json_object(request.body)))


CONTROL_ROUTER = Router([
    route("POST", CONTROL_PREFIX + "/reset", ctl_reset),
    route("POST", CONTROL_PREFIX + "/seed", ctl_seed),
    route("POST", CONTROL_PREFIX + "/locations", ctl_upsert_location),
    route("POST", CONTROL_PREFIX + "/sessions", ctl_create_session),
    route("POST", CONTROL_PREFIX + "/tokens", ctl_issue_token),
    route("GET", CONTROL_PREFIX + "/stats", ctl_stats),
    route("GET", CONTROL_PREFIX + "/last_request", ctl_last_request),
    route("GET", CONTROL_PREFIX + "/clock", ctl_get_clock),
    route("POST", CONTROL_PREFIX + "/clock", ctl_set_clock),
    route("GET", CONTROL_PREFIX + "/fault", ctl_get_fault),
    route("POST", CONTROL_PREFIX + "/fault", ctl_arm_fault),
    route("DELETE", CONTROL_PREFIX + "/fault", ctl_disarm_fault),
    route("GET", CONTROL_PREFIX + "/ledger", ctl_ledger),
    route("POST", CONTROL_PREFIX + "/drop_ends", ctl_drop_ends),
    route("POST", CONTROL_PREFIX + "/outage", ctl_outage),
])


def handle_control(state: SimState, request: Request) -> Reply:
    return CONTROL_ROUTER.resolve(request)(state, request)


def run_safely(handle: Callable[[SimState, Request], Reply],
               state: SimState, request: Request) -> Reply:
    try:
        return handle(state, request)
    except ApiError as exc:
        return exc.reply()
    except Exception as exc:  # a simulator bug: say so loudly, keep serving
        traceback.print_exc()
        return error_reply(500, 500, f"simulator internal error: {exc!r}")


# --------------------------------------------------------------------------
# HTTP plumbing

class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CoordSim/1.0"
    # headers and body go out in separate writes: without this, Nagle and
    # delayed ACKs stall every kept-alive answer by ~40 ms
    disable_nagle_algorithm = True
    server: "SimServer"

    def setup(self) -> None:
        super().setup()
        self._api_generation: Optional[int] = None
        self.api_request: Optional[Request] = None
        self.request_id: Optional[str] = None   # the API request's X-Request-Id

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        """The Date header: this machine's clock moved by the date offset."""
        if timestamp is None:
            timestamp = time.time() + self.server.state.clock()[0]
        return super().date_time_string(timestamp)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self) -> None:
        state = self.server.state
        self.api_request = None         # set below for an API request (Age goes on its answer)
        target = self._raw_target()
        split = urlsplit(target)
        control = split.path.split("/")[1:2] == [CONTROL_PREFIX[1:]]
        generation = state.count_request(control, self._api_generation)
        fault = None
        self.request_id = None if control else state.next_request_id()
        if not control:
            self._api_generation = generation
            fault = state.take_fault()
            if fault and FAULT_MODES[fault.mode].before_body:
                FAULT_MODES[fault.mode].apply(self, fault.params)
                return
        try:
            body = self._read_body()
        except ApiError as exc:     # the stream is out of step: answer, then close
            self.send_reply(exc.reply(), close=True)
            return
        request = Request(self.command, target, split.path,
                          parse_qs(split.query, keep_blank_values=True),
                          self._header_dict(), body)
        if control:
            self.send_reply(run_safely(handle_control, state, request))
            return
        state.record_last_request({**request.to_json(), "request_id": self.request_id})
        self.api_request = request      # for faults that deliver the real answer
        if fault:
            FAULT_MODES[fault.mode].apply(self, fault.params)
            return
        reply = run_safely(handle_api, state, request)
        if (reply.status == 200 and request.method == "PUT"
                and request.path.endswith("/end") and state.drop_this_end()):
            self.close_connection = True    # applied; its answer is lost
            return
        self.send_reply(reply)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def _raw_target(self) -> str:
        # self.path may have been normalised ("//x" -> "/x"); keep the original.
        words = self.requestline.split()
        return words[1] if len(words) >= 2 else self.path

    def _header_dict(self) -> Dict[str, str]:
        headers: Dict[str, str] = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not re.fullmatch(r"[0-9]+", length.strip()):
            raise bad_request("invalid Content-Length")
        size = int(length)
        if size > MAX_REQUEST_BODY:
            raise ApiError(413, 413, "request body too large")
        return self.rfile.read(size)

    def _read_chunked_body(self) -> bytes:
        chunks, total = [], 0
        while True:
            size_text = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise bad_request("invalid chunked request body")
            if size == 0:
                break
            total += size
            if total > MAX_REQUEST_BODY:
                raise ApiError(413, 413, "request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()                       # CRLF after the chunk
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass                                        # trailers
        return b"".join(chunks)

    def send_reply(self, reply: Reply, close: bool = False) -> None:
        has_body = reply.status not in (204, 304)
        self.send_response(reply.status)
        if has_body:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        for name, value in self.request_id_header(reply.headers) + reply.headers:
            self.send_header(name, value)
        age = self.server.state.clock()[1]
        if age is not None and self.api_request is not None:
            self.send_header("Age", str(age))
        if close or self.close_connection:
            self.send_header("Connection", "close")     # also sets close_connection
        self.end_headers()
        if has_body and self.command != "HEAD":
            self.wfile.write(reply.body)

    def request_id_header(self, headers: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
        """X-Request-Id on an API answer, unless the answer sets its own (a
        status fault's "headers")."""
        if self.request_id is None or any(name.lower() == "x-request-id" for name, _ in headers):
            return []
        return [("X-Request-Id", self.request_id)]

    def send_error(self, code: int, message: Optional[str] = None,
                   explain: Optional[str] = None) -> None:
        """BaseHTTPRequestHandler's own errors (bad request line, unknown
        method...) get a Coord error body too."""
        default = self.responses.get(code, ("error",))[0]
        self.send_reply(error_reply(code, code, message or default), close=True)

    def wait_cancellable(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early on reset or server shutdown."""
        state = self.server.state
        generation = state.generation
        deadline = time.monotonic() + seconds
        while state.generation == generation:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or state.stopping.wait(min(remaining, WAIT_STEP_SECONDS)):
                return


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    # hundreds of calls in flight connect at once (the default backlog is 5)
    request_queue_size = 1024

    def __init__(self, address: Tuple[str, int], state: SimState, verbose: bool = False,
                 tls_context: Optional[ssl.SSLContext] = None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self.verbose = verbose
        self.tls_context = tls_context
        self.open_sockets: set = set()
        super().__init__(address, SimHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        # Handshake here, in the connection's thread: a client that stalls
        # or refuses the certificate holds up nobody else.
        request.settimeout(TLS_HANDSHAKE_SECONDS)
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            if self.verbose:
                print(f"TLS handshake with {client_address} failed: {exc}", file=sys.stderr)
            return
        try:
            tls.settimeout(None)
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a (possibly slow) reverse DNS lookup.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        self.state.count_connection()
        with self.state.lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.state.lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Every open connection reset, as a power cut leaves them."""
        with self.state.lock:
            sockets, self.open_sockets = list(self.open_sockets), set()
        for sock in sockets:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose or not isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Entry point

HELP_EPILOG = f"""\
The Coord service is offline; coord-sim stands in for it, for libcoord's
tests and for yours. Once listening (and seeded) it prints three lines on
stdout, e.g.

  COORD_SIM_PORT=8080
  COORD_SIM_URL=http://127.0.0.1:8080{API_PREFIX}   the base URL
  COORD_SIM_KEY={DEFAULT_ACCESS_KEY}                         the first access key

and serves until SIGTERM or SIGINT (exit status 0). State lives in memory.

Seeding: --seed FILE.json, or POST {CONTROL_PREFIX}/seed with the same document:
  {{"locations": [{{"location_id": "LOT-9", "hourly_rate": 200,
                  "gate_controlled": false}}],
   "sessions":  [{{"location_id": "LOT-9", "user_id": "u-1",
                  "start_minutes_ago": 30}}],
   "tokens":    [{{"token": "kiosk-token", "user_id": "u-1"}}],
   "fault":     {{"mode": "status", "status": 503, "count": 1}}}}
Each entry is the body of a control route ({CONTROL_PREFIX}/locations, /sessions,
/tokens, /fault); a seeded "token" is accepted as "Authorization: Bearer
kiosk-token" for that user, never expires and survives {CONTROL_PREFIX}/reset.
Every call but create_jwt needs a user's token; locations must be seeded
before sessions can be opened there.

coord-sim --reference prints every API route, control route and fault mode.
"""


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="coord-sim", description="Coord Parking Access API simulator (HTTP on loopback)",
        epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default 0: the OS chooses; see stdout)")
    parser.add_argument("--port-file", metavar="PATH",
                        help="write the bound port here (atomically)")
    parser.add_argument("--access-key", action="append", dest="access_keys", metavar="KEY",
                        help=f"accepted access key (repeatable; default {DEFAULT_ACCESS_KEY})")
    parser.add_argument("--seed", metavar="FILE.json",
                        help="seed locations, sessions, tokens and a fault before serving")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument("--tls-cert", metavar="PEM",
                        help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", metavar="PEM", help="the PEM private key of --tls-cert")
    parser.add_argument("--date-offset", type=float, default=0.0, metavar="SECONDS",
                        help="the Date header runs this far ahead of the clock (negative: behind)")
    parser.add_argument("--reference", action="store_true",
                        help="print the reference of every route and fault mode, and exit")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return args


def seed_from_file(state: SimState, path: str) -> Optional[str]:
    """Apply a seed file; the reason it is unusable, or None."""
    try:
        with open(path, "rb") as handle:
            apply_seed(state, json.loads(handle.read().decode("utf-8")))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        return str(exc)
    except ApiError as exc:               # not a valid seed
        return exc.message
    return None


def base_url(host: str, port: int, tls: bool) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def make_tls_context(cert: Optional[str], key: Optional[str]) -> Optional[ssl.SSLContext]:
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def write_port_file(path: str, port: int) -> None:
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "w") as handle:
        handle.write(f"{port}\n")
    os.replace(temp, path)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.reference:
        print(__doc__)
        return 0
    state = SimState(args.access_keys or [DEFAULT_ACCESS_KEY])
    state.start_date_offset = state.date_offset = args.date_offset
    reason = seed_from_file(state, args.seed) if args.seed is not None else None
    if reason is not None:
        print(f"coord-sim: --seed {args.seed}: {reason}", file=sys.stderr)
        return 2
    try:
        server = SimServer((args.host, args.port), state, args.verbose,
                           make_tls_context(args.tls_cert, args.tls_key))
    except OSError as exc:  # a busy port, a host not on this machine, no permission
        hint = (" (another coord-sim? --port 0 picks a free one)"
                if exc.errno == errno.EADDRINUSE else "")
        print(f"coord-sim: cannot listen on {args.host}:{args.port}: {exc.strerror}{hint}",
              file=sys.stderr)
        return 1
    port = server.server_address[1]

    def stop(signum: int, frame: Any) -> None:
        state.stopping.set()
        # shutdown() waits for serve_forever(), which runs in this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"COORD_SIM_PORT={port}\n"
          f"COORD_SIM_URL={base_url(args.host, port, args.tls_cert is not None)}{API_PREFIX}\n"
          f"COORD_SIM_KEY={(args.access_keys or [DEFAULT_ACCESS_KEY])[0]}", flush=True)
    def watch_outages() -> None:
        while not state.stopping.is_set():
            if state.outage_requested.wait(0.1):
                server.shutdown()           # serve_forever returns to the loop below
                while state.outage_requested.is_set() and not state.stopping.is_set():
                    time.sleep(0.02)        # until the new server is made

    threading.Thread(target=watch_outages, daemon=True).start()
    try:
        while True:
            server.serve_forever(poll_interval=0.1)
            if not state.outage_requested.is_set() or state.stopping.is_set():
                break
            # POST /_sim/outage: connections dropped, the port closed for a
            # while, then the same state served again on the same port
            with state.lock:
                seconds, state.outage = state.outage or 0.0, None
            server.server_close()
            state.stopping.wait(0.05)       # the outage request's own answer goes out
            server.drop_connections()
            state.stopping.wait(seconds)
            if state.stopping.is_set():
                break
            server = SimServer((args.host, port), state, args.verbose,
                               make_tls_context(args.tls_cert, args.tls_key))
            state.outage_requested.clear()
    finally:
        state.stopping.set()
        server.server_close()
        if args.port_file:
            try:
                os.unlink(args.port_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
