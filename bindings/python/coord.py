"""libcoord from Python, through ctypes (standard library only).

    import coord
    with coord.Client("http://127.0.0.1:8080/v1/access/parking", "mykey") as client:
        client.set_bearer_token(user_jwt)
        try:
            session = client.end_session("LOT-9", 42)
            print(session.billing_info.cost)      # 5.55 USD (amount=555: in cents)
        except coord.PhysicalCheckoutError:       # one class per status
            print("ended at the gate")
        except coord.CoordError as e:             # the base of them all
            print(e.status.name, e.http_status, e.api_code, e.detail)

Every call returns plain Python objects (dataclasses: dataclasses.asdict()
and json.dumps() take them as they are) or raises a subclass of CoordError
named after its status (coord.NotFoundError for Status.NOT_FOUND, ...).
Integer arguments out of their C type's range raise ValueError; nothing
is truncated.

The shared library is found, in order, at $COORD_LIBRARY, in the build tree
this file sits in (build/lib/libcoord.so.1), then as libcoord.so.1 by the
system's loader (after `make install`: `ldconfig`, or LD_LIBRARY_PATH set
to the LIBDIR).

Extending: declare the C function in _PROTOTYPES, mirror any new struct in
ctypes (append fields exactly as coord.h does, above `reserved`), add a method
that calls it through Client._call, and list the struct in LAYOUTS so the
layout test compares it with the C compiler's.
"""
import ctypes
import datetime
import decimal
import enum
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Type

ID_MAX = 128
TIME_MAX = 40
CURRENCY_MAX = 4
BARCODE_DATA_MAX = 2048
BARCODE_FORMAT_MAX = 32
MESSAGE_MAX = 256
MONEY_TEXT_MAX = 32
CURRENCY_DEFAULT_EXPONENT = 2

BASE_URL_PRODUCTION = "https://api.coord.co/v1/access/parking"
BASE_URL_SANDBOX = "https://api.sandbox.coord.co/v1/access/parking"



class Status(enum.IntEnum):
    """coord_status: COORD_OK and COORD_ERR_<name> as Status.OK and Status.<name>."""
    OK = 0
    INVALID_ARGUMENT = 1
    OUT_OF_MEMORY = 2
    TRANSPORT = 3
    TLS = 4
    TIMEOUT = 5
    UNAUTHORIZED = 6
    NOT_FOUND = 7
    REFUSED = 8
    RATE_LIMITED = 9
    SERVER = 10
    BAD_RESPONSE = 11
    RESPONSE_TOO_LARGE = 12
    PHYSICAL_CHECKOUT = 13
    ALREADY_ENDED = 14
    SESSION_ACTIVE = 15
    CANCELLED = 16
    STORAGE = 17


OK = Status.OK
_STATUS_VALUES = frozenset(Status)


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


RECORD_RETRIES_MAX = 4
REQUEST_ID_MAX = 64


class _RetryReason(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int32),
                ("http_status", ctypes.c_int32)]


class _CallRecord(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32),
                ("operation", ctypes.c_int32),
                ("session_id", ctypes.c_int64),
                ("location_id", ctypes.c_char * ID_MAX),
                ("call_id", ctypes.c_uint64),
                ("status", ctypes.c_int32),
                ("http_status", ctypes.c_int32),
                ("attempts", ctypes.c_int32),
                ("retries", ctypes.c_uint32),
                ("retry_reasons", _RetryReason * RECORD_RETRIES_MAX),
                ("recovered", ctypes.c_uint8),
                ("has_timings", ctypes.c_uint8),
                ("connection_reused", ctypes.c_uint8),
                ("http_version", ctypes.c_uint8),
                ("connections_opened", ctypes.c_uint32),
                ("queued_us", ctypes.c_int64),
                ("elapsed_us", ctypes.c_int64),
                ("dns_us", ctypes.c_int64),
                ("connect_us", ctypes.c_int64),
                ("tls_us", ctypes.c_int64),
                ("ttfb_us", ctypes.c_int64),
                ("total_us", ctypes.c_int64),
                ("bytes_sent", ctypes.c_int64),
                ("bytes_received", ctypes.c_int64),
                ("request_id", ctypes.c_char * REQUEST_ID_MAX),
                ("reserved", ctypes.c_uint8 * 168)]


