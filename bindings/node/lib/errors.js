'use strict';
// CoordError and one subclass per coord_status, as bindings/python does.
const { c } = require('./native');

const STATUS = Object.freeze({
  OK: 0,
  INVALID_ARGUMENT: 1,
  OUT_OF_MEMORY: 2,
  TRANSPORT: 3,
  TLS: 4,
  TIMEOUT: 5,
  UNAUTHORIZED: 6,
  NOT_FOUND: 7,
  REFUSED: 8,
  RATE_LIMITED: 9,
  SERVER: 10,
  BAD_RESPONSE: 11,
  RESPONSE_TOO_LARGE: 12,
  PHYSICAL_CHECKOUT: 13,
  ALREADY_ENDED: 14,
  SESSION_ACTIVE: 15,
  CANCELLED: 16,
  STORAGE: 17,
});

/**
 * A failed call. status is the coord_status number, statusName its C name
 * ("COORD_ERR_NOT_FOUND"); httpStatus 0 when no answer came; apiCode and
 * apiMessage from the Coord error body (null and "" without one); detail the
 * library's redacted text; attempts the HTTP requests the call made.
 * The message never holds the access key or the token: it is built from the
 * library's record, which redacts them.
 */
class CoordError extends Error {
  constructor(status, record = {}) {
    const statusName = c.coord_status_name(status);
    const detail = record.detail || c.coord_strerror(status);
    const http = record.httpStatus ? ` (HTTP ${record.httpStatus})` : '';
    super(`${statusName}${http}: ${detail}`, record.cause ? { cause: record.cause } : undefined);
    this.status = status;
    this.statusName = statusName;
    this.httpStatus = record.httpStatus || 0;
    this.apiCode = record.apiCode ?? null;
    this.apiMessage = record.apiMessage || '';
    this.detail = detail;
    this.attempts = record.attempts || 0;
  }

  get name() { return this.constructor.name; }
}

const ERRORS = {};
function define(name, status) {
  const cls = { [name]: class extends CoordError {} }[name];
  cls.status = status;
  ERRORS[status] = cls;
  return cls;
}

const errors = {
  InvalidArgumentError: define('InvalidArgumentError', STATUS.INVALID_ARGUMENT),
  OutOfMemoryError: define('OutOfMemoryError', STATUS.OUT_OF_MEMORY),
  TransportError: define('TransportError', STATUS.TRANSPORT),
  TLSError: define('TLSError', STATUS.TLS),
  TimeoutError: define('TimeoutError', STATUS.TIMEOUT),
  UnauthorizedError: define('UnauthorizedError', STATUS.UNAUTHORIZED),
  NotFoundError: define('NotFoundError', STATUS.NOT_FOUND),
  RefusedError: define('RefusedError', STATUS.REFUSED),
  RateLimitedError: define('RateLimitedError', STATUS.RATE_LIMITED),
  ServerError: define('ServerError', STATUS.SERVER),
  BadResponseError: define('BadResponseError', STATUS.BAD_RESPONSE),
  ResponseTooLargeError: define('ResponseTooLargeError', STATUS.RESPONSE_TOO_LARGE),
  PhysicalCheckoutError: define('PhysicalCheckoutError', STATUS.PHYSICAL_CHECKOUT),
  AlreadyEndedError: define('AlreadyEndedError', STATUS.ALREADY_ENDED),
  SessionActiveError: define('SessionActiveError', STATUS.SESSION_ACTIVE),
  CancelledError: define('CancelledError', STATUS.CANCELLED),
  // the outbox's status (libcoord-outbox); no call of this binding returns it
  StorageError: define('StorageError', STATUS.STORAGE),
};

/**
 * A call stopped by its AbortSignal: a CancelledError whose name is
 * "AbortError" (as fetch's) and whose cause is the signal's reason.
 */
class AbortError extends errors.CancelledError {
  constructor(record = {}) {
    super(STATUS.CANCELLED, record);
    this.code = 'ABORT_ERR';
  }

  get name() { return 'AbortError'; }
}

/** The error of a failed status with a record read from coord_error (or none). */
function errorFor(status, record) {
  const cls = ERRORS[status] || CoordError;
  return new cls(status, record);
}

/** A coord_error struct (decoded by koffi) as the record CoordError takes. */
function recordOf(e) {
  return {
    httpStatus: e.http_status,
    apiCode: e.has_api_error ? e.api_code : null,
    apiMessage: e.has_api_error ? e.api_message : '',
    detail: e.detail,
    attempts: e.attempts,
  };
}

module.exports = { STATUS, CoordError, AbortError, ERRORS, errorFor, recordOf, ...errors };
