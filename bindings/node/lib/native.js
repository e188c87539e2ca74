'use strict';
// libcoord through koffi: the library found, its structs mirrored field for
// field as in coord.h, its functions declared. Nothing here allocates a
// client or a loop; index.js and driver.js do.
//
// The library is found, in order, at $COORD_LIBRARY, in the build tree this
// file sits in (build/lib/libcoord.so.1), then as libcoord.so.1 by the
// system's loader (after `make install`: ldconfig, or LD_LIBRARY_PATH).
const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

function candidates() {
  const list = [];
  if (process.env.COORD_LIBRARY) list.push(process.env.COORD_LIBRARY);
  const inTree = path.join(__dirname, '..', '..', '..', 'build', 'lib', 'libcoord.so.1');
  if (fs.existsSync(inTree)) list.push(inTree);
  list.push('libcoord.so.1'); // the SONAME: the loader's search path
  return list;
}

function load() {
  const errors = [];
  for (const file of candidates()) {
    try {
      return koffi.load(file);
    } catch (e) {
      errors.push(`${file}: ${e.message}`);
    }
  }
  throw new Error('libcoord.so.1 not found. After `make install`, run `sudo ldconfig` (or set ' +
                  'LD_LIBRARY_PATH to the LIBDIR it went to), or set COORD_LIBRARY to the file. ' +
                  'Tried: ' + errors.join('; '));
}

const lib = load();

const ID_MAX = 128;
const TIME_MAX = 40;
const CURRENCY_MAX = 4;
const BARCODE_DATA_MAX = 2048;
const BARCODE_FORMAT_MAX = 32;
const MESSAGE_MAX = 256;
const EMAIL_MAX = 255;
const TOKEN_MAX = 8192;
const MONEY_TEXT_MAX = 32; // COORD_MONEY_TEXT_MAX
const RECORD_RETRIES_MAX = 4; // COORD_RECORD_RETRIES_MAX
const REQUEST_ID_MAX = 64; // COORD_REQUEST_ID_MAX

// ---- the C structs, field for field as in coord.h ---------------------------
const Money = koffi.struct('coord_money', {
  amount: 'int64_t',
  currency: koffi.array('char', CURRENCY_MAX),
});
const BillingInfo = koffi.struct('coord_billing_info', {
  has_cost: 'uint8_t',
  cost: Money,
});
const RedemptionInfo = koffi.struct('coord_redemption_info', {
  barcode_data: koffi.array('char', BARCODE_DATA_MAX),
  barcode_format: koffi.array('char', BARCODE_FORMAT_MAX),
});
const sessionFields = {
  id: 'int64_t',
  location_id: koffi.array('char', ID_MAX),
  user_id: koffi.array('char', ID_MAX),
  resource_id: koffi.array('char', ID_MAX),
  has_start_time: 'uint8_t',
  has_end_time: 'uint8_t',
  has_billing_info: 'uint8_t',
  has_redemption_info: 'uint8_t',
  start_time: koffi.array('char', TIME_MAX),
  end_time: koffi.array('char', TIME_MAX),
  start_time_ms: 'int64_t',
  end_time_ms: 'int64_t',
  billing_info: BillingInfo,
  redemption_info: RedemptionInfo,
  recovered: 'uint8_t',
};
const Session = koffi.struct('coord_session', {
  ...sessionFields,
  reserved: koffi.array('uint8_t', 1495),
});
// What a result is read with: the fields before the big ones, decoded on every
// result; billing_info and redemption_info are read only when their flag says so.
const { billing_info: _b, redemption_info: _r, recovered: _c, ...headFields } = sessionFields;
const SessionHead = koffi.struct('coord_session_head', headFields);
const SESSION_BILLING = koffi.offsetof(Session, 'billing_info');
const SESSION_REDEMPTION = koffi.offsetof(Session, 'redemption_info');
const SESSION_RECOVERED = koffi.offsetof(Session, 'recovered');

