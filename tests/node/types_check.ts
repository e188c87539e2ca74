// index.d.ts in use: make check-node compiles this with tsc --strict where tsc is installed.
import * as coord from '../../bindings/node/index';
async function main(): Promise<void> {
  const c = new coord.Client({ accessKey: 'k', retry: { maxAttempts: 2 }, maxMultiplexedConnections: 8 });
  c.setObserver((r: coord.CallRecord) => {
    const reasons: string[] = r.retry_reasons.map((x) => `${x.status}/${x.http_status}`);
    console.log(r.operation, r.status, r.elapsed_ms.toFixed(1), r.session_id.toString(), reasons);
  });
  const s: coord.Session = await c.endSession('L', 1n, { signal: AbortSignal.timeout(1) });
  const f: string | undefined = s.billing_info?.cost?.formatted;
  for await (const x of c.streamUserSessions()) console.log(x.id, f);
  try { await c.createBarcode(); } catch (e) { if (e instanceof coord.AlreadyEndedError) console.log(e.apiCode, e.statusName); }
  const offset: number | null = c.clockOffsetMs();
  if (offset !== null && Math.abs(offset) > 300000) console.log('clock off by', offset);
  c.setObserver(null);
  c.close();
}
void main();