# C type name -> ctypes mirror, for the layout test (tests/python).
LAYOUTS = {
    "coord_retry_reason": _RetryReason,
    "coord_call_record": _CallRecord,
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
# int (*coord_session_each_fn)(coord_session *session, void *user_data)
_SESSION_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Session), ctypes.c_void_p)

# void (*coord_observer_fn)(const coord_call_record *record, void *user_data)
_OBSERVER_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(_CallRecord), ctypes.c_void_p)

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
    "coord_client_set_max_sessions": (_status, [_client_p, ctypes.c_uint32]),
    "coord_client_set_ca_file": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_ca_path": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_pinned_public_key": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_proxy": (_status, [_client_p, ctypes.c_char_p]),
    "coord_client_set_proxy_from_environment": (_status, [_client_p, ctypes.c_int]),
    "coord_client_set_retry": (_status, [_client_p, ctypes.c_uint32, ctypes.c_uint32,
                                         ctypes.c_uint32]),
    "coord_client_set_log": (_status, [_client_p, _LOG_FN, ctypes.c_void_p, ctypes.c_int]),
    "coord_client_last_error": (ctypes.POINTER(_Error), [_client_p]),
    "coord_client_set_observer": (_status, [_client_p, _OBSERVER_FN, ctypes.c_void_p]),
    "coord_operation_name": (ctypes.c_char_p, [ctypes.c_int32]),
    "coord_client_cancel": (_status, [_client_p]),
    "coord_client_clock_offset_ms": (_status, [_client_p, ctypes.POINTER(ctypes.c_int64)]),
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
    "coord_session_list_decode_each": (_status, [ctypes.c_char_p, ctypes.c_size_t,
                                                 ctypes.POINTER(_Session), _SESSION_FN,
                                                 ctypes.c_void_p, ctypes.c_char_p,
                                                 ctypes.c_size_t]),
    "coord_session_list_location_each": (_status, [_client_p, ctypes.c_char_p,
                                                   ctypes.POINTER(_Session), _SESSION_FN,
                                                   ctypes.c_void_p]),
    "coord_session_list_user_each": (_status, [_client_p, ctypes.POINTER(_Session), _SESSION_FN,
                                               ctypes.c_void_p]),
    "coord_session_wait": (_status, [_client_p, ctypes.c_char_p, ctypes.c_int64, ctypes.c_int,
                                     ctypes.c_uint32, ctypes.c_uint32,
                                     ctypes.POINTER(_Session)]),
    "coord_barcode_create": (_status, [_client_p, ctypes.POINTER(_RedemptionInfo)]),
    "coord_test_simulate_redemption": (_status, [_client_p, ctypes.c_char_p, ctypes.c_int64,
                                                 ctypes.c_uint32, ctypes.POINTER(_Session)]),
    "coord_test_create_jwt": (_status, [_client_p, ctypes.c_char_p, ctypes.c_char_p,
                                        ctypes.c_char_p, ctypes.c_size_t]),
    "coord_base_url_check": (_status, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]),
    # money as text
    "coord_currency_exponent": (_status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint8)]),
    "coord_money_format": (_status, [ctypes.POINTER(_Money), ctypes.c_char_p, ctypes.c_size_t]),
}

TOKEN_MAX = 8192
WAIT_STARTED, WAIT_ENDED = 1, 2


def _candidates():
    env = os.environ.get("COORD_LIBRARY")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    in_tree = os.path.join(here, "..", "..", "build", "lib", "libcoord.so.1")
    if os.path.exists(in_tree):
        yield in_tree
    yield "libcoord.so.1"  # the SONAME: the loader's path (ld.so.cache, LD_LIBRARY_PATH)


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
    raise OSError("libcoord.so.1 not found. After `make install`, run `sudo ldconfig` (or set "
                  "LD_LIBRARY_PATH to the LIBDIR it went to), or set COORD_LIBRARY to the "
                  "file. Tried: " + "; ".join(errors))


_lib = _load()


# ---- plain Python results ---------------------------------------------------

def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _c_text(name: str, text: str, size: int) -> bytes:
    """text for a char[size] field: it must fit with its NUL, never cut."""
    raw = text.encode("utf-8")
    if len(raw) >= size:
        raise ValueError(f"{name}: {len(raw)} bytes, at most {size - 1} fit")
    return raw


