'use strict';
// libcoord for Node.js, on koffi: a Client whose calls return Promises. See
// README.md in this directory; coord.h is the reference for what each call does.
const native = require('./lib/native');
const { Driver } = require('./lib/driver');
const errors = require('./lib/errors');
const results = require('./lib/results');
const { formatMoney } = require('./lib/money');

const { koffi, c } = native;
const { STATUS, AbortError, errorFor, recordOf } = errors;
const { int64, uint32 } = results;

{
  const st = c.coord_global_init(); // curl_global_init, before any client
  if (st !== 0) throw errorFor(st);
}

const BASE_URL_PRODUCTION = 'https://api.coord.co/v1/access/parking';
const BASE_URL_SANDBOX = 'https://api.sandbox.coord.co/v1/access/parking';
const WAIT = { started: 1, ended: 2 };

// ---- calls in flight: key (user_data) -> what settles its promise ----------
const pending = new Map();
let nextKey = 1;

function finish(call, key, status, errorPtr, value) {
  const entry = pending.get(key);
  if (entry === undefined) return;
  pending.delete(key);
  entry.signal?.removeEventListener('abort', entry.onAbort);
  const thrown = entry.held.observerErrors.size > 0 ? takeObserverError(entry.held, call) : undefined;
  if (thrown !== undefined) { // the call's observer threw on its record: the call rejects with that
    entry.reject(thrown.error);
    return;
  }
  if (status === STATUS.OK) {
    try {
      entry.resolve(value());
    } catch (e) {
      entry.reject(e);
    }
    return;
  }
  const record = recordOf(koffi.decode(errorPtr, native.CError));
  if (entry.aborted) {
    record.cause = entry.signal.reason;
    entry.reject(new AbortError(record));
  } else {
    entry.reject(errorFor(status, record));
  }
}

const onSession = koffi.register((call, status, error, session, key) =>
  finish(call, key, status, error, () => results.sessionAt(session)), koffi.pointer(native.SessionFn));
const onList = koffi.register((call, status, error, list, key) =>
  finish(call, key, status, error, () => results.sessionsOf(koffi.decode(list, native.SessionList))),
  koffi.pointer(native.ListFn));
const onBarcode = koffi.register((call, status, error, barcode, key) =>
  finish(call, key, status, error, () => results.barcodeAt(barcode)), koffi.pointer(native.BarcodeFn));
const onToken = koffi.register((call, status, error, token, key) =>
  finish(call, key, status, error, () => token), koffi.pointer(native.TokenFn));

// ---- observers: user_data key -> whose observer gets a native client's records
// A client's own native client is observed under its key (stream null); a
// streaming list's client under a key of that run (stream: the run's state).
// One trampoline for every client, as for the results above: a record whose
// key is gone (its client closed, its observer removed) is dropped, so the
// library can never call into a released callback, and no client holds one
// of koffi's registration slots.
const observed = new Map();
let nextObservedKey = 1;

const onRecord = koffi.register((record, key) => {
  const target = observed.get(key);
  const held = target?.held;
  const observer = held?.observer;
  if (!observer) return;
  held.observing = true;
  try {
    observer(results.callRecordAt(record));
  } catch (e) {
    // Never thrown through libcoord's frames (the loop goes on): kept, and
    // the call observed rejects with it -- as Python's binding raises it from
    // the call. The first one a call's records raised.
    if (target.stream) {
      target.stream.observerError ??= { error: e };
    } else {
      const id = koffi.decode(record, native.RECORD_CALL_ID, 'uint64_t');
      if (!held.observerErrors.has(id)) held.observerErrors.set(id, { error: e });
    }
  } finally {
    held.observing = false;
  }
}, koffi.pointer(native.ObserverFn));

/** What the observer threw on a record of this call (non-blocking: by call id), taken. */
function takeObserverError(held, call) {
  const id = c.coord_call_id(call);
  const thrown = held.observerErrors.get(id);
  held.observerErrors.delete(id);
  return thrown;
}