const CError = koffi.struct('coord_error', {
  status: 'int32_t',
  http_status: 'int32_t',
  has_api_error: 'uint8_t',
  api_code: 'int32_t',
  api_message: koffi.array('char', MESSAGE_MAX),
  detail: koffi.array('char', MESSAGE_MAX),
  attempts: 'int32_t',
});
const SessionList = koffi.struct('coord_session_list', {
  sessions: 'void *',
  count: 'uint32_t',
  reserved: koffi.array('uint8_t', 52),
});
const RetryReason = koffi.struct('coord_retry_reason', {
  status: 'int32_t',
  http_status: 'int32_t',
});
const recordFields = {
  size: 'uint32_t',
  operation: 'int32_t',
  session_id: 'int64_t',
  location_id: koffi.array('char', ID_MAX),
  call_id: 'uint64_t',
  status: 'int32_t',
  http_status: 'int32_t',
  attempts: 'int32_t',
  retries: 'uint32_t',
  retry_reasons: koffi.array(RetryReason, RECORD_RETRIES_MAX),
  recovered: 'uint8_t',
  has_timings: 'uint8_t',
  connection_reused: 'uint8_t',
  http_version: 'uint8_t',
  connections_opened: 'uint32_t',
  queued_us: 'int64_t',
  elapsed_us: 'int64_t',
  dns_us: 'int64_t',
  connect_us: 'int64_t',
  tls_us: 'int64_t',
  ttfb_us: 'int64_t',
  total_us: 'int64_t',
  bytes_sent: 'int64_t',
  bytes_received: 'int64_t',
  request_id: koffi.array('char', REQUEST_ID_MAX),
};
const CallRecord = koffi.struct('coord_call_record', {
  ...recordFields,
  reserved: koffi.array('uint8_t', 168),
});
// What a record is read with: all but its reserved tail.
const CallRecordHead = koffi.struct('coord_call_record_head', recordFields);
const RECORD_CALL_ID = koffi.offsetof(CallRecord, 'call_id');

// C type name -> koffi mirror, for the layout test (tests/node).
const LAYOUTS = {
  coord_money: Money,
  coord_billing_info: BillingInfo,
  coord_redemption_info: RedemptionInfo,
  coord_session: Session,
  coord_error: CError,
  coord_session_list: SessionList,
  coord_retry_reason: RetryReason,
  coord_call_record: CallRecord,
};

// Handles stay opaque: a pointer is a BigInt in koffi 3. user_data is declared
// intptr_t: the binding passes a number (the call's key), never a pointer.
koffi.opaque('coord_client');
koffi.opaque('coord_loop');
koffi.opaque('coord_call');

// The result callbacks of the non-blocking calls differ in their result only.
const resultFn = (name, result) => koffi.proto(`void ${name}(coord_call *call, int status, ` +
  `const coord_error *error, ${result}, intptr_t user_data)`);
const SessionFn = resultFn('coord_session_fn', 'const coord_session *session');
const ListFn = resultFn('coord_session_list_fn', 'coord_session_list *list');
const BarcodeFn = resultFn('coord_barcode_fn', 'const coord_redemption_info *barcode');
const TokenFn = resultFn('coord_token_fn', 'const char *token');
const SocketFn = koffi.proto('void coord_loop_socket_fn(coord_loop *loop, int fd, int events, ' +
  'intptr_t user_data, void *socket_data)');
const TimerFn = koffi.proto('void coord_loop_timer_fn(coord_loop *loop, int64_t timeout_ms, ' +
  'intptr_t user_data)');
// The observer's user_data is a number too (index.js: the client's key).
const ObserverFn = koffi.proto('void coord_observer_fn(const coord_call_record *record, ' +
  'intptr_t user_data)');
const EachFn = koffi.proto('int coord_session_each_fn(coord_session *session, intptr_t user_data)');

