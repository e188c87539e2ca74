// The Node binding (bindings/node) as loop_node.mjs's peer: N end-session
// calls through Client.endSession, INFLIGHT at a time, a promise pool in which
// each finished call starts the next; the same RESULT line, plus:
//   delay   Node's event-loop delay during the timed calls
//           (perf_hooks.monitorEventLoopDelay, 1 ms resolution): p50, p99, max
//   memory  RSS and V8's used heap (after a full GC) after a warm-up of N / 2
//           calls, then after every tenth of the N calls
//
//   node [--expose-gc] loop_node_coord.mjs BASE_URL ACCESS_KEY TOKEN N [INFLIGHT [MODE]]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const coord = require('../../bindings/node/index.js');

const [base, key, token, nText, inflightText = '1', mode = 'speed'] = process.argv.slice(2);
const n = Number(nText), inflight = Number(inflightText);
const client = new coord.Client({ baseUrl: base, accessKey: key, token,
                                  maxInFlight: Math.min(inflight, 64),
                                  maxHostConnections: Math.min(inflight, 64) });

async function endOnce() {
  const session = await client.endSession('LOT-1', 1);
  if (session.id !== 1 || session.billing_info.cost.amount !== 100)
    throw new Error('unexpected answer');
}

async function calls(count) {
  let started = 0;
  const worker = async () => { while (started < count) { started++; await endOnce(); } };
  await Promise.all(Array.from({ length: Math.min(inflight, count) }, worker));
}

const status = (field) =>
  Number(new RegExp(`${field}:\\s*(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const rssAfterGc = () => { globalThis.gc?.(); return status('VmRSS'); };

let extra = '';
if (mode === 'memory') {
  await calls(n / 2);
  const warm = rssAfterGc(), heapWarm = process.memoryUsage().heapUsed >> 10;
  const samples = [];
  for (let i = 0; i < 10; i++) {
    await calls(n / 10);
    samples.push(rssAfterGc());
  }
  console.log(`rss after each tenth (KiB): ${samples.join(' ')}`);
  extra = ` rss_warm_kb=${warm} rss_half_kb=${samples[4]} rss_end_kb=${samples[9]} ` +
          `rss_max_kb=${Math.max(...samples)} heap_used_warm_kb=${heapWarm} ` +
          `heap_used_end_kb=${process.memoryUsage().heapUsed >> 10}`;
} else {
  await calls(inflight);  // warm-up: one call per connection the timed calls use
  const h = monitorEventLoopDelay({ resolution: 1 });
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const w0 = performance.now(), c0 = cpu();
  if (mode === 'delay') h.enable();
  await calls(n);
  h.disable();
  const c1 = cpu(), w1 = performance.now();
  extra = ` wall_s=${((w1 - w0) / 1e3).toFixed(6)} cpu_s=${(c1 - c0).toFixed(6)}`;
  if (mode === 'delay')
    extra += ` delay_p50_ms=${(h.percentile(50) / 1e6).toFixed(3)} ` +
             `delay_p99_ms=${(h.percentile(99) / 1e6).toFixed(3)} delay_max_ms=${(h.max / 1e6).toFixed(3)}`;
}
client.close();
console.log(`RESULT calls=${n}${extra} maxrss_kb=${status('VmHWM')}`);