// Freed by the garbage collector when close() was never called. A client
// with calls in flight is reachable (pending holds it): never collected then.
const finalizer = new FinalizationRegistry((held) => freeNative(held));

// Native clients and loops alive, for nativeHandles() (tests, leak hunting).
const live = { clients: 0, loops: 0 };

function newClient(baseUrl, accessKey, out) {
  const st = c.coord_client_new(baseUrl, accessKey, out);
  if (st === 0) live.clients++;
  return st;
}

function freeClient(client) {
  c.coord_client_free(client);
  live.clients--;
}

function freeNative(held) {
  if (held.driver && !held.driver.closed) live.loops--;
  held.driver?.free(); // the calls it cancels: their records, then their callbacks
  // no record after this: a stream's (its client cancelled below) is dropped
  observed.delete(held.key);
  held.observer = null;
  held.observerErrors.clear();
  for (const b of held.idle.splice(0)) freeClient(b);
  // a streaming call still running is cancelled, and frees its client when it returns
  for (const b of held.streaming) c.coord_client_cancel(b);
  held.closed = true;
  if (held.client) freeClient(held.client);
  held.client = null;
}

function signalOf(options) {
  const signal = options?.signal;
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal))
    throw new TypeError('options.signal must be an AbortSignal');
  return signal ?? undefined;
}

function abortedError(signal) {
  return new AbortError({ detail: 'aborted before the call started', cause: signal.reason });
}

function optionalText(name, v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  return v;
}

function text(name, v) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  return v;
}

class Client {
  #held;     // the native handles, shared with the finalizer
  #settings; // setter name -> arguments, replayed on the streaming calls' clients
  #baseUrl;
  #accessKey;