def _utc(ms: Optional[int]) -> Optional[datetime.datetime]:
    if ms is None:
        return None
    return (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
            + datetime.timedelta(milliseconds=ms))


@dataclass
class Money:
    """amount is in the currency's smallest unit: Money(1234, "USD") is 12.34 USD.
    str() gives the text to show ("12.34 USD"), .value the exact Decimal."""
    amount: int     # in the currency's smallest unit: 1234 USD is 12.34 USD
    currency: str

    @property
    def value(self) -> decimal.Decimal:
        """The amount in the currency's major unit, exact: Decimal("12.34") for
        Money(1234, "USD"), Decimal("1234") for JPY (currency_exponent())."""
        return decimal.Decimal(_int64("amount", self.amount)).scaleb(
            -currency_exponent(self.currency))

    def __str__(self) -> str:
        """coord_money_format(): "12.34 USD", "-0.05 EUR", "300 JPY", "1.500 BHD"."""
        c = _Money(amount=_int64("amount", self.amount),
                   currency=_c_text("currency", self.currency, CURRENCY_MAX))
        text = ctypes.create_string_buffer(MONEY_TEXT_MAX)
        raise_for(_lib.coord_money_format(ctypes.byref(c), text, MONEY_TEXT_MAX),
                  detail=f"currency {self.currency!r}: not three upper-case letters")
        return _text(text.value)


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

    @property
    def start_datetime(self) -> Optional[datetime.datetime]:
        """start_time_ms as an aware datetime in UTC; None when not started."""
        return _utc(self.start_time_ms)

    @property
    def end_datetime(self) -> Optional[datetime.datetime]:
        """end_time_ms as an aware datetime in UTC; None while active."""
        return _utc(self.end_time_ms)

    @classmethod
    def _from_c(cls, s: _Session) -> "Session":
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
                   recovered=bool(s.recovered))

    def _to_c(self) -> _Session:
        """The C struct this session came from (or describes, if built by hand)."""
        c = _Session(id=_int64("session id", self.id),
                     location_id=_c_text("location_id", self.location_id, ID_MAX),
                     user_id=_c_text("user_id", self.user_id, ID_MAX),
                     resource_id=_c_text("resource_id", self.resource_id, ID_MAX),
                     recovered=int(self.recovered))
        if self.start_time is not None:
            c.has_start_time = 1
            c.start_time = _c_text("start_time", self.start_time, TIME_MAX)
            c.start_time_ms = _int64("start_time_ms", self.start_time_ms or 0)
        if self.end_time is not None:
            c.has_end_time = 1
            c.end_time = _c_text("end_time", self.end_time, TIME_MAX)
            c.end_time_ms = _int64("end_time_ms", self.end_time_ms or 0)
        if self.billing_info is not None:
            c.has_billing_info = 1
            if self.billing_info.cost is not None:
                c.billing_info.has_cost = 1
                c.billing_info.cost.amount = _int64("amount", self.billing_info.cost.amount)
                c.billing_info.cost.currency = _c_text("currency", self.billing_info.cost.currency,
                                                       CURRENCY_MAX)
        if self.redemption_info is not None:
            c.has_redemption_info = 1
            c.redemption_info.barcode_data = _c_text(
                "barcode_data", self.redemption_info.barcode_data, BARCODE_DATA_MAX)
            c.redemption_info.barcode_format = _c_text(
                "barcode_format", self.redemption_info.barcode_format, BARCODE_FORMAT_MAX)
        return c


