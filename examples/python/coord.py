"""libcoord from Python, through ctypes (standard library only).

    import coord
    with coord.Client(coord.BASE_URL_SANDBOX, "sandbox-...") as client:
        client.set_bearer_token(user_jwt)
        session = client.end_session("LOT-9", 42)
        print(session.billing_info.cost)          # Money(amount=555, currency='USD')

Every call returns plain Python objects (dataclasses) or raises CoordError,
which carries the status name, the HTTP status and the server's message.

The shared library is found, in order, at $COORD_LIBRARY, in the build tree
next to this file (build/lib/libcoord.so.1), then by the system's loader
(ctypes.util.find_library("coord"), libcoord.so.1).

Extending: declare the C function in _PROTOTYPES, mirror any new struct in
ctypes (append fields exactly as coord.h does, above `reserved`), add a method
that calls it through Client._call, and list the struct in LAYOUTS so the
layout test compares it with the C compiler's.
"""
import ctypes
import ctypes.util
import os
from dataclasses import dataclass, field
from typing import List, Optional

ID_MAX = 128
TIME_MAX = 40
CURRENCY_MAX = 4
BARCODE_DATA_MAX = 2048
BARCODE_FORMAT_MAX = 32
MESSAGE_MAX = 256

BASE_URL_PRODUCTION = "https://api.coord.co/v1/access/parking"
BASE_URL_SANDBOX = "https://api.sandbox.coord.co/v1/access/parking"

OK = 0


# ---- the C structs, field for field as in coord.h --------------------------

class _Money(ctypes.Structure):
    _fields_ = [("amount", ctypes.c_int64),
                ("currency", ctypes.c_char * CURRENCY_MAX)]


class _BillingInfo(ctypes.Structure):
    _fields_ = [("has_cost", ctypes.c_uint8),
                ("cost", _Money)]


class _RedemptionInfo(ctypes.Structure):
    _fields_ = [("barcode_data", ctypes.c_char * BARCODE_DATA_MAX),
                ("barcode_format", ctypes.c_char * BARCODE_FORMAT_MAX)]


class _Session(ctypes.Structure):
    _fields_ = [("id", ctypes.c_int64),
                ("location_id", ctypes.c_char * ID_MAX),
                ("user_id", ctypes.c_char * ID_MAX),
                ("resource_id", ctypes.c_char * ID_MAX),
                ("has_start_time", ctypes.c_uint8),
                ("has_end_time", ctypes.c_uint8),
                ("has_billing_info", ctypes.c_uint8),
                ("has_redemption_info", ctypes.c_uint8),
                ("start_time", ctypes.c_char * TIME_MAX),
                ("end_time", ctypes.c_char * TIME_MAX),
                ("start_time_ms", ctypes.c_int64),
                ("end_time_ms", ctypes.c_int64),
                ("billing_info", _BillingInfo),
                ("redemption_info", _RedemptionInfo),
                ("recovered", ctypes.c_uint8),
                ("reserved", ctypes.c_uint8 * 1495)]


class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int32),
                ("http_status", ctypes.c_int32),
                ("has_api_error", ctypes.c_uint8),
                ("api_code", ctypes.c_int32),
                ("api_message", ctypes.c_char * MESSAGE_MAX),
                ("detail", ctypes.c_char * MESSAGE_MAX),
                ("attempts", ctypes.c_int32)]


class _SessionList(ctypes.Structure):
    _fields_ = [("sessions", ctypes.POINTER(_Session)),
                ("count", ctypes.c_uint32),
                ("reserved", ctypes.c_uint8 * 52)]


# C type name -> ctypes mirror, for the layout test (tests/python).
LAYOUTS = {
    "coord_session_list": _SessionList,
    "coord_money": _Money,
    "coord_billing_info": _BillingInfo,
    "coord_redemption_info": _RedemptionInfo,
    "coord_session": _Session,
    "coord_error": _Error,
}

_client_p = ctypes.c_void_p  # coord_client * stays opaque
_status = ctypes.c_int
# void (*coord_log_fn)(coord_log_level level, const char *message, void *user_data)
_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR = 0, 1, 2, 3

