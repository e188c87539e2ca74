// The Node binding (bindings/node) against the simulator: run through
// tests/sim/with_sim.sh (COORD_SIM_URL, COORD_SIM_KEY), with COORD_LIBRARY
// naming the libcoord.so under test and COORD_CC the C compiler for the
// layout check. `npm test` in bindings/node runs it so.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const coord = require(join(ROOT, 'bindings', 'node', 'index.js'));
const native = require(join(ROOT, 'bindings', 'node', 'lib', 'native.js'));

const SIM = process.env.COORD_SIM_URL;
const KEY = process.env.COORD_SIM_KEY;
const BASE = `${SIM}/v1/access/parking`;
const DEFAULT_USER = '00000000-0000-0000-0000-000000000000';
const LOT = 'NODE-LOT';

async function sim(path, body, method = 'POST') {
  const res = await fetch(SIM + path, { method, body: body && JSON.stringify(body) });
  return res.json();
}
const seeded = async (extra = {}) =>
  (await sim('/_sim/sessions', { location_id: LOT, start_minutes_ago: 30, ...extra })).id;
const apiRequests = async () => (await sim('/_sim/stats', undefined, 'GET')).api_requests;

let token;
const clients = [];
function client(options = {}) {
  const c = new coord.Client({ baseUrl: BASE, accessKey: KEY, token, ...options });
  clients.push(c);
  return c;
}

before(async () => {
  assert.ok(SIM && KEY, 'run through tests/sim/with_sim.sh');
  await sim('/_sim/reset', {});
  await sim('/_sim/locations', { location_id: LOT, hourly_rate: 200 });
  token = (await sim('/_sim/tokens', { user_id: DEFAULT_USER })).jwt_token;
});
after(() => { for (const c of clients) c.close(); });

