'use strict';
// C results as plain objects with the JSON's field names. Ids and amounts are
// Numbers: the library refuses any beyond +/-(2^53 - 1) (coord_session_decode),
// so none is ever rounded.
const native = require('./native');
const { formatMoney } = require('./money');

const { koffi, c } = native;

function money(m) {
  return { amount: m.amount, currency: m.currency, formatted: formatMoney(m.amount, m.currency) };
}

/** A coord_session at ptr (a koffi pointer) as a plain object. */
function sessionAt(ptr) {
  const h = koffi.decode(ptr, native.SessionHead);
  const s = { id: h.id, location_id: h.location_id, user_id: h.user_id };
  if (h.resource_id !== '') s.resource_id = h.resource_id;
  if (h.has_start_time) {
    s.start_time = h.start_time;
    s.start_time_ms = h.start_time_ms;
  }
  if (h.has_end_time) {
    s.end_time = h.end_time;
    s.end_time_ms = h.end_time_ms;
  }
  if (h.has_billing_info) {
    const b = koffi.decode(ptr, native.SESSION_BILLING, native.BillingInfo);
    s.billing_info = { cost: b.has_cost ? money(b.cost) : null };
  }
  if (h.has_redemption_info)
    s.redemption_info = { barcode: barcodeAt(ptr, native.SESSION_REDEMPTION) };
  s.recovered = koffi.decode(ptr, native.SESSION_RECOVERED, 'uint8_t') === 1;
  return s;
}

function barcodeAt(ptr, offset = 0) {
  const r = koffi.decode(ptr, offset, native.RedemptionInfo);
  return { data: r.barcode_data, format: r.barcode_format };
}

/** The sessions of a coord_session_list (decoded by koffi), in order. */
function sessionsOf(list) {
  const out = new Array(list.count);
  const size = koffi.sizeof(native.Session);
  for (let i = 0; i < list.count; i++) out[i] = sessionAt(list.sessions + BigInt(i * size));
  return out;
}

/**
 * A session object (as the calls return it) as the coord_session the C
 * library reads: the fields coord_session_end() looks at and the rest.
 */
function toCSession(s) {
  const text = (name, v, max) => {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new TypeError(`session.${name} must be a string`);
    if (Buffer.byteLength(v) >= max) throw new RangeError(`session.${name}: at most ${max - 1} bytes`);
    return v;
  };
  const out = {
    id: int64('session.id', s.id),
    location_id: text('location_id', s.location_id, native.ID_MAX),
    user_id: text('user_id', s.user_id, native.ID_MAX),
    resource_id: text('resource_id', s.resource_id, native.ID_MAX),
    has_start_time: 0, has_end_time: 0, has_billing_info: 0, has_redemption_info: 0,
    start_time: '', end_time: '', start_time_ms: 0, end_time_ms: 0,
    billing_info: { has_cost: 0, cost: { amount: 0, currency: '' } },
    redemption_info: { barcode_data: '', barcode_format: '' },
    recovered: s.recovered ? 1 : 0,
    reserved: new Uint8Array(1495),
  };
  if (s.redemption_info) {
    const b = s.redemption_info.barcode || {};
    out.has_redemption_info = 1;
    out.redemption_info = {
      barcode_data: text('redemption_info.barcode.data', b.data, 2048),
      barcode_format: text('redemption_info.barcode.format', b.format, 32),
    };
  }
  return out;
}

/**
 * A coord_call_record at ptr as a plain object: the C field names (as
 * Python's CallRecord has them), the operation and statuses by name, the
 * times in milliseconds (fractional: the record counts microseconds).
 * session_id is a Number, or a BigInt beyond 2^53 - 1 (an id the call was
 * given as a BigInt): koffi's rule for a 64-bit integer.
 */
function callRecordAt(ptr) {
  const r = koffi.decode(ptr, native.CallRecordHead);
  const ms = (us) => Number(us) / 1000;
  const reasons = r.retry_reasons.slice(0, Math.min(r.retries, native.RECORD_RETRIES_MAX));
  return {
    operation: c.coord_operation_name(r.operation),
    location_id: r.location_id,
    session_id: r.session_id,
    call_id: r.call_id,
    status: c.coord_status_name(r.status),
    http_status: r.http_status,
    attempts: r.attempts,
    retries: r.retries,
    retry_reasons: reasons.map((x) => ({ status: c.coord_status_name(x.status), http_status: x.http_status })),
    recovered: r.recovered === 1,
    has_timings: r.has_timings === 1,
    connection_reused: r.connection_reused === 1,
    http_version: r.http_version,
    connections_opened: r.connections_opened,
    queued_ms: ms(r.queued_us),
    elapsed_ms: ms(r.elapsed_us),
    dns_ms: ms(r.dns_us),
    connect_ms: ms(r.connect_us),
    tls_ms: ms(r.tls_us),
    ttfb_ms: ms(r.ttfb_us),
    total_ms: ms(r.total_us),
    bytes_sent: Number(r.bytes_sent),
    bytes_received: Number(r.bytes_received),
    request_id: r.request_id,
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An int64 argument: a safe integer Number, or a BigInt within int64. A
 * Number beyond 2^53 - 1 may already be rounded: refused, never sent.
 */
function int64(name, v) {
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`${name} is out of the int64 range`);
    return v;
  }
  if (!Number.isSafeInteger(v))
    throw new RangeError(`${name} must be a safe integer (or a BigInt), not ${typeof v === 'number' ? v : typeof v}`);
  return v;
}

function uint32(name, v) {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new RangeError(`${name} must be an integer in 0..4294967295`);
  return v;
}

module.exports = { sessionAt, barcodeAt, sessionsOf, callRecordAt, toCSession, int64, uint32 };