# name -> (restype, argtypes). A function the loaded library lacks (an older
# libcoord.so.1) is left out; calling it raises AttributeError.
_PROTOTYPES = {
    "coord_version": (ctypes.c_char_p, []),
    "coord_strerror": (ctypes.c_char_p, [_status]),
    "coord_status_name": (ctypes.c_char_p, [_status]),
    "coord_global_init": (_status, []),
    "coord_global_cleanup": (None, []),
    "coord_client_new": (_status, [ctypes.c_char_p, ctypes.c_char_p,
                                   ctypes.POINTER(_client_p)]),
    "coord_client_free": (None, [_client_p]),
    "coord_client_set_bearer_token": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_user_agent": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_timeouts": (_status, [_client_p, ctypes.c_uint32, ctypes.c_uint32]),
    "coord_client_set_max_response_size": (_status, [_client_p, ctypes.c_uint32]),
    "coord_client_set_ca_file": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_ca_path": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_pinned_public_key": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_retry": (_status, [_client_p, ctypes.c_uint32, ctypes.c_uint32,
                                         ctypes.c_uint32]),
    "coord_client_set_log": (_status, [_client_p, _LOG_FN, ctypes.c_void_p, ctypes.c_int]),
    "coord_client_last_error": (ctypes.POINTER(_Error), [_client_p]),
    "coord_end_session": (_status, [_client_p, ctypes.c_char_p, ctypes.c_int64,
                                    ctypes.POINTER(_Session)]),
    "coord_session_end": (_status, [_client_p, ctypes.POINTER(_Session),
                                    ctypes.POINTER(_Session)]),
    "coord_session_decode": (_status, [ctypes.c_char_p, ctypes.c_size_t,
                                       ctypes.POINTER(_Session), ctypes.c_char_p,
                                       ctypes.c_size_t]),
    # the session lifecycle
    "coord_session_create": (_status, [_client_p, ctypes.c_char_p, ctypes.c_char_p,
                                       ctypes.POINTER(_Session)]),
    "coord_session_get": (_status, [_client_p, ctypes.c_char_p, ctypes.c_int64,
                                    ctypes.POINTER(_Session)]),
    "coord_session_list_location": (_status, [_client_p, ctypes.c_char_p,
                                              ctypes.POINTER(_SessionList)]),
    "coord_session_list_user": (_status, [_client_p, ctypes.POINTER(_SessionList)]),
    "coord_session_list_free": (None, [ctypes.POINTER(_SessionList)]),
    "coord_session_list_find_active": (_status, [ctypes.POINTER(_SessionList), ctypes.c_char_p,
                                                 ctypes.POINTER(ctypes.POINTER(_Session))]),
    "coord_session_list_decode": (_status, [ctypes.c_char_p, ctypes.c_size_t,
                                            ctypes.POINTER(_SessionList), ctypes.c_char_p,
                                            ctypes.c_size_t]),
    "coord_session_wait": (_status, [_client_p, ctypes.c_char_p, ctypes.c_int64, ctypes.c_int,
                                     ctypes.c_uint32, ctypes.c_uint32,
                                     ctypes.POINTER(_Session)]),
    "coord_barcode_create": (_status, [_client_p, ctypes.POINTER(_RedemptionInfo)]),
    "coord_test_simulate_redemption": (_status, [_client_p, ctypes.c_char_p, ctypes.c_int64,
                                                 ctypes.c_uint32, ctypes.POINTER(_Session)]),
    "coord_test_create_jwt": (_status, [_client_p, ctypes.c_char_p, ctypes.c_char_p,
                                        ctypes.c_char_p, ctypes.c_size_t]),
}

TOKEN_MAX = 8192
WAIT_STARTED, WAIT_ENDED = 1, 2


def _candidates():
    env = os.environ.get("COORD_LIBRARY")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "..", "..", "build", "lib", "libcoord.so.1")
    found = ctypes.util.find_library("coord")
    if found:
        yield found
    yield "libcoord.so.1"


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = restype
                fn.argtypes = argtypes
        return lib
    raise OSError("libcoord.so not found; set COORD_LIBRARY. Tried: " + "; ".join(errors))


_lib = _load()


# ---- plain Python results ---------------------------------------------------

def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


@dataclass
class Money:
    amount: int     # in the currency's smallest unit: 1234 USD is 12.34 USD
    currency: str


@dataclass
class BillingInfo:
    cost: Optional[Money]  # None: not yet calculated ("cost": null)


@dataclass
class RedemptionInfo:
    barcode_data: str
    barcode_format: str


