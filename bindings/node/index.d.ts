// TypeScript declarations of the Node binding of libcoord (index.js).

export const BASE_URL_PRODUCTION: string;
export const BASE_URL_SANDBOX: string;

/** The Money of the API, with its amount formatted: 1234 USD -> "12.34 USD". */
export interface Money {
  /** In the currency's smallest unit (cents for USD); within +/-(2^53 - 1). */
  amount: number;
  /** ISO 4217, three letters. */
  currency: string;
  formatted: string;
}

export interface Barcode {
  data: string;
  /** "aztec" is the only published value. */
  format: string;
}

/** A parking session, with the JSON's field names; absent fields are left out. */
export interface Session {
  /** Unique within its location; the library refuses ids beyond 2^53 - 1. */
  id: number;
  location_id: string;
  user_id: string;
  resource_id?: string;
  /** RFC 3339, as the server sent it. */
  start_time?: string;
  /** start_time in ms since the Unix epoch (UTC). */
  start_time_ms?: number;
  end_time?: string;
  end_time_ms?: number;
  /** On ended sessions; cost null: not yet calculated. */
  billing_info?: { cost: Money | null };
  /** On gate-controlled sessions: what the user presents at the gate. */
  redemption_info?: { barcode: Barcode };
  /** An end whose answer was lost; the session was fetched afterwards. */
  recovered: boolean;
}

/** A session id: a safe integer, or a BigInt within int64. */
export type SessionId = number | bigint;

export interface CallOptions {
  /** Cancels the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface ClientOptions {
  /** Default: production. */
  baseUrl?: string;
  accessKey: string;
  /** The user's bearer token (a JWT). */
  token?: string | null;
  userAgent?: string | null;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** Bounds a whole call, retries included. Default 30000. */
  timeoutMs?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  caFile?: string | null;
  caPath?: string | null;
  /** "sha256//<base64>", several joined with ';'. */
  pinnedPublicKey?: string | null;
  /** "scheme://host[:port]": http, https, socks4, socks4a, socks5, socks5h. */
  proxy?: string | null;
  proxyFromEnvironment?: boolean;
  maxResponseSize?: number;
  /** Most sessions the array lists take (the streams have no cap). */
  maxSessions?: number;
  /** Calls sent at once (default 64); more wait in the client's queue. */
  maxInFlight?: number;
  /** Connections to one host (default 64). */
  maxHostConnections?: number;
  /**
   * Connections to a host that answers over HTTP/2, where each carries many
   * calls: 1..10000, default 4 (coord_loop_set_multiplexed_connections).
   */
  maxMultiplexedConnections?: number;
}

/** Why an attempt was retried: how it ended. */
export interface RetryReason {
  /** A status name: "COORD_ERR_SERVER", "COORD_ERR_TRANSPORT", ... */
  status: string;
  /** 0 when no answer arrived. */
  http_status: number;
}

/**
 * What one call did (coord_call_record; coord.h documents each field), as
 * setObserver's function gets it: plain data, no secret. Times are
 * milliseconds (fractional: the library counts microseconds); the libcurl
 * times (dns_ms .. total_ms) are of the last attempt, from its start, and
 * 0 when has_timings is false.
 */
export interface CallRecord {
  /** "end", "create", "get", "list_location", "list_user", "wait_poll", "barcode",
   *  "simulate_redemption", "create_jwt" (coord_operation_name). */
  operation: string;
  /** "" when the call addressed none. */
  location_id: string;
  /** 0: none. A BigInt only for an id beyond 2^53 - 1 the call was given as one. */
  session_id: number | bigint;
  /** Unique within the client's loop; 0 for a streamed list (a blocking call). */
  call_id: number;
  /** The call's status name: "COORD_OK", "COORD_ERR_ALREADY_ENDED", ... (a wait: the poll's). */
  status: string;
  /** Of the last answer; 0 when none arrived. */
  http_status: number;
  /** HTTP requests sent or tried. */
  attempts: number;
  /** Attempts that were retried. */
  retries: number;
  /** Why, for the first min(retries, 4). */
  retry_reasons: RetryReason[];
  /** The replay-safe end's recovery ran. */
  recovered: boolean;
  /** The last attempt ran in libcurl: the times, reuse, version and bytes are its. */
  has_timings: boolean;
  connection_reused: boolean;
  /** 10, 11, 20 or 30; 0 when no answer arrived. */
  http_version: number;
  connections_opened: number;
  /** In the loop's queue, waiting for room (maxInFlight). */
  queued_ms: number;
  /** From the call's start to its result: every attempt, pause and the time queued. */
  elapsed_ms: number;
  dns_ms: number;
  connect_ms: number;
  /** 0 over plain HTTP. */
  tls_ms: number;
  /** First byte of the answer. */
  ttfb_ms: number;
  total_ms: number;
  bytes_sent: number;
  bytes_received: number;
  /** The server's X-Request-Id; "" when none. */
  request_id: string;
}