describe('layout and library', () => {
  test('the koffi mirrors match the C compiler', () => {
    const lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "coord/coord.h"',
                   'int main(void) {'];
    for (const [cname, type] of Object.entries(native.LAYOUTS)) {
      lines.push(`printf("${cname} %zu\\n", sizeof(${cname}));`);
      for (const m of Object.keys(type.members))
        lines.push(`printf("${cname}.${m} %zu\\n", offsetof(${cname}, ${m}));`);
    }
    lines.push('return 0; }');
    const tmp = mkdtempSync(join(tmpdir(), 'coord-layout-'));
    try {
      writeFileSync(join(tmp, 'l.c'), lines.join('\n'));
      execFileSync(process.env.COORD_CC || 'cc', ['-std=c99', '-I', join(ROOT, 'include'),
                                                   join(tmp, 'l.c'), '-o', join(tmp, 'l')]);
      const c = Object.fromEntries(execFileSync(join(tmp, 'l'), { encoding: 'utf8' })
        .trim().split('\n').map((l) => l.split(' ')));
      let checked = 0;
      for (const [cname, type] of Object.entries(native.LAYOUTS)) {
        assert.equal(Number(c[cname]), native.koffi.sizeof(type), cname);
        for (const m of Object.keys(type.members)) {
          assert.equal(Number(c[`${cname}.${m}`]), native.koffi.offsetof(type, m), `${cname}.${m}`);
          checked++;
        }
      }
      assert.ok(checked > 25);
      assert.equal(native.koffi.sizeof(native.Session), 4096);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('one error class per status, named after it', () => {
    const header = readFileSync(join(ROOT, 'include', 'coord', 'coord.h'), 'utf8');
    const body = /typedef enum coord_status \{([\s\S]*?)\} coord_status;/.exec(header)[1];
    const inC = Object.fromEntries([...body.matchAll(/COORD_(?:ERR_)?([A-Z_]+) = (\d+)/g)]
      .map(([, name, v]) => [name, Number(v)]));
    assert.deepEqual(coord.STATUS, inC);
    for (const [name, status] of Object.entries(coord.STATUS)) {
      if (status === 0) continue;
      const cls = coord.ERRORS[status];
      const e = new cls(status, {});
      assert.ok(e instanceof coord.CoordError && e instanceof Error);
      assert.equal(e.statusName, `COORD_ERR_${name}`);
      assert.equal(e.name, cls.name);
      assert.equal(coord[cls.name], cls);
    }
    assert.equal(coord.ERRORS[coord.STATUS.ALREADY_ENDED], coord.AlreadyEndedError);
    assert.equal(coord.ERRORS[coord.STATUS.TIMEOUT], coord.TimeoutError);
  });

  test('money is formatted beside its minor units', () => {
    assert.equal(coord.formatMoney(1234, 'USD'), '12.34 USD');
    assert.equal(coord.formatMoney(5, 'EUR'), '0.05 EUR');
    assert.equal(coord.formatMoney(-5, 'EUR'), '-0.05 EUR');
    assert.equal(coord.formatMoney(1234, 'JPY'), '1234 JPY');
    assert.equal(coord.formatMoney(1234, 'KWD'), '1.234 KWD');
    assert.equal(coord.formatMoney(2 ** 53 - 1, 'USD'), '90071992547409.91 USD');
    // libcoord's ISO 4217 table: CLF has 4 decimals, XAU (gold) none; an
    // unlisted code gets 2; INT64_MIN as a BigInt
    assert.equal(coord.formatMoney(12345, 'CLF'), '1.2345 CLF');
    assert.equal(coord.formatMoney(7, 'XAU'), '7 XAU');
    assert.equal(coord.formatMoney(7, 'QQQ'), '0.07 QQQ');
    assert.equal(coord.formatMoney(-(2n ** 63n), 'USD'), '-92233720368547758.08 USD');
    assert.throws(() => coord.formatMoney(1, 'usd'), TypeError);
    assert.throws(() => coord.formatMoney(1.5, 'USD'), TypeError);
  });
});

describe('calls', () => {
  test('end: the ended session with its bill, as plain JSON fields', async () => {
    const id = await seeded();
    const s = await client().endSession(LOT, id);
    assert.equal(s.id, id);
    assert.equal(s.location_id, LOT);
    assert.equal(s.user_id, DEFAULT_USER);
    assert.match(s.end_time, /^\d{4}-\d\d-\d\dT/);
    assert.equal(typeof s.end_time_ms, 'number');
    assert.equal(s.billing_info.cost.amount, 100); // 30 minutes at 200 an hour
    assert.equal(s.billing_info.cost.currency, 'USD');
    assert.equal(s.billing_info.cost.formatted, '1.00 USD');
    assert.equal(s.redemption_info, undefined);
    assert.equal(s.recovered, false);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s); // plain data
  });

  test('errors carry status name, HTTP status, API code, message and attempts', async () => {
    const id = await seeded();
    const c = client();
    await c.endSession(LOT, id);
    const e = await c.endSession(LOT, id).then(() => assert.fail('ended twice'), (x) => x);
    assert.ok(e instanceof coord.AlreadyEndedError);
    assert.equal(e.statusName, 'COORD_ERR_ALREADY_ENDED');
    assert.equal(e.status, coord.STATUS.ALREADY_ENDED);
    assert.equal(e.httpStatus, 409);
    assert.equal(e.apiCode, 4091);
    assert.match(e.apiMessage, /already ended/);
    assert.equal(e.attempts, 1);
    assert.match(e.message, /^COORD_ERR_ALREADY_ENDED \(HTTP 409\)/);
    await assert.rejects(c.getSession(LOT, 999999), coord.NotFoundError);
  });

  test('create, get, list (array and stream), barcode, wait, simulated redemption', async () => {
    await sim('/_sim/locations', { location_id: 'NODE-GATE', gate_controlled: true });
    const c = client({ token: (await sim('/_sim/tokens', { email: 'node@example.com' })).jwt_token });
    const s = await c.createSession(LOT, { resourceId: 'stall-1' });
    assert.equal(s.resource_id, 'stall-1');
    assert.equal(s.end_time, undefined);
    await assert.rejects(c.createSession(LOT), coord.SessionActiveError);
    assert.equal((await c.getSession(LOT, s.id)).id, s.id);
    const gate = await c.createSession('NODE-GATE');
    assert.equal(gate.redemption_info.barcode.format, 'aztec');
    assert.equal(gate.start_time, undefined);
    const redeemed = await c.testSimulateRedemption('NODE-GATE', gate.id, 60);
    assert.equal(redeemed.billing_info.cost.currency, 'USD');
    const waited = await c.waitSession('NODE-GATE', gate.id, { until: 'ended', timeoutMs: 5000, intervalMs: 50 });
    assert.equal(waited.id, gate.id);
    assert.ok(waited.end_time);
    const mine = await c.listUserSessions();
    assert.deepEqual(mine.map((x) => x.id), [s.id, gate.id]);
    assert.deepEqual((await c.listLocationSessions(LOT)).map((x) => x.id), [s.id]);
    const streamed = [];
    for await (const x of c.streamUserSessions()) streamed.push(x);
    assert.deepEqual(streamed, mine);
    const barcode = await c.createBarcode();
    assert.equal(barcode.format, 'aztec');
    assert.ok(barcode.data.length > 0);
    await assert.rejects(c.waitSession(LOT, s.id, { until: 'ended', timeoutMs: 100, intervalMs: 20 }),
                         coord.TimeoutError);
  });

  test('a test token from the API', async () => {
    const jwt = await client({ token: undefined }).testCreateJwt('jwt@example.com', { externalUid: 'u-1' });
    assert.equal(jwt.split('.').length, 3);
    const me = client({ token: jwt });
    const s = await me.createSession(LOT);
    assert.ok(s.user_id);
  });

  test('a held session: ended, and refused locally when gate-controlled', async () => {
    const c = client();
    const id = await seeded();
    const held = await c.getSession(LOT, id);
    assert.equal((await c.endHeldSession(held)).id, id);
    const gateId = await seeded({ gate_controlled: true });
    const gate = await c.getSession(LOT, gateId);
    assert.ok(gate.redemption_info);
    const sent = await apiRequests();
    const e = await c.endHeldSession(gate).catch((x) => x);
    assert.ok(e instanceof coord.PhysicalCheckoutError);
    assert.equal(await apiRequests(), sent, 'nothing sent');
  });

  test('a streamed list has no maxSessions cap; the array form has', async () => {
    await sim('/_sim/locations', { location_id: 'NODE-MANY' });
    await sim('/_sim/seed', { sessions: Array.from({ length: 300 }, () =>
      ({ location_id: 'NODE-MANY', start_minutes_ago: 10, ended: true })) });
    const c = client();
    await assert.rejects(c.listLocationSessions('NODE-MANY'), coord.ResponseTooLargeError);
    let n = 0;
    for await (const s of c.streamLocationSessions('NODE-MANY')) {
      assert.equal(s.location_id, 'NODE-MANY');
      n++;
    }
    assert.equal(n, 300);
    n = 0;
    for await (const s of c.streamLocationSessions('NODE-MANY')) if (++n === 3) break;
    assert.equal(n, 3);
    await assert.rejects(async () => { for await (const s of c.streamLocationSessions('NOWHERE')) void s; },
                         coord.NotFoundError);
  });
});

test('the example ends a session, then reports the second end and exits 1', async () => {
  const id = await seeded();
  const run = () => spawnSync(process.execPath, [join(ROOT, 'bindings', 'node', 'example.mjs'), LOT, String(id)],
    { encoding: 'utf8', env: { ...process.env, COORD_BASE_URL: BASE, COORD_KEY: KEY, COORD_TOKEN: token } });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, `ended session ${id} at ${LOT}: 1.00 USD\n`);
  const second = run();
  assert.equal(second.status, 1);
  assert.match(second.stderr, /^COORD_ERR_ALREADY_ENDED \(HTTP 409, 1 attempt\(s\)\)/);
});

