'use strict';
// C results as plain objects with the JSON's field names. Ids and amounts are
// Numbers: the library refuses any beyond +/-(2^53 - 1) (coord_session_decode),
// so none is ever rounded.
const native = require('./native');
const { formatMoney } = require('./money');

const { koffi } = native;

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

module.exports = { sessionAt, barcodeAt, sessionsOf, toCSession, int64, uint32 };