@dataclass
class CallRecord:
    """What one call did (coord_call_record; see coord.h for each field):
    given to the callback of Client.set_observer(). No secret in it."""
    operation: str              # "end", "create", "get", "list_location", ... "wait_poll"
    location_id: str
    session_id: int
    call_id: int
    status: str                 # a status name: "COORD_OK", "COORD_ERR_SERVER", ...
    http_status: int
    attempts: int
    retries: int
    retry_reasons: List[tuple]  # (status name, HTTP status) of the first retries
    recovered: bool
    has_timings: bool
    connection_reused: bool
    http_version: int           # 10, 11, 20, 30; 0 when none
    connections_opened: int
    queued_us: int
    elapsed_us: int
    dns_us: int
    connect_us: int
    tls_us: int
    ttfb_us: int
    total_us: int
    bytes_sent: int
    bytes_received: int
    request_id: str             # the server's X-Request-Id, "" when none

    @classmethod
    def _from_c(cls, r: "_CallRecord") -> "CallRecord":
        return cls(operation=operation_name(r.operation), location_id=_text(r.location_id),
                   session_id=r.session_id, call_id=r.call_id, status=status_name(r.status),
                   http_status=r.http_status, attempts=r.attempts, retries=r.retries,
                   retry_reasons=[(status_name(x.status), x.http_status) for x in
                                  r.retry_reasons[:min(r.retries, RECORD_RETRIES_MAX)]],
                   recovered=bool(r.recovered), has_timings=bool(r.has_timings),
                   connection_reused=bool(r.connection_reused), http_version=r.http_version,
                   connections_opened=r.connections_opened, queued_us=r.queued_us,
                   elapsed_us=r.elapsed_us, dns_us=r.dns_us, connect_us=r.connect_us,
                   tls_us=r.tls_us, ttfb_us=r.ttfb_us, total_us=r.total_us,
                   bytes_sent=r.bytes_sent, bytes_received=r.bytes_received,
                   request_id=_text(r.request_id))


# ---- errors: one class per status, all under CoordError ------------------

class CoordError(Exception):
    """A failed call: the base of one class per status (raise_for() picks it).

    status       the Status (a plain int for a status this binding predates)
    status_name  the C enumerator's name, e.g. "COORD_ERR_NOT_FOUND"
    http_status  the HTTP status of the answer, 0 when none came
    api_code     the Coord error body's "code", None without one
    message      the Coord error body's "message", "" without one
    detail       a human-readable reason (libcoord's detail)
    """
    status: int = -1  # each subclass: its Status

    def __init__(self, status: int, http_status: int = 0, api_code: Optional[int] = None,
                 message: str = "", detail: str = ""):
        self.status = Status(status) if status in _STATUS_VALUES else status
        self.status_name = status_name(status)
        self.http_status = http_status
        self.api_code = api_code
        self.message = message
        self.detail = detail or strerror(status)
        super().__init__(_error_text(self.status_name, http_status, message, self.detail))


def _error_text(name: str, http_status: int, message: str, detail: str) -> str:
    """The HTTP status once, and only when an answer came: the server's
    message ("COORD_ERR_ALREADY_ENDED (HTTP 409): session already ended"),
    or libcoord's detail, which names the status itself when it has one."""
    if http_status and message:
        return f"{name} (HTTP {http_status}): {message}"
    if http_status and not detail.startswith("HTTP "):
        return f"{name} (HTTP {http_status}): {detail}"
    return f"{name}: {detail}"


class InvalidArgumentError(CoordError):
    """A bad argument or option: nothing was sent."""
    status = Status.INVALID_ARGUMENT


class OutOfMemoryError(CoordError):
    status = Status.OUT_OF_MEMORY


class TransportError(CoordError):
    """DNS, connect, send or receive failed."""
    status = Status.TRANSPORT


class TLSError(CoordError):
    """TLS handshake or certificate verification failed."""
    status = Status.TLS


class TimeoutError(CoordError, TimeoutError):  # noqa: A001 -- coord.TimeoutError
    """The connect or total timeout passed (or HTTP 408); a wait's deadline.
    Also the built-in TimeoutError: `except TimeoutError` catches it."""
    status = Status.TIMEOUT


class UnauthorizedError(CoordError):
    """HTTP 401 or 403: key or token missing, invalid or insufficient."""
    status = Status.UNAUTHORIZED


class NotFoundError(CoordError):
    """HTTP 404: no such location or session."""
    status = Status.NOT_FOUND


class RefusedError(CoordError):
    """Any other HTTP 4xx."""
    status = Status.REFUSED


class RateLimitedError(CoordError):
    """HTTP 429."""
    status = Status.RATE_LIMITED


class ServerError(CoordError):
    """HTTP 5xx."""
    status = Status.SERVER


class BadResponseError(CoordError):
    """A malformed or unexpected answer."""
    status = Status.BAD_RESPONSE


class ResponseTooLargeError(CoordError):
    """The answer exceeded the client's maximum response size."""
    status = Status.RESPONSE_TOO_LARGE


class PhysicalCheckoutError(CoordError):
    """The session is gate-controlled (redemption_info): it ends at the gate."""
    status = Status.PHYSICAL_CHECKOUT