const PROTOTYPES = [
  'const char *coord_version(void)',
  'const char *coord_strerror(int status)',
  'const char *coord_status_name(int status)',
  'int coord_global_init(void)',
  'int coord_client_new(const char *base_url, const char *access_key, _Out_ coord_client **out)',
  'void coord_client_free(coord_client *client)',
  'int coord_client_set_bearer_token(coord_client *client, const char *token)',
  'int coord_client_set_user_agent(coord_client *client, const char *user_agent)',
  'int coord_client_set_timeouts(coord_client *client, uint32_t connect_ms, uint32_t total_ms)',
  'int coord_client_set_max_response_size(coord_client *client, uint32_t max_bytes)',
  'int coord_client_set_max_sessions(coord_client *client, uint32_t max_sessions)',
  'int coord_client_set_ca_file(coord_client *client, const char *path)',
  'int coord_client_set_ca_path(coord_client *client, const char *path)',
  'int coord_client_set_pinned_public_key(coord_client *client, const char *pin)',
  'int coord_client_set_proxy(coord_client *client, const char *proxy)',
  'int coord_client_set_proxy_from_environment(coord_client *client, int use)',
  'int coord_client_set_retry(coord_client *client, uint32_t max_attempts, ' +
    'uint32_t base_delay_ms, uint32_t max_delay_ms)',
  'const coord_error *coord_client_last_error(const coord_client *client)',
  'int coord_client_cancel(coord_client *client)',
  'int coord_client_set_observer(coord_client *client, coord_observer_fn *observer, ' +
    'intptr_t user_data)',
  'const char *coord_operation_name(int32_t operation)',
  'int coord_client_clock_offset_ms(coord_client *client, _Out_ int64_t *out_ms)',
  'int coord_money_format(const coord_money *money, _Out_ uint8_t *out_text, size_t size)',
  'int coord_session_decode(const char *json, size_t len, _Out_ coord_session *out, ' +
    '_Out_ char *detail, size_t detail_size)',
  'int coord_session_list_decode(const char *json, size_t len, _Out_ coord_session_list *out, ' +
    '_Out_ char *detail, size_t detail_size)',
  'void coord_session_list_free(_Inout_ coord_session_list *list)',
  // the streaming lists run blocking, on a worker thread (index.js says why)
  'int coord_session_list_location_each(coord_client *client, const char *location_id, ' +
    'coord_session *session, coord_session_each_fn *fn, intptr_t user_data)',
  'int coord_session_list_user_each(coord_client *client, coord_session *session, ' +
    'coord_session_each_fn *fn, intptr_t user_data)',
  // the loop
  'int coord_loop_new(_Out_ coord_loop **out)',
  'void coord_loop_free(coord_loop *loop)',
  'int coord_loop_set_limits(coord_loop *loop, uint32_t max_calls, uint32_t max_host_connections)',
  'int coord_loop_set_multiplexed_connections(coord_loop *loop, uint32_t max_connections)',
  'int coord_loop_set_callbacks(coord_loop *loop, coord_loop_socket_fn *on_socket, ' +
    'coord_loop_timer_fn *on_timer, intptr_t user_data)',
  'int coord_loop_socket_ready(coord_loop *loop, int fd, int events)',
  'int coord_loop_timeout(coord_loop *loop)',
  'uint32_t coord_loop_calls(const coord_loop *loop)',
  'int coord_call_cancel(coord_call *call)',
  'uint64_t coord_call_id(const coord_call *call)',
  // the non-blocking calls
  'int coord_end_session_async(coord_loop *loop, coord_client *client, const char *location_id, ' +
    'int64_t session_id, coord_session_fn *on_done, intptr_t user_data, _Out_ coord_call **out)',
  'int coord_session_end_async(coord_loop *loop, coord_client *client, ' +
    'const coord_session *session, coord_session_fn *on_done, intptr_t user_data, ' +
    '_Out_ coord_call **out)',
  'int coord_session_create_async(coord_loop *loop, coord_client *client, ' +
    'const char *location_id, const char *resource_id, coord_session_fn *on_done, ' +
    'intptr_t user_data, _Out_ coord_call **out)',
  'int coord_session_get_async(coord_loop *loop, coord_client *client, const char *location_id, ' +
    'int64_t session_id, coord_session_fn *on_done, intptr_t user_data, _Out_ coord_call **out)',
  'int coord_session_list_location_async(coord_loop *loop, coord_client *client, ' +
    'const char *location_id, coord_session_list_fn *on_done, intptr_t user_data, ' +
    '_Out_ coord_call **out)',
  'int coord_session_list_user_async(coord_loop *loop, coord_client *client, ' +
    'coord_session_list_fn *on_done, intptr_t user_data, _Out_ coord_call **out)',
  'int coord_session_wait_async(coord_loop *loop, coord_client *client, const char *location_id, ' +
    'int64_t session_id, int until, uint32_t timeout_ms, uint32_t interval_ms, ' +
    'coord_session_fn *on_done, intptr_t user_data, _Out_ coord_call **out)',
  'int coord_barcode_create_async(coord_loop *loop, coord_client *client, ' +
    'coord_barcode_fn *on_done, intptr_t user_data, _Out_ coord_call **out)',
  'int coord_test_simulate_redemption_async(coord_loop *loop, coord_client *client, ' +
    'const char *location_id, int64_t session_id, uint32_t duration_m, ' +
    'coord_session_fn *on_done, intptr_t user_data, _Out_ coord_call **out)',
  'int coord_test_create_jwt_async(coord_loop *loop, coord_client *client, const char *email, ' +
    'const char *external_uid, coord_token_fn *on_done, intptr_t user_data, ' +
    '_Out_ coord_call **out)',
];

const c = {};
for (const proto of PROTOTYPES) {
  const fn = lib.func(proto);
  c[fn.info.name] = fn;
}

// libc: the readiness wait of driver.js (poll on a worker thread, an eventfd to
// wake it). Linux: eventfd(2).
const libc = koffi.load('libc.so.6');
const sys = {
  poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
  eventfd: libc.func('int eventfd(unsigned int initval, int flags)'),
  read: libc.func('intptr_t read(int fd, void *buf, size_t count)'),
  write: libc.func('intptr_t write(int fd, const void *buf, size_t count)'),
  close: libc.func('int close(int fd)'),
};

module.exports = {
  koffi, c, sys, LAYOUTS, Session, SessionHead, CError, SessionList, RedemptionInfo, Money,
  BillingInfo, CallRecord, CallRecordHead, SessionFn, ListFn, BarcodeFn, TokenFn, SocketFn,
  TimerFn, EachFn, ObserverFn, SESSION_BILLING, SESSION_REDEMPTION, SESSION_RECOVERED,
  RECORD_CALL_ID, ID_MAX, TIME_MAX, MESSAGE_MAX, EMAIL_MAX, TOKEN_MAX, MONEY_TEXT_MAX,
  RECORD_RETRIES_MAX,
};
