// End a parking session and print its bill: the Node binding's first program.
//
//   COORD_BASE_URL=... COORD_KEY=... COORD_TOKEN=... node example.mjs LOCATION SESSION_ID
//
// Secrets come from the environment, never from the command line (which
// other users of the machine can read in the process list).
import coord from './index.js';

const [locationId, idText] = process.argv.slice(2);
if (!locationId || !/^\d+$/.test(idText ?? '')) {
  console.error('usage: node example.mjs LOCATION SESSION_ID (COORD_KEY, COORD_TOKEN in the environment)');
  process.exit(2);
}

const client = new coord.Client({
  baseUrl: process.env.COORD_BASE_URL ?? coord.BASE_URL_SANDBOX,
  accessKey: process.env.COORD_KEY,
  token: process.env.COORD_TOKEN,
  timeoutMs: 10000,
});
try {
  const session = await client.endSession(locationId, BigInt(idText), { signal: AbortSignal.timeout(15000) });
  const cost = session.billing_info?.cost;
  console.log(`ended session ${session.id} at ${session.location_id}: ` +
              (cost ? cost.formatted : 'cost not yet calculated'));
} catch (e) {
  if (e instanceof coord.PhysicalCheckoutError) {
    console.error('this session ends at the gate');
  } else if (e instanceof coord.CoordError) {
    console.error(`${e.statusName} (HTTP ${e.httpStatus}, ${e.attempts} attempt(s)): ${e.detail}`);
  } else {
    throw e;
  }
  process.exitCode = 1;
} finally {
  client.close();
}