describe('arguments', () => {
  test('ids: safe integers or BigInt, never rounded', async () => {
    const c = client();
    const sent = await apiRequests();
    await assert.rejects(c.endSession(LOT, 2 ** 53), RangeError);
    await assert.rejects(c.endSession(LOT, 1.5), RangeError);
    await assert.rejects(c.endSession(LOT, 2n ** 63n), RangeError);
    await assert.rejects(c.endSession(LOT, '1'), RangeError);
    assert.equal(await apiRequests(), sent, 'nothing sent');
    await assert.rejects(c.getSession(LOT, 2n ** 62n + 1n), coord.NotFoundError);
    const last = await sim('/_sim/last_request', undefined, 'GET');
    assert.equal(last.path, `/v1/access/parking/${LOT}/session/4611686018427387905`);
  });

  test('bad options and arguments are refused before anything is sent', async () => {
    assert.throws(() => new coord.Client({ baseUrl: 'ftp://x', accessKey: KEY }), coord.InvalidArgumentError);
    assert.throws(() => new coord.Client({ baseUrl: BASE }), TypeError);
    assert.throws(() => client({ timeoutMs: 100, connectTimeoutMs: 200 }), coord.InvalidArgumentError);
    assert.throws(() => client({ retry: { maxAttempts: 11 } }), coord.InvalidArgumentError);
    assert.throws(() => client({ pinnedPublicKey: 'nope' }), coord.InvalidArgumentError);
    assert.throws(() => client({ proxy: 'ftp://proxy' }), coord.InvalidArgumentError);
    assert.throws(() => client({ maxInFlight: 0 }), RangeError);
    await assert.rejects(client().endSession('..', 1), coord.InvalidArgumentError);
    await assert.rejects(client().waitSession(LOT, 1, { until: 'soon' }), RangeError);
  });
});