class AlreadyEndedError(CoordError):
    """The session was already ended."""
    status = Status.ALREADY_ENDED


class SessionActiveError(CoordError):
    """The user already has an active session at that location."""
    status = Status.SESSION_ACTIVE


class CancelledError(CoordError):
    """Client.cancel() (from another thread) cancelled the call."""
    status = Status.CANCELLED


class StorageError(CoordError):
    """Durable storage failed (the outbox, libcoord-outbox; never a call of this binding)."""
    status = Status.STORAGE


ERRORS: Dict[Status, Type[CoordError]] = {cls.status: cls for cls in CoordError.__subclasses__()}


def raise_for(status: int, http_status: int = 0, api_code: Optional[int] = None,
              message: str = "", detail: str = "") -> None:
    """Raise the CoordError subclass of a failed status; nothing for Status.OK."""
    if status != Status.OK:
        raise ERRORS.get(status, CoordError)(status, http_status, api_code, message, detail)


# ---- integer arguments: checked, never wrapped by ctypes ------------------

def _int64(name: str, value: int) -> int:
    return _int_in(name, value, -2**63, 2**63 - 1)


def _uint32(name: str, value: int) -> int:
    return _int_in(name, value, 0, 2**32 - 1)


def _int_in(name: str, value: int, low: int, high: int) -> int:
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} {value} is out of range {low}..{high}")
    return value


# ---- the library ------------------------------------------------------------

def version() -> str:
    """Version of the loaded libcoord.so, e.g. "1.1.0"."""
    return _text(_lib.coord_version())


def operation_name(operation: int) -> str:
    """coord_operation_name(): "end", "create", "get", ...; "unknown" otherwise."""
    return _text(_lib.coord_operation_name(operation))


def status_name(status: int) -> str:
    return _text(_lib.coord_status_name(status))


def strerror(status: int) -> str:
    return _text(_lib.coord_strerror(status))


def base_url_check(base_url: Optional[str]) -> str:
    """A base URL as Client() judges it: InvalidArgumentError naming the part
    that is wrong ("base URL: scheme \"htp\" is not http or https") when it
    is refused; else "" or a warning (a path that does not end in
    /v1/access/parking: the calls would answer 404)."""
    detail = ctypes.create_string_buffer(MESSAGE_MAX)
    raise_for(_lib.coord_base_url_check(_arg(base_url), detail, MESSAGE_MAX),
              detail=_text(detail.value))
    return _text(detail.value)


def currency_exponent(currency: str) -> int:
    """Decimals of the currency's minor unit (ISO 4217): 2 for USD, 0 for JPY,
    3 for BHD; CURRENCY_DEFAULT_EXPONENT (2) for a code ISO 4217 does not list.
    InvalidArgumentError unless three upper-case letters."""
    exponent = ctypes.c_uint8()
    st = _lib.coord_currency_exponent(_c_text("currency", currency, CURRENCY_MAX),
                                      ctypes.byref(exponent))
    if st != Status.NOT_FOUND:  # not found: the default, in exponent
        raise_for(st, detail=f"currency {currency!r}: not three upper-case letters")
    return exponent.value


def global_init() -> None:
    """curl_global_init for the process; once, before threads use libcoord."""
    raise_for(_lib.coord_global_init())


def global_cleanup() -> None:
    _lib.coord_global_cleanup()


def decode_session(json_text) -> Session:
    """Decode a session from JSON (str or bytes), without any I/O."""
    data = json_text.encode("utf-8") if isinstance(json_text, str) else bytes(json_text)
    out = _Session()
    detail = ctypes.create_string_buffer(MESSAGE_MAX)
    st = _lib.coord_session_decode(data, len(data), ctypes.byref(out), detail, MESSAGE_MAX)
    raise_for(st, detail=_text(detail.value))
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
    raise_for(st, detail=_text(detail.value))
    return _sessions(out)


class _Each:
    """A Python callback behind coord_session_fn: callback(session) gets each
    Session; a true return stops the walk. An exception stops it too and is
    raised again once the C call has returned (never through C frames)."""

    def __init__(self, callback):
        self.error = None

        def on_session(c_session, _):
            try:
                return 1 if callback(Session._from_c(c_session.contents)) else 0
            except BaseException as e:  # noqa: B036 -- carried across the C call
                self.error = e
                return 1

        self.fn = _SESSION_FN(on_session)

    def reraise(self) -> None:
        if self.error is not None:
            raise self.error