export class Client {
  constructor(options: ClientOptions);
  setBearerToken(token: string | null): void;
  /**
   * A record of each call (a wait: of each poll), before its promise
   * settles; null stops. It must not call or close this client (those
   * throw); what it throws rejects the call it observed.
   */
  setObserver(observer: ((record: CallRecord) => void) | null): void;
  /** The server's clock minus this machine's, in ms (from Date headers); null before an answer. */
  clockOffsetMs(): number | null;
  /** Free the native client; calls in flight reject with CancelledError. */
  close(): void;
  [Symbol.dispose](): void;
  /** Calls in flight or queued. */
  readonly callsInFlight: number;

  endSession(locationId: string, sessionId: SessionId, options?: CallOptions): Promise<Session>;
  endHeldSession(session: Session, options?: CallOptions): Promise<Session>;
  createSession(locationId: string, options?: CallOptions & { resourceId?: string }): Promise<Session>;
  getSession(locationId: string, sessionId: SessionId, options?: CallOptions): Promise<Session>;
  listLocationSessions(locationId: string, options?: CallOptions): Promise<Session[]>;
  listUserSessions(options?: CallOptions): Promise<Session[]>;
  streamLocationSessions(locationId: string, options?: CallOptions): AsyncGenerator<Session, void, undefined>;
  streamUserSessions(options?: CallOptions): AsyncGenerator<Session, void, undefined>;
  waitSession(locationId: string, sessionId: SessionId,
              options?: CallOptions & { until?: 'started' | 'ended'; timeoutMs?: number; intervalMs?: number }): Promise<Session>;
  createBarcode(options?: CallOptions): Promise<Barcode>;
  testSimulateRedemption(locationId: string, sessionId: SessionId, durationM: number,
                         options?: CallOptions): Promise<Session>;
  testCreateJwt(email: string, options?: CallOptions & { externalUid?: string }): Promise<string>;
}

export const STATUS: Readonly<{
  OK: 0; INVALID_ARGUMENT: 1; OUT_OF_MEMORY: 2; TRANSPORT: 3; TLS: 4; TIMEOUT: 5;
  UNAUTHORIZED: 6; NOT_FOUND: 7; REFUSED: 8; RATE_LIMITED: 9; SERVER: 10; BAD_RESPONSE: 11;
  RESPONSE_TOO_LARGE: 12; PHYSICAL_CHECKOUT: 13; ALREADY_ENDED: 14; SESSION_ACTIVE: 15;
  CANCELLED: 16; STORAGE: 17;
}>;

export interface ErrorRecord {
  httpStatus?: number;
  apiCode?: number | null;
  apiMessage?: string;
  detail?: string;
  attempts?: number;
  cause?: unknown;
}

export class CoordError extends Error {
  constructor(status: number, record?: ErrorRecord);
  /** A coord_status number (STATUS). */
  readonly status: number;
  /** Its C name, e.g. "COORD_ERR_NOT_FOUND". */
  readonly statusName: string;
  /** 0 when no answer came. */
  readonly httpStatus: number;
  /** From the Coord error body; null without one. */
  readonly apiCode: number | null;
  readonly apiMessage: string;
  /** The library's text, secrets redacted. */
  readonly detail: string;
  /** HTTP requests the call made. */
  readonly attempts: number;
}

export class InvalidArgumentError extends CoordError {}
export class OutOfMemoryError extends CoordError {}
export class TransportError extends CoordError {}
export class TLSError extends CoordError {}
export class TimeoutError extends CoordError {}
export class UnauthorizedError extends CoordError {}
export class NotFoundError extends CoordError {}
export class RefusedError extends CoordError {}
export class RateLimitedError extends CoordError {}
export class ServerError extends CoordError {}
export class BadResponseError extends CoordError {}
export class ResponseTooLargeError extends CoordError {}
export class PhysicalCheckoutError extends CoordError {}
export class AlreadyEndedError extends CoordError {}
export class SessionActiveError extends CoordError {}
export class CancelledError extends CoordError {}
/** The outbox's status (libcoord-outbox); no call of this binding returns it. */
export class StorageError extends CoordError {}
/** A call stopped by its AbortSignal: name "AbortError", cause the signal's reason. */
export class AbortError extends CancelledError {
  constructor(record?: ErrorRecord);
  readonly code: 'ABORT_ERR';
}

export const ERRORS: { readonly [status: number]: typeof CoordError };
export function formatMoney(amount: number | bigint, currency: string): string;
export function version(): string;
export function nativeHandles(): { clients: number; loops: number };