describe('secrets', () => {
  test('no key or token in any message, stack or inspection', async () => {
    const key = 'sandbox-node-SECRET-KEY-77';
    const jwt = 'node.SECRET.TOKEN-88';
    const bad = new coord.Client({ baseUrl: BASE, accessKey: key, token: jwt, timeoutMs: 2000 });
    const good = client({ token: jwt });
    const down = new coord.Client({ baseUrl: 'http://127.0.0.1:1/v1/access/parking', accessKey: key,
                                    token: jwt, retry: { maxAttempts: 1 } });
    try {
      const failures = [
        await bad.endSession(LOT, 1).catch((e) => e),   // 403: the key
        await good.endSession(LOT, 1).catch((e) => e),  // 401: the token
        await down.endSession(LOT, 1).catch((e) => e),  // no server
        await bad.testCreateJwt('x@example.com').catch((e) => e),
      ];
      assert.ok(failures[0] instanceof coord.UnauthorizedError);
      assert.ok(failures[1] instanceof coord.UnauthorizedError);
      assert.ok(failures[2] instanceof coord.TransportError);
      const texts = failures.map((e) => [e.message, e.stack, e.detail, e.apiMessage, inspect(e)].join('\n'));
      texts.push(inspect(bad), inspect(bad, { showHidden: true }), JSON.stringify(bad));
      for (const t of texts) {
        for (const secret of [key, jwt, encodeURIComponent(key), 'SECRET']) assert.ok(!t.includes(secret), t);
      }
    } finally {
      bad.close();
      down.close();
    }
  });
});