  /**
   * @param {object} options  baseUrl, accessKey (required), token, userAgent,
   *   connectTimeoutMs, timeoutMs, retry {maxAttempts, baseDelayMs, maxDelayMs},
   *   caFile, caPath, pinnedPublicKey, proxy, proxyFromEnvironment,
   *   maxResponseSize, maxSessions, maxInFlight, maxHostConnections,
   *   maxMultiplexedConnections
   */
  constructor(options = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('new Client(options): options must be an object');
    this.#baseUrl = optionalText('baseUrl', options.baseUrl);
    this.#accessKey = text('accessKey', options.accessKey);
    this.#settings = new Map();
    const out = [null];
    const st = newClient(this.#baseUrl, this.#accessKey, out);
    if (st !== 0) throw errorFor(st, { detail: 'the base URL or the access key was refused' });
    const held = {
      client: out[0], driver: null, idle: [], streaming: new Set(), closed: false,
      key: nextObservedKey++, // the observer's user_data
      observer: null,         // setObserver's function
      observing: false,       // the observer is running (inside libcoord's frames)
      observerErrors: new Map(), // call id -> { error } the observer threw on its record
    };
    this.#held = held;
    try {
      held.driver = new Driver(options.maxInFlight ?? 64, options.maxHostConnections ?? 64);
      live.loops++;
      if (options.maxMultiplexedConnections !== undefined) {
        const n = uint32('maxMultiplexedConnections', options.maxMultiplexedConnections);
        const st = c.coord_loop_set_multiplexed_connections(held.driver.loop, n);
        if (st !== 0) throw errorFor(st, { detail: `maxMultiplexedConnections must be 1..10000, not ${n}` });
      }
      this.#configure(options);
    } catch (e) {
      freeNative(held);
      throw e;
    }
    finalizer.register(this, held, this);
  }

  #configure(o) {
    if (o.token !== undefined) this.setBearerToken(o.token);
    if (o.userAgent !== undefined) this.#set('coord_client_set_user_agent', optionalText('userAgent', o.userAgent));
    if (o.timeoutMs !== undefined || o.connectTimeoutMs !== undefined) {
      const total = uint32('timeoutMs', o.timeoutMs ?? 30000);
      this.#set('coord_client_set_timeouts',
                uint32('connectTimeoutMs', o.connectTimeoutMs ?? Math.min(10000, total)), total);
    }
    if (o.retry !== undefined) {
      const r = o.retry;
      this.#set('coord_client_set_retry', uint32('retry.maxAttempts', r.maxAttempts ?? 3),
                uint32('retry.baseDelayMs', r.baseDelayMs ?? 100),
                uint32('retry.maxDelayMs', r.maxDelayMs ?? 2000));
    }
    if (o.caFile !== undefined) this.#set('coord_client_set_ca_file', optionalText('caFile', o.caFile));
    if (o.caPath !== undefined) this.#set('coord_client_set_ca_path', optionalText('caPath', o.caPath));
    if (o.pinnedPublicKey !== undefined)
      this.#set('coord_client_set_pinned_public_key', optionalText('pinnedPublicKey', o.pinnedPublicKey));
    if (o.proxy !== undefined) this.#set('coord_client_set_proxy', optionalText('proxy', o.proxy));
    if (o.proxyFromEnvironment !== undefined)
      this.#set('coord_client_set_proxy_from_environment', o.proxyFromEnvironment ? 1 : 0);
    if (o.maxResponseSize !== undefined)
      this.#set('coord_client_set_max_response_size', uint32('maxResponseSize', o.maxResponseSize));
    if (o.maxSessions !== undefined)
      this.#set('coord_client_set_max_sessions', uint32('maxSessions', o.maxSessions));
  }

  /** A setter on the client (throws its CoordError), kept for the streaming clients. */
  #set(name, ...args) {
    const client = this.#live();
    const st = c[name](client, ...args);
    if (st !== 0) throw this.#lastError(client, st);
    for (const b of this.#held.idle) {
      if (c[name](b, ...args) !== 0) freeClient(this.#held.idle.splice(this.#held.idle.indexOf(b), 1)[0]);
    }
    this.#settings.set(name, args);
  }

  #live() {
    if (this.#held.closed) throw new errors.InvalidArgumentError(STATUS.INVALID_ARGUMENT, { detail: 'the client is closed' });
    return this.#held.client;
  }

  /** Refuse what libcoord forbids from inside the observer: a call on its client, freeing it. */
  #notObserving(what) {
    if (this.#held.observing) {
      throw new errors.InvalidArgumentError(STATUS.INVALID_ARGUMENT,
        { detail: `${what} from inside the client's observer (it runs inside libcoord): act after it returns` });
    }
  }

  #lastError(client, status) {
    return errorFor(status, recordOf(koffi.decode(c.coord_client_last_error(client), native.CError)));
  }

  /** Set (a JWT) or clear (null) the user's bearer token. */
  setBearerToken(token) {
    this.#set('coord_client_set_bearer_token', optionalText('token', token));
  }

  /**
   * observer(record) gets a plain object for each call of this client, once
   * the call is done and before its promise settles (a wait: one per poll;
   * a streamed list: one); null stops. It runs on the main thread, inside
   * libcoord: it must not start a call on this client or close it (those
   * throw). What it throws does not reach libcoord: the call it observed
   * rejects with it, as Python's binding raises it from the call.
   */
  setObserver(observer) {
    if (observer !== null && typeof observer !== 'function')
      throw new TypeError('observer must be a function or null');
    const held = this.#held;
    const client = this.#live();
    const on = observer !== null;
    const st = c.coord_client_set_observer(client, on ? onRecord : null, on ? held.key : 0);
    if (st !== 0) throw this.#lastError(client, st);
    held.observer = observer;
    if (on) observed.set(held.key, { held, stream: null });
    else observed.delete(held.key);
  }

  /**
   * How far the server's clock runs ahead of this machine's (negative:
   * behind), in milliseconds, estimated from its answers' Date headers
   * (coord_client_clock_offset_ms); null before an answer gave one, or
   * after this machine's clock was set. Good to about a second.
   */
  clockOffsetMs() {
    const client = this.#live();
    const out = [0];
    if (c.coord_client_clock_offset_ms(client, out) === 0) return Number(out[0]);
    // a client that only streamed: its streaming clients' answers (those not running)
    for (const b of this.#held.idle) {
      if (c.coord_client_clock_offset_ms(b, out) === 0) return Number(out[0]);
    }
    return null;
  }

  /**
   * Free the client: calls still in flight end with a CancelledError first.
   * Safe to call twice; the garbage collector does it for a forgotten client.
   */
  close() {
    if (this.#held.closed) return;
    this.#notObserving('close()');
    finalizer.unregister(this);
    freeNative(this.#held);
  }

  [Symbol.dispose]() { this.close(); }

  /** Calls of this client in flight or queued (coord_loop_calls); 0 once closed. */
  get callsInFlight() {
    return this.#held.closed ? 0 : c.coord_loop_calls(this.#held.driver.loop);
  }

  /** Start a non-blocking call: start(loop, client, ...args, onDone, key, outCall). */
  #start(startFn, onDone, args, options) {
    return new Promise((resolve, reject) => {
      const signal = signalOf(options);
      if (signal?.aborted) {
        reject(abortedError(signal));
        return;
      }
      const client = this.#live();
      this.#notObserving('a call');
      const key = nextKey++;
      const entry = { resolve, reject, signal, call: null, aborted: false, onAbort: null, owner: this,
                      held: this.#held };
      const out = [null];
      pending.set(key, entry);
      const st = startFn(this.#held.driver.loop, client, ...args, onDone, key, out);
      if (st !== 0) {
        pending.delete(key);
        reject(this.#lastError(client, st));
        return;
      }
      entry.call = out[0];
      if (signal) {
        entry.onAbort = () => {
          if (!pending.has(key)) return;
          entry.aborted = true;
          c.coord_call_cancel(entry.call); // its callback runs before this returns
          this.#held.driver?.settle();
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#held.driver.settle();
    });
  }

  /** End an active session at a location; resolves to the ended session with its bill. */
  async endSession(locationId, sessionId, options) {
    return this.#start(c.coord_end_session_async, onSession,
                       [text('locationId', locationId), int64('sessionId', sessionId)], options);
  }

  /**
   * End a session held from an earlier answer: a gate-controlled one (with
   * redemption_info) is refused with PhysicalCheckoutError, nothing sent.
   */
  async endHeldSession(session, options) {
    if (typeof session !== 'object' || session === null) throw new TypeError('session must be an object');
    return this.#start(c.coord_session_end_async, onSession, [results.toCSession(session)], options);
  }

  /** Open a session for the token's user (options.resourceId: stall, charger or pump). */
  async createSession(locationId, options) {
    return this.#start(c.coord_session_create_async, onSession,
                       [text('locationId', locationId), optionalText('resourceId', options?.resourceId)],
                       options);
  }

  async getSession(locationId, sessionId, options) {
    return this.#start(c.coord_session_get_async, onSession,
                       [text('locationId', locationId), int64('sessionId', sessionId)], options);
  }

  /** The user's sessions at a location, as an array (at most maxSessions). */
  async listLocationSessions(locationId, options) {
    return this.#start(c.coord_session_list_location_async, onList,
                       [text('locationId', locationId)], options);
  }

  /** The user's sessions at every location, as an array (at most maxSessions). */
  async listUserSessions(options) {
    return this.#start(c.coord_session_list_user_async, onList, [], options);
  }

  /**
   * Poll a session until it has started (until: "started") or ended
   * ("ended"); TimeoutError at options.timeoutMs (default 60000), polls every
   * options.intervalMs (default 1000).
   */
  async waitSession(locationId, sessionId, options = {}) {
    const until = WAIT[options.until ?? 'started'];
    if (until === undefined) throw new RangeError('options.until must be "started" or "ended"');
    return this.#start(c.coord_session_wait_async, onSession,
                       [text('locationId', locationId), int64('sessionId', sessionId), until,
                        uint32('timeoutMs', options.timeoutMs ?? 60000),
                        uint32('intervalMs', options.intervalMs ?? 1000)], options);
  }

  /** A barcode for the user to scan on entry and exit: {data, format}. */
  async createBarcode(options) {
    return this.#start(c.coord_barcode_create_async, onBarcode, [], options);
  }

  /** Sandbox: act as if the test user checked in now and out durationM minutes later. */
  async testSimulateRedemption(locationId, sessionId, durationM, options) {
    return this.#start(c.coord_test_simulate_redemption_async, onSession,
                       [text('locationId', locationId), int64('sessionId', sessionId),
                        uint32('durationM', durationM)], options);
  }

  /**
   * The user's sessions at a location one at a time, as an async iterator
   * (coord_session_list_location_each): no array, so no maxSessions cap.
   */
  streamLocationSessions(locationId, options) {
    return this.#stream(c.coord_session_list_location_each, [text('locationId', locationId)], options);
  }

  /** The user's sessions at every location one at a time (see streamLocationSessions). */
  streamUserSessions(options) {
    return this.#stream(c.coord_session_list_user_each, [], options);
  }

  /**
   * A streaming list runs the blocking *_each call as a koffi async call, on
   * a thread of libuv's pool, with a client of its own (the loop's client
   * belongs to the main thread); each session comes to the main thread
   * through koffi's thread-safe callback. Those clients are kept for the
   * next stream and get every setting this client gets.
   */
  async *#stream(fn, args, options) {
    const signal = signalOf(options);
    if (signal?.aborted) throw abortedError(signal);
    const held = this.#held;
    this.#notObserving('a call');
    const client = this.#streamingClient();
    // its record to this client's observer (if one is set now), under a key of this run
    const run = { observerError: null };
    const runKey = held.observer ? nextObservedKey++ : 0;
    if (runKey !== 0) observed.set(runKey, { held, stream: run });
    void c.coord_client_set_observer(client, runKey !== 0 ? onRecord : null, runKey);
    const got = [];
    let taken = 0, wake = null, stop = false, failure = null, done = false;
    const each = (session) => {
      if (stop) return 1;
      got.push(results.sessionAt(session));
      wake?.();
      return 0;
    };
    const onAbort = () => {
      stop = true;
      c.coord_client_cancel(client);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    held.streaming.add(client);
    const one = Buffer.alloc(koffi.sizeof(native.Session));
    fn.async(client, ...args, one, each, 0, (err, st) => {
      observed.delete(runKey);
      if (err) failure = err;
      else if (run.observerError) failure = run.observerError.error;
      else if (st !== 0) failure = this.#lastError(client, st);
      if (failure && !run.observerError && signal?.aborted)
        failure = new AbortError({ ...failure, cause: signal.reason });
      held.streaming.delete(client);
      if (held.closed) freeClient(client);
      else held.idle.push(client);
      done = true;
      wake?.();
    });
    try {
      for (;;) {
        if (taken < got.length) {
          const session = got[taken];
          got[taken++] = undefined;
          yield session;
        } else if (done) {
          break;
        } else {
          await new Promise((resolve) => { wake = resolve; });
          wake = null;
        }
      }
      if (failure) throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!done) onAbort(); // the consumer stopped early: the walk stops at its next session
    }
  }

  #streamingClient() {
    this.#live();
    const idle = this.#held.idle.pop();
    if (idle !== undefined) return idle;
    const out = [null];
    const st = newClient(this.#baseUrl, this.#accessKey, out);
    if (st !== 0) throw errorFor(st);
    for (const [name, args] of this.#settings) {
      const set = c[name](out[0], ...args);
      if (set !== 0) {
        const e = this.#lastError(out[0], set);
        freeClient(out[0]);
        throw e;
      }
    }
    return out[0];
  }

  /** Sandbox: a test user's token (a secret: keep it out of logs). */
  async testCreateJwt(email, options) {
    return this.#start(c.coord_test_create_jwt_async, onToken,
                       [text('email', email), optionalText('externalUid', options?.externalUid)],
                       options);
  }
}

module.exports = {
  Client,
  BASE_URL_PRODUCTION,
  BASE_URL_SANDBOX,
  formatMoney,
  version: () => c.coord_version(),
  /** Native clients and loops not yet freed (close() or the garbage collector). */
  nativeHandles: () => ({ ...live }),
  ...errors,
};
