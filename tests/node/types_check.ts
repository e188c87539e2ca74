// index.d.ts in use: make check-node compiles this with tsc --strict where tsc is installed.
import * as coord from '../../bindings/node/index';
async function main(): Promise<void> {
  const c = new coord.Client({ accessKey: 'k', retry: { maxAttempts: 2 } });
  const s: coord.Session = await c.endSession('L', 1n, { signal: AbortSignal.timeout(1) });
  const f: string | undefined = s.billing_info?.cost?.formatted;
  for await (const x of c.streamUserSessions()) console.log(x.id, f);
  try { await c.createBarcode(); } catch (e) { if (e instanceof coord.AlreadyEndedError) console.log(e.apiCode, e.statusName); }
  c.close();
}
void main();
