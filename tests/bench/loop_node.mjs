// Node peer: the built-in fetch (kept-alive by default), N end-session PUTs,
// each answer parsed with res.json(). INFLIGHT at a time (default 1: one
// after the other); more is the peer of the non-blocking API, a promise
// pool in which each finished call starts the next.
//
//   node loop_node.mjs BASE_URL ACCESS_KEY TOKEN N [INFLIGHT]
import { readFileSync } from 'node:fs';

const [base, key, token, nText, inflightText = '1'] = process.argv.slice(2);
const n = Number(nText), inflight = Number(inflightText);
const url = `${base}/LOT-1/session/1/end?access_key=${encodeURIComponent(key)}`;
const init = {
  method: 'PUT',
  headers: { Accept: 'application/json', Authorization: `Bearer ${token}`,
             'User-Agent': 'libcoord/1.0.0' },
};

async function endOnce() {
  const res = await fetch(url, init);
  const session = await res.json();
  if (res.status !== 200 || session.id !== 1 || session.billing_info.cost.amount !== 100)
    throw new Error('unexpected answer');
}

async function calls(count) {
  let started = 0;
  const worker = async () => { while (started < count) { started++; await endOnce(); } };
  await Promise.all(Array.from({ length: Math.min(inflight, count) }, worker));
}

await calls(inflight);  // warm-up: one call per connection the timed calls use
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const w0 = performance.now(), c0 = cpu();
await calls(n);
const c1 = cpu(), w1 = performance.now();
// VmHWM: maxRSS would include the launcher's peak, carried over exec.
const status = readFileSync('/proc/self/status', 'utf8');
const rss = Number(/VmHWM:\s*(\d+)/.exec(status)[1]);
console.log(`RESULT calls=${n} wall_s=${((w1 - w0) / 1e3).toFixed(6)} ` +
            `cpu_s=${(c1 - c0).toFixed(6)} maxrss_kb=${rss}`);