@dataclass
class Session:
    id: int
    location_id: str
    user_id: str
    resource_id: str = ""
    start_time: Optional[str] = None      # RFC 3339 text as the server sent it
    end_time: Optional[str] = None
    start_time_ms: Optional[int] = None   # milliseconds since the epoch, UTC
    end_time_ms: Optional[int] = None
    billing_info: Optional[BillingInfo] = None
    redemption_info: Optional[RedemptionInfo] = None
    recovered: bool = False               # an end whose answer was lost, fetched afterwards
    _c: Optional[_Session] = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_c(cls, s: _Session) -> "Session":
        copy = _Session()
        ctypes.pointer(copy)[0] = s
        billing = None
        if s.has_billing_info:
            cost = s.billing_info.cost
            billing = BillingInfo(Money(cost.amount, _text(cost.currency))
                                  if s.billing_info.has_cost else None)
        redemption = None
        if s.has_redemption_info:
            redemption = RedemptionInfo(_text(s.redemption_info.barcode_data),
                                        _text(s.redemption_info.barcode_format))
        return cls(id=s.id, location_id=_text(s.location_id), user_id=_text(s.user_id),
                   resource_id=_text(s.resource_id),
                   start_time=_text(s.start_time) if s.has_start_time else None,
                   end_time=_text(s.end_time) if s.has_end_time else None,
                   start_time_ms=s.start_time_ms if s.has_start_time else None,
                   end_time_ms=s.end_time_ms if s.has_end_time else None,
                   billing_info=billing, redemption_info=redemption,
                   recovered=bool(s.recovered), _c=copy)


class CoordError(Exception):
    """Any failed call. status_name is the coord_status enumerator's name."""

    def __init__(self, status: int, http_status: int = 0, api_code: Optional[int] = None,
                 message: str = "", detail: str = ""):
        self.status = status
        self.status_name = status_name(status)
        self.http_status = http_status
        self.api_code = api_code   # the Coord error body's "code", None without one
        self.message = message     # the Coord error body's "message", "" without one
        self.detail = detail or strerror(status)
        super().__init__(f"{self.status_name} (HTTP {http_status}): {self.detail}")


# ---- the library ------------------------------------------------------------

def version() -> str:
    """Version of the loaded libcoord.so, e.g. "1.0.0"."""
    return _text(_lib.coord_version())


def status_name(status: int) -> str:
    return _text(_lib.coord_status_name(status))


def strerror(status: int) -> str:
    return _text(_lib.coord_strerror(status))


def global_init() -> None:
    """curl_global_init for the process; once, before threads use libcoord."""
    st = _lib.coord_global_init()
    if st != OK:
        raise CoordError(st)


def global_cleanup() -> None:
    _lib.coord_global_cleanup()


def decode_session(json_text) -> Session:
    """Decode a session from JSON (str or bytes), without any I/O."""
    data = json_text.encode("utf-8") if isinstance(json_text, str) else bytes(json_text)
    out = _Session()
    detail = ctypes.create_string_buffer(MESSAGE_MAX)
    st = _lib.coord_session_decode(data, len(data), ctypes.byref(out), detail, MESSAGE_MAX)
    if st != OK:
        raise CoordError(st, detail=_text(detail.value))
    return Session._from_c(out)


def _sessions(c_list: _SessionList) -> List[Session]:
    """Copy a C list into Python objects and free it."""
    try:
        return [Session._from_c(c_list.sessions[i]) for i in range(c_list.count)]
    finally:
        _lib.coord_session_list_free(ctypes.byref(c_list))


def decode_session_list(json_text) -> List[Session]:
    """Decode a JSON array of sessions, without any I/O."""
    data = json_text.encode("utf-8") if isinstance(json_text, str) else bytes(json_text)
    out = _SessionList()
    detail = ctypes.create_string_buffer(MESSAGE_MAX)
    st = _lib.coord_session_list_decode(data, len(data), ctypes.byref(out), detail, MESSAGE_MAX)
    if st != OK:
        raise CoordError(st, detail=_text(detail.value))
    return _sessions(out)


def find_active(sessions: List[Session], location_id: Optional[str] = None) -> Optional[Session]:
    """The first session without end_time (at location_id), as
    coord_session_list_find_active() does on a C list; None when there is none."""
    for s in sessions:
        if s.end_time is None and (location_id is None or s.location_id == location_id):
            return s
    return None