describe('cancellation and lifetime', () => {
  test('AbortSignal: an AbortError, the call gone from the loop', async () => {
    const c = client();
    const id = await seeded();
    await sim('/_sim/fault', { mode: 'hang', seconds: 10 });
    const ac = new AbortController();
    const call = c.getSession(LOT, id, { signal: ac.signal });
    assert.equal(c.callsInFlight, 1);
    setTimeout(() => ac.abort(new Error('user pressed cancel')), 100);
    const e = await call.catch((x) => x);
    assert.equal(e.name, 'AbortError');
    assert.ok(e instanceof coord.CancelledError);
    assert.equal(e.cause.message, 'user pressed cancel');
    assert.equal(c.callsInFlight, 0);
    await sim('/_sim/fault', undefined, 'DELETE');
    const sent = await apiRequests();
    await assert.rejects(c.getSession(LOT, id, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(await apiRequests(), sent, 'an aborted signal sends nothing');
    assert.equal((await c.getSession(LOT, id, { signal: new AbortController().signal })).id, id);
  });

  test('AbortSignal stops a stream', async () => {
    const c = client();
    await sim('/_sim/fault', { mode: 'hang', seconds: 10 });
    const t0 = performance.now();
    await assert.rejects(async () => {
      for await (const s of c.streamLocationSessions(LOT, { signal: AbortSignal.timeout(200) })) void s;
    }, { name: 'AbortError' });
    assert.ok(performance.now() - t0 < 3000);
    await sim('/_sim/fault', undefined, 'DELETE');
  });

  test('timeouts: TimeoutError after the total timeout', async () => {
    const c = client({ timeoutMs: 300, retry: { maxAttempts: 1 } });
    await sim('/_sim/fault', { mode: 'hang', seconds: 10 });
    await assert.rejects(c.getSession(LOT, 1), coord.TimeoutError);
    await sim('/_sim/fault', undefined, 'DELETE');
  });

  test('close(): calls in flight end with CancelledError, later calls are refused', async () => {
    const c = new coord.Client({ baseUrl: BASE, accessKey: KEY, token });
    await sim('/_sim/fault', { mode: 'hang', seconds: 10 });
    const call = c.getSession(LOT, 1);
    c.close();
    await assert.rejects(call, coord.CancelledError);
    c.close(); // twice is safe
    assert.equal(c.callsInFlight, 0);
    await assert.rejects(c.getSession(LOT, 1), coord.InvalidArgumentError);
    await sim('/_sim/fault', undefined, 'DELETE');
  });

  test('the garbage collector frees a forgotten client', { skip: !globalThis.gc && 'needs --expose-gc' }, async () => {
    const before = coord.nativeHandles();
    (() => { new coord.Client({ baseUrl: BASE, accessKey: KEY }); })();
    assert.equal(coord.nativeHandles().clients, before.clients + 1);
    for (let i = 0; i < 50 && coord.nativeHandles().clients > before.clients; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(coord.nativeHandles(), before);
  });
});

describe('observing calls', () => {
  const lastRequestId = async () => (await sim('/_sim/last_request', undefined, 'GET')).request_id;

  test('a record per call: operation, status, ids, retries, timings, bytes, request id', async () => {
    const c = client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const records = [];
    c.setObserver((r) => records.push(r));
    const id = await seeded();
    const ended = await c.endSession(LOT, id);
    assert.equal(records.length, 1, 'delivered before the promise settles');
    const first = records[0];
    assert.equal(first.request_id, await lastRequestId());
    assert.match(first.request_id, /^sim-\d{8}$/);
    await sim('/_sim/fault', { mode: 'status', status: 503, count: 1 });
    const id2 = await seeded();
    await c.endSession(LOT, id2);
    await assert.rejects(c.endSession(LOT, id2), coord.AlreadyEndedError);
    await assert.rejects(c.getSession(LOT, 2n ** 62n + 1n), coord.NotFoundError);
    assert.equal(records.length, 4);
    const [, retried, refused, missing] = records;

    assert.equal(ended.id, id);
    assert.deepEqual(
      [first.operation, first.location_id, first.session_id, first.status, first.http_status,
       first.attempts, first.retries, first.retry_reasons.length, first.recovered],
      ['end', LOT, id, 'COORD_OK', 200, 1, 0, 0, false]);
    assert.ok(Number.isSafeInteger(first.call_id) && first.call_id > 0);
    assert.ok(first.has_timings);
    assert.equal(first.connection_reused, false);
    assert.equal(first.connections_opened, 1);
    assert.equal(first.http_version, 11);
    assert.equal(first.tls_ms, 0); // plain HTTP
    assert.equal(first.queued_ms, 0);
    // a fresh connection: each libcurl time within the next, all within the call's
    assert.ok(first.dns_ms >= 0 && first.dns_ms <= first.connect_ms && first.connect_ms <= first.ttfb_ms &&
              first.ttfb_ms <= first.total_ms && first.total_ms <= first.elapsed_ms, inspect(first));
    assert.ok(first.total_ms > 0 && first.elapsed_ms < 5000, inspect(first));
    assert.ok(first.bytes_sent > 100 && first.bytes_received > 100, inspect(first));

    assert.deepEqual([retried.operation, retried.session_id, retried.status, retried.attempts, retried.retries],
                     ['end', id2, 'COORD_OK', 2, 1]);
    assert.deepEqual(retried.retry_reasons, [{ status: 'COORD_ERR_SERVER', http_status: 503 }]);
    assert.ok(retried.connection_reused);
    assert.notEqual(retried.request_id, first.request_id);
    assert.ok(retried.call_id > first.call_id);

    assert.deepEqual([refused.operation, refused.status, refused.http_status, refused.attempts],
                     ['end', 'COORD_ERR_ALREADY_ENDED', 409, 1]);
    // an id given as a BigInt beyond 2^53 comes back as that BigInt
    assert.deepEqual([missing.operation, missing.session_id, missing.status, missing.http_status],
                     ['get', 2n ** 62n + 1n, 'COORD_ERR_NOT_FOUND', 404]);

    for (const r of records.slice(0, 3)) { // no secret in any field
      const t = JSON.stringify(r);
      assert.ok(!t.includes(KEY) && !t.includes(token), t);
    }
  });

  test('a wait: a record per poll; a streamed list: one, from its own client', async () => {
    const c = client();
    const records = [];
    c.setObserver((r) => records.push(r));
    const id = await seeded();
    await assert.rejects(c.waitSession(LOT, id, { until: 'ended', timeoutMs: 600, intervalMs: 20 }),
                         coord.TimeoutError);
    assert.ok(records.length >= 2, `${records.length} polls`);
    assert.ok(records.every((r) => r.operation === 'wait_poll' && r.status === 'COORD_OK' &&
                                   r.session_id === id && r.call_id === records[0].call_id));
    records.length = 0;
    let n = 0;
    for await (const s of c.streamLocationSessions(LOT)) n += s.location_id === LOT ? 1 : 0;
    assert.ok(n > 0);
    assert.equal(records.length, 1);
    assert.deepEqual([records[0].operation, records[0].location_id, records[0].status,
                      records[0].http_status, records[0].call_id, records[0].session_id],
                     ['list_location', LOT, 'COORD_OK', 200, 0, 0]); // a blocking call: no call id
  });

  test('setObserver(null) stops the records', async () => {
    const c = client();
    const records = [];
    c.setObserver((r) => records.push(r));
    const id = await seeded();
    await c.getSession(LOT, id);
    assert.equal(records.length, 1);
    c.setObserver(null);
    await c.getSession(LOT, id);
    for await (const s of c.streamUserSessions()) void s;
    await c.createBarcode();
    assert.equal(records.length, 1);
    c.setObserver((r) => records.push(r));
    await c.createBarcode();
    assert.deepEqual(records.map((r) => r.operation), ['get', 'barcode']);
    assert.throws(() => c.setObserver(undefined), TypeError);
    assert.throws(() => c.setObserver({}), TypeError);
  });

  test('an observer that throws: the call it observed rejects with that, the loop goes on', async () => {
    const c = client();
    const thrown = new Error('dashboard down');
    const seen = [];
    c.setObserver((r) => {
      seen.push(r.operation);
      if (r.operation === 'get') throw thrown;
    });
    const ids = [await seeded(), await seeded(), await seeded()];
    const settled = await Promise.allSettled([c.endSession(LOT, ids[0]), c.getSession(LOT, ids[1]),
                                              c.endSession(LOT, ids[2])]);
    assert.deepEqual(settled.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(settled[1].reason, thrown);
    assert.deepEqual(settled.map((x) => x.value?.id), [ids[0], undefined, ids[2]]);
    // the call ran: its result is lost, not its effect (as in Python)
    c.setObserver(() => { throw thrown; });
    await assert.rejects(c.endSession(LOT, ids[1]), (e) => e === thrown);
    await assert.rejects(c.endSession(LOT, ids[1]), (e) => e === thrown);
    c.setObserver(null);
    assert.ok((await c.getSession(LOT, ids[1])).end_time);
    // a streamed list: its sessions, then the observer's error
    c.setObserver(() => { throw thrown; });
    let n = 0;
    await assert.rejects(async () => { for await (const s of c.streamLocationSessions(LOT)) n += s ? 1 : 0; },
                         (e) => e === thrown);
    assert.ok(n > 0);
    c.setObserver((r) => seen.push(r.operation));
    assert.equal((await c.getSession(LOT, ids[0])).id, ids[0]);
    assert.deepEqual(seen.slice(0, 3).sort(), ['end', 'end', 'get']);
    assert.equal(seen.at(-1), 'get');
    assert.equal(c.callsInFlight, 0);
  });

  test('from inside its observer a client takes no call and is not closed', async () => {
    const c = client();
    const id = await seeded();
    let inner;
    c.setObserver(() => { inner = c.getSession(LOT, id); });
    assert.equal((await c.getSession(LOT, id)).id, id);
    await assert.rejects(inner, (e) => e instanceof coord.InvalidArgumentError && /observer/.test(e.detail));
    c.setObserver(() => c.close());
    await assert.rejects(c.getSession(LOT, id), (e) => e instanceof coord.InvalidArgumentError &&
                                                       /close\(\) from inside/.test(e.detail));
    c.setObserver(null);
    assert.equal((await c.getSession(LOT, id)).id, id, 'still open');
  });

  test('close(): the calls it cancels are recorded before it returns, nothing after', async () => {
    const before = coord.nativeHandles();
    const c = new coord.Client({ baseUrl: BASE, accessKey: KEY, token });
    const records = [];
    c.setObserver((r) => records.push(r));
    await sim('/_sim/fault', { mode: 'hang', seconds: 10, count: 2 });
    try {
      const sent = await apiRequests();
      const call = c.getSession(LOT, 1);
      const stream = c.streamUserSessions()[Symbol.asyncIterator]().next();
      for (let i = 0; i < 300 && await apiRequests() < sent + 2; i++) // both hang at the server
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(await apiRequests(), sent + 2);
      c.close();
      assert.deepEqual(records.map((r) => [r.operation, r.status]), [['get', 'COORD_ERR_CANCELLED']]);
      await assert.rejects(call, coord.CancelledError);
      await assert.rejects(stream, coord.CancelledError);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(records.length, 1, 'the stream\'s record came after close(): dropped');
      assert.throws(() => c.setObserver(() => {}), coord.InvalidArgumentError);
      assert.deepEqual(coord.nativeHandles(), before);
    } finally {
      await sim('/_sim/fault', undefined, 'DELETE');
    }
  });

  test('the garbage collector frees a forgotten client with an observer', { skip: !globalThis.gc && 'needs --expose-gc' }, async () => {
    const before = coord.nativeHandles();
    const records = [];
    await (async () => {
      const c = new coord.Client({ baseUrl: BASE, accessKey: KEY, token });
      c.setObserver((r) => records.push(r));
      await c.getSession(LOT, await seeded());
    })();
    assert.equal(records.length, 1);
    for (let i = 0; i < 50 && coord.nativeHandles().clients > before.clients; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(coord.nativeHandles(), before);
  });
});

describe('clock and connections', () => {
  const NEAR_MS = 2000; // the Date header counts whole seconds
  const near = (got, want) => assert.ok(typeof got === 'number' && Math.abs(got - want) <= NEAR_MS,
                                        `clock offset ${got} ms, expected ${want} +- ${NEAR_MS}`);

  test('clockOffsetMs: null before an answer, then the server\'s clock ahead (+) or behind (-)', async () => {
    const c = client();
    assert.equal(c.clockOffsetMs(), null);
    await assert.rejects(c.getSession('NO-LOT', 1), coord.NotFoundError); // any answer tells the time
    near(c.clockOffsetMs(), 0);
    try {
      await sim('/_sim/clock', { date_offset: 86400 }); // a server a day ahead
      await assert.rejects(c.getSession('NO-LOT', 1), coord.NotFoundError);
      near(c.clockOffsetMs(), 86400000);
      await sim('/_sim/clock', { date_offset: -3600 }); // set an hour behind: the next answer replaces it
      await assert.rejects(c.getSession('NO-LOT', 1), coord.NotFoundError);
      near(c.clockOffsetMs(), -3600000);
      // a client that only streamed: its streaming client's answers count
      const streamed = client();
      assert.equal(streamed.clockOffsetMs(), null);
      for await (const s of streamed.streamUserSessions()) void s;
      near(streamed.clockOffsetMs(), -3600000);
    } finally {
      await sim('/_sim/clock', { date_offset: 0 });
    }
    const closed = client();
    closed.close();
    assert.throws(() => closed.clockOffsetMs(), coord.InvalidArgumentError);
  });

  test('maxMultiplexedConnections: 1..10000, as coord_loop_set_multiplexed_connections takes', async () => {
    const before = coord.nativeHandles();
    for (const n of [0, 10001, 2 ** 32 - 1]) {
      assert.throws(() => client({ maxMultiplexedConnections: n }),
                    (e) => e instanceof coord.InvalidArgumentError && e.detail.includes('1..10000'), String(n));
    }
    for (const n of [-1, 1.5, 2 ** 32, '4', null])
      assert.throws(() => client({ maxMultiplexedConnections: n }), RangeError, String(n));
    assert.deepEqual(coord.nativeHandles(), before, 'a refused client freed what it made');
    // over plain HTTP/1.1 (the simulator) the limit never applies; the calls run
    const id = await seeded();
    assert.equal((await client({ maxMultiplexedConnections: 1 }).getSession(LOT, id)).id, id);
    assert.equal((await client({ maxMultiplexedConnections: 10000 }).getSession(LOT, id)).id, id);
  });
});

test('the event loop does not stall with 1,000 ends in flight', async () => {
  // The precise figure is `make bench`'s; a generous bound here.
  const c = client();
  const ids = [];
  await sim('/_sim/locations', { location_id: 'NODE-BULK' });
  const seededMany = await sim('/_sim/seed', { sessions: Array.from({ length: 1000 }, () =>
    ({ location_id: 'NODE-BULK', start_minutes_ago: 10 })) });
  for (const s of seededMany.sessions) ids.push(s.id);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const ended = await Promise.all(ids.map((id) => c.endSession('NODE-BULK', id)));
  h.disable();
  assert.deepEqual(ended.map((s) => s.id), ids);
  assert.ok(ended.every((s) => s.billing_info.cost.currency === 'USD'));
  assert.ok(h.percentile(99) / 1e6 < 100, `p99 ${h.percentile(99) / 1e6} ms`);
});
