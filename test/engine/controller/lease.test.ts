/**
 * The controller lease and its fencing, on a real Postgres: one holder at a time, a new epoch on
 * every takeover, and the database (gantry_fence) refusing the writes of a stale epoch, including
 * the case that matters: a holder that was inside a write transaction when it lost the lease.
 */
import { freshDb, type TestDb } from '../webhooks/helpers';
import { Db } from '../../../engine/src/store/db';
import { FencedDb, isFenced } from '../../../engine/src/store/fenced-db';
import { acquireLease, getLease, releaseLease, renewLease } from '../../../engine/src/store/leases';
import { LeaseKeeper } from '../../../engine/src/controller/lease';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb('lease');
  await t.db.query(`CREATE TABLE fenced_writes (n int, epoch bigint DEFAULT current_setting('gantry.epoch', true)::bigint)`);
});
afterAll(async () => t?.drop());

function fenced(name: string, epoch: () => number | undefined, onFenced: () => void = () => undefined): FencedDb {
  return new FencedDb(t.db.url, { lease: name, epoch, onFenced }, 2);
}

const expire = (name: string) => t.db.query(`UPDATE leases SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1`, [name]);

test('one holder at a time; a takeover after expiry bumps the epoch', async () => {
  expect(await acquireLease(t.db, 'l1', 'a', 30)).toBe(1);
  expect(await acquireLease(t.db, 'l1', 'b', 30)).toBeUndefined(); // a still holds it
  expect(await renewLease(t.db, 'l1', 1, 30)).toBeInstanceOf(Date);
  await expire('l1');
  expect(await acquireLease(t.db, 'l1', 'b', 30)).toBe(2);
  expect((await getLease(t.db, 'l1'))!).toMatchObject({ holder: 'b', epoch: 2 });
  await releaseLease(t.db, 'l1', 2);
  expect(await acquireLease(t.db, 'l1', 'c', 30)).toBe(3); // released: no wait for expiry
});

test('the database refuses a stale epoch\'s writes (GF001) and stamps the valid ones with their epoch', async () => {
  let refusedSeen = 0;
  const old = fenced('l2', () => 1, () => refusedSeen++);
  expect(await acquireLease(t.db, 'l2', 'old', 30)).toBe(1);
  await old.query('INSERT INTO fenced_writes (n) VALUES (1)');
  await expire('l2');
  expect(await acquireLease(t.db, 'l2', 'new', 30)).toBe(2);
  const err = await old.query('INSERT INTO fenced_writes (n) VALUES (2)').catch((e) => e);
  expect(isFenced(err)).toBe(true);
  await expect(old.tx(async (q) => q.query('INSERT INTO fenced_writes (n) VALUES (3)'))).rejects.toMatchObject({ code: 'GF001' });
  expect(old.refused).toBe(2);
  expect(refusedSeen).toBe(2);
  const current = fenced('l2', () => 2);
  await current.query('INSERT INTO fenced_writes (n) VALUES (4)');
  expect(await t.db.query('SELECT n, epoch::int AS epoch FROM fenced_writes ORDER BY n')).toEqual([
    { n: 1, epoch: 1 },
    { n: 4, epoch: 2 },
  ]);
  // An expired lease fences even its own holder (nobody took over yet).
  await expire('l2');
  await expect(current.query('INSERT INTO fenced_writes (n) VALUES (5)')).rejects.toMatchObject({ code: 'GF001' });
  await old.close();
  await current.close();
});

test('a takeover waits for a write in flight under the old epoch, which then commits before it', async () => {
  expect(await acquireLease(t.db, 'l3', 'old', 1)).toBe(1); // expires in 1 s
  const old = fenced('l3', () => 1);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const writing = old.tx(async (q) => {
    await q.query('INSERT INTO fenced_writes (n) VALUES (10)');
    await gate; // the fence's share lock is held here
  });
  await new Promise((r) => setTimeout(r, 1300));
  // Expired, but a write under epoch 1 is in flight: the takeover waits for it (here: gives up
  // after its 200 ms lock timeout, to try again later).
  const other = new Db(t.db.url, 1);
  const attempt = await acquireLease(other, 'l3', 'new', 30, 200).catch((e) => e);
  expect(String(attempt?.message)).toMatch(/lock timeout/i);
  release();
  await writing; // it began under a valid epoch: it commits, ordered before the takeover
  expect(await acquireLease(other, 'l3', 'new', 30)).toBe(2);
  expect(await t.db.query('SELECT epoch::int AS epoch FROM fenced_writes WHERE n = 10')).toEqual([{ epoch: 1 }]);
  await other.close();
  await old.close();
}, 20_000);

test('a paused holder\'s open transaction is ended by the server, so the standby is not blocked', async () => {
  expect(await acquireLease(t.db, 'l4', 'old', 1)).toBe(1); // expires in 1 s
  const old = new FencedDb(t.db.url, { lease: 'l4', epoch: () => 1, onFenced: () => undefined }, 1, { idleInTransactionMs: 500 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const stuck = old.tx(async (q) => {
    await q.query('INSERT INTO fenced_writes (n) VALUES (20)');
    await gate; // as if the process were SIGSTOPped inside the transaction
  });
  const outcome = stuck.then(() => 'committed', (e) => `refused: ${e.message}`);
  await new Promise((r) => setTimeout(r, 1300));
  // The server ended the paused session (idle in transaction for 500 ms): nothing blocks the takeover.
  expect(await acquireLease(t.db, 'l4', 'new', 30)).toBe(2);
  release();
  expect(await outcome).toMatch(/refused|terminat/);
  expect(await t.db.query('SELECT n FROM fenced_writes WHERE n = 20')).toEqual([]);
  await old.close();
}, 20_000);

test('LeaseKeeper: one of two keepers leads; the other takes over when the leader stops', async () => {
  const logs: string[] = [];
  const k1 = new LeaseKeeper({ db: t.db, url: t.db.url, seconds: 3, log: (m) => logs.push(m), name: 'l5' });
  const k2 = new LeaseKeeper({ db: t.db, url: t.db.url, seconds: 3, log: (m) => logs.push(m), name: 'l5' });
  k1.start();
  await new Promise((r) => k1.once('acquired', r));
  k2.start();
  await new Promise((r) => setTimeout(r, 1500));
  expect([k1.leader, k2.leader]).toEqual([true, false]);
  const taken = new Promise<number>((r) => k2.once('acquired', r));
  await k1.stop();
  expect(await taken).toBe(2);
  await k2.stop();
}, 20_000);