def _arg(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else text.encode("utf-8")


class Client:
    """A coord_client. Not shared between threads without a lock, as in C."""

    def __init__(self, base_url: Optional[str], access_key: str):
        handle = _client_p()
        st = _lib.coord_client_new(_arg(base_url), _arg(access_key), ctypes.byref(handle))
        if st != OK:
            raise CoordError(st)
        self._handle = handle

    def close(self) -> None:
        """Free the client (wiping its secrets). Safe to call twice."""
        if self._handle:
            _lib.coord_client_free(self._handle)
            self._handle = _client_p()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self.close()

    def _call(self, name: str, *args) -> None:
        """Call a status-returning function on this client; raise on failure."""
        if not self._handle:
            raise ValueError("client is closed")
        st = getattr(_lib, name)(self._handle, *args)
        if st != OK:
            raise self._error(st)

    def _error(self, st: int) -> CoordError:
        e = _lib.coord_client_last_error(self._handle).contents
        return CoordError(st, e.http_status, e.api_code if e.has_api_error else None,
                          _text(e.api_message) if e.has_api_error else "", _text(e.detail))

    # options
    def set_bearer_token(self, token: Optional[str]) -> None:
        self._call("coord_client_set_bearer_token", _arg(token))

    def set_user_agent(self, user_agent: Optional[str]) -> None:
        self._call("coord_client_set_user_agent", _arg(user_agent))

    def set_timeouts(self, connect_timeout_ms: int, total_timeout_ms: int) -> None:
        self._call("coord_client_set_timeouts", connect_timeout_ms, total_timeout_ms)

    def set_max_response_size(self, max_bytes: int) -> None:
        self._call("coord_client_set_max_response_size", max_bytes)

    def set_retry(self, max_attempts: int, base_delay_ms: int, max_delay_ms: int) -> None:
        self._call("coord_client_set_retry", max_attempts, base_delay_ms, max_delay_ms)

    def set_log(self, callback, min_level: int = LOG_INFO) -> None:
        """callback(level: int, message: str), or None to stop logging."""
        if callback is None:
            self._log = None
            self._call("coord_client_set_log", _LOG_FN(), None, min_level)
            return
        # kept on the client: libcoord holds the C pointer until replaced
        self._log = _LOG_FN(lambda level, message, _: callback(level, _text(message)))
        self._call("coord_client_set_log", self._log, None, min_level)

    def set_ca_file(self, path: Optional[str]) -> None:
        self._call("coord_client_set_ca_file", _arg(path))

    def set_ca_path(self, path: Optional[str]) -> None:
        self._call("coord_client_set_ca_path", _arg(path))

    def set_pinned_public_key(self, pin: Optional[str]) -> None:
        self._call("coord_client_set_pinned_public_key", _arg(pin))

    # sessions
    def end_session(self, location_id: str, session_id: int) -> Session:
        out = _Session()
        self._call("coord_end_session", _arg(location_id), session_id, ctypes.byref(out))
        return Session._from_c(out)

    def session_end(self, session: Session) -> Session:
        """End a session held from an earlier answer (refused locally when
        it is gate-controlled: COORD_ERR_PHYSICAL_CHECKOUT)."""
        held = session._c
        if held is None:  # built by hand: what the call reads
            held = _Session(id=session.id, location_id=_arg(session.location_id),
                            has_redemption_info=int(session.redemption_info is not None))
        out = _Session()
        self._call("coord_session_end", ctypes.byref(held), ctypes.byref(out))
        return Session._from_c(out)

    def session_create(self, location_id: str, resource_id: Optional[str] = None) -> Session:
        out = _Session()
        self._call("coord_session_create", _arg(location_id), _arg(resource_id),
                   ctypes.byref(out))
        return Session._from_c(out)

    def session_get(self, location_id: str, session_id: int) -> Session:
        out = _Session()
        self._call("coord_session_get", _arg(location_id), session_id, ctypes.byref(out))
        return Session._from_c(out)

    def session_list_location(self, location_id: str) -> List[Session]:
        out = _SessionList()
        self._call("coord_session_list_location", _arg(location_id), ctypes.byref(out))
        return _sessions(out)

    def session_list_user(self) -> List[Session]:
        out = _SessionList()
        self._call("coord_session_list_user", ctypes.byref(out))
        return _sessions(out)

    def session_wait(self, location_id: str, session_id: int, until: int = WAIT_STARTED,
                     timeout_ms: int = 60000, interval_ms: int = 1000) -> Session:
        """Poll until started (WAIT_STARTED) or ended (WAIT_ENDED); CoordError
        COORD_ERR_TIMEOUT at the deadline."""
        out = _Session()
        self._call("coord_session_wait", _arg(location_id), session_id, until, timeout_ms,
                   interval_ms, ctypes.byref(out))
        return Session._from_c(out)

    def barcode_create(self) -> RedemptionInfo:
        out = _RedemptionInfo()
        self._call("coord_barcode_create", ctypes.byref(out))
        return RedemptionInfo(_text(out.barcode_data), _text(out.barcode_format))

    def test_simulate_redemption(self, location_id: str, session_id: int,
                                 duration_m: int) -> Session:
        out = _Session()
        self._call("coord_test_simulate_redemption", _arg(location_id), session_id,
                   duration_m, ctypes.byref(out))
        return Session._from_c(out)

    def test_create_jwt(self, email: str, external_uid: Optional[str] = None) -> str:
        """A sandbox test user's token (a secret: the C buffer is wiped)."""
        buf = ctypes.create_string_buffer(TOKEN_MAX)
        try:
            self._call("coord_test_create_jwt", _arg(email), _arg(external_uid), buf, TOKEN_MAX)
            return _text(buf.value)
        finally:
            ctypes.memset(buf, 0, TOKEN_MAX)
