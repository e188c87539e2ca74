// Node peer: the built-in fetch (kept-alive by default), N sequential
// end-session PUTs, each answer parsed with res.json().
//
//   node loop_node.mjs BASE_URL ACCESS_KEY TOKEN N
import { readFileSync } from 'node:fs';

const [base, key, token, nText] = process.argv.slice(2);
const n = Number(nText);
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

await endOnce();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const w0 = performance.now(), c0 = cpu();
for (let i = 0; i < n; i++) await endOnce();
const c1 = cpu(), w1 = performance.now();
// VmHWM: maxRSS would include the launcher's peak, carried over exec.
const status = readFileSync('/proc/self/status', 'utf8');
const rss = Number(/VmHWM:\s*(\d+)/.exec(status)[1]);
console.log(`RESULT calls=${n} wall_s=${((w1 - w0) / 1e3).toFixed(6)} ` +
            `cpu_s=${(c1 - c0).toFixed(6)} maxrss_kb=${rss}`);