def decode_session_list_each(json_text, callback) -> None:
    """Decode a JSON array of sessions without any I/O and without a list:
    callback(session) gets each one in order; a true return stops."""
    data = json_text.encode("utf-8") if isinstance(json_text, str) else bytes(json_text)
    one = _Session()
    each = _Each(callback)
    detail = ctypes.create_string_buffer(MESSAGE_MAX)
    st = _lib.coord_session_list_decode_each(data, len(data), ctypes.byref(one), each.fn, None,
                                             detail, MESSAGE_MAX)
    each.reraise()
    raise_for(st, detail=_text(detail.value))


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
        if st == Status.INVALID_ARGUMENT:  # no client holds the reason: find it
            base_url_check(base_url)  # raises, naming the part, when the URL is the fault
            raise_for(st, detail="access key must be 1..1023 bytes without control characters")
        raise_for(st)
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
        error, self._observer_error = getattr(self, "_observer_error", None), None
        if error is not None:  # raised by the observer: never through C frames
            raise error
        if st != OK:
            e = _lib.coord_client_last_error(self._handle).contents
            raise_for(st, e.http_status, e.api_code if e.has_api_error else None,
                      _text(e.api_message) if e.has_api_error else "", _text(e.detail))

    def cancel(self) -> bool:
        """Cancel the call another thread is making on this client: that call
        raises CancelledError (ctypes releases the GIL during a call, so a
        second thread can run this). True when a call was in progress."""
        if not self._handle:
            raise ValueError("client is closed")
        return _lib.coord_client_cancel(self._handle) == OK

    def clock_offset_ms(self) -> Optional[int]:
        """How far the server's clock runs ahead of this machine's (negative:
        behind), in milliseconds, estimated from its answers' Date headers;
        None before an answer gave one (coord_client_clock_offset_ms)."""
        if not self._handle:
            raise ValueError("client is closed")
        out = ctypes.c_int64(0)
        if _lib.coord_client_clock_offset_ms(self._handle, ctypes.byref(out)) != OK:
            return None
        return out.value

    # options
    def set_bearer_token(self, token: Optional[str]) -> None:
        self._call("coord_client_set_bearer_token", _arg(token))

    def set_user_agent(self, user_agent: Optional[str]) -> None:
        self._call("coord_client_set_user_agent", _arg(user_agent))

    def set_timeouts(self, connect_timeout_ms: int, total_timeout_ms: int) -> None:
        self._call("coord_client_set_timeouts", _uint32("connect_timeout_ms", connect_timeout_ms),
                   _uint32("total_timeout_ms", total_timeout_ms))

    def set_max_response_size(self, max_bytes: int) -> None:
        self._call("coord_client_set_max_response_size", _uint32("max_bytes", max_bytes))

    def set_max_sessions(self, max_sessions: int) -> None:
        self._call("coord_client_set_max_sessions", _uint32("max_sessions", max_sessions))

    def set_retry(self, max_attempts: int, base_delay_ms: int, max_delay_ms: int) -> None:
        self._call("coord_client_set_retry", _uint32("max_attempts", max_attempts),
                   _uint32("base_delay_ms", base_delay_ms), _uint32("max_delay_ms", max_delay_ms))

    def set_log(self, callback, min_level: int = LOG_INFO) -> None:
        """callback(level: int, message: str), or None to stop logging."""
        if callback is None:
            self._log = None
            self._call("coord_client_set_log", _LOG_FN(), None, min_level)
            return
        # kept on the client: libcoord holds the C pointer until replaced
        self._log = _LOG_FN(lambda level, message, _: callback(level, _text(message)))
        self._call("coord_client_set_log", self._log, None, min_level)

    def set_observer(self, callback) -> None:
        """callback(record: CallRecord) after each call, or None to stop. An
        exception it raises is raised again by the call it observed, once
        the C call has returned."""
        if callback is None:
            self._observer = None
            self._call("coord_client_set_observer", _OBSERVER_FN(), None)
            return

        def on_record(c_record, _):
            try:
                callback(CallRecord._from_c(c_record.contents))
            except BaseException as e:  # noqa: B036 -- carried across the C call
                self._observer_error = e

        # kept on the client: libcoord holds the C pointer until replaced
        self._observer = _OBSERVER_FN(on_record)
        self._call("coord_client_set_observer", self._observer, None)

    def set_ca_file(self, path: Optional[str]) -> None:
        self._call("coord_client_set_ca_file", _arg(path))

    def set_ca_path(self, path: Optional[str]) -> None:
        self._call("coord_client_set_ca_path", _arg(path))

    def set_pinned_public_key(self, pin: Optional[str]) -> None:
        self._call("coord_client_set_pinned_public_key", _arg(pin))

    def set_proxy(self, proxy: Optional[str]) -> None:
        """Requests go through this proxy ("http://host:port"); None: directly."""
        self._call("coord_client_set_proxy", _arg(proxy))

    def set_proxy_from_environment(self, use: bool) -> None:
        """Follow http_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY (off by default)."""
        self._call("coord_client_set_proxy_from_environment", 1 if use else 0)

    # sessions
    def end_session(self, location_id: str, session_id: int) -> Session:
        out = _Session()
        self._call("coord_end_session", _arg(location_id), _int64("session_id", session_id),
                   ctypes.byref(out))
        return Session._from_c(out)

    def session_end(self, session: Session) -> Session:
        """End a session held from an earlier answer (refused locally when
        it is gate-controlled: COORD_ERR_PHYSICAL_CHECKOUT)."""
        held = session._to_c()
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
        self._call("coord_session_get", _arg(location_id), _int64("session_id", session_id),
                   ctypes.byref(out))
        return Session._from_c(out)

    def session_list_location(self, location_id: str) -> List[Session]:
        out = _SessionList()
        self._call("coord_session_list_location", _arg(location_id), ctypes.byref(out))
        return _sessions(out)

    def session_list_user(self) -> List[Session]:
        out = _SessionList()
        self._call("coord_session_list_user", ctypes.byref(out))
        return _sessions(out)

    def session_list_location_each(self, location_id: str, callback) -> None:
        """The sessions at a location one at a time, without a list:
        callback(session) gets each; a true return stops."""
        one, each = _Session(), _Each(callback)
        try:
            self._call("coord_session_list_location_each", _arg(location_id), ctypes.byref(one),
                       each.fn, None)
        finally:
            each.reraise()

    def session_list_user_each(self, callback) -> None:
        """The user's sessions everywhere, one at a time (see session_list_location_each)."""
        one, each = _Session(), _Each(callback)
        try:
            self._call("coord_session_list_user_each", ctypes.byref(one), each.fn, None)
        finally:
            each.reraise()

    def session_wait(self, location_id: str, session_id: int, until: int = WAIT_STARTED,
                     timeout_ms: int = 60000, interval_ms: int = 1000) -> Session:
        """Poll until started (WAIT_STARTED) or ended (WAIT_ENDED); TimeoutError
        (coord's) at the deadline."""
        out = _Session()
        self._call("coord_session_wait", _arg(location_id), _int64("session_id", session_id),
                   _int_in("until", until, -2**31, 2**31 - 1),
                   _uint32("timeout_ms", timeout_ms), _uint32("interval_ms", interval_ms),
                   ctypes.byref(out))
        return Session._from_c(out)

    def barcode_create(self) -> RedemptionInfo:
        out = _RedemptionInfo()
        self._call("coord_barcode_create", ctypes.byref(out))
        return RedemptionInfo(_text(out.barcode_data), _text(out.barcode_format))

    def test_simulate_redemption(self, location_id: str, session_id: int,
                                 duration_m: int) -> Session:
        out = _Session()
        self._call("coord_test_simulate_redemption", _arg(location_id),
                   _int64("session_id", session_id), _uint32("duration_m", duration_m),
                   ctypes.byref(out))
        return Session._from_c(out)

    def test_create_jwt(self, email: str, external_uid: Optional[str] = None) -> str:
        """A sandbox test user's token (a secret: the C buffer is wiped)."""
        buf = ctypes.create_string_buffer(TOKEN_MAX)
        try:
            self._call("coord_test_create_jwt", _arg(email), _arg(external_uid), buf, TOKEN_MAX)
            return _text(buf.value)
        finally:
            ctypes.memset(buf, 0, TOKEN_MAX)
