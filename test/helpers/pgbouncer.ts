/**
 * A PgBouncer in transaction mode in front of the machine's Postgres, for tests (the Debian
 * package: `apt-get install pgbouncer`; .ci/run installs it). Started on a free port with a
 * config of its own; as root it runs as the `postgres` user (PgBouncer refuses root).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));

export interface Bouncer {
  /** `postgres://…@127.0.0.1:<port>/<database>` through the pooler. */
  urlFor(databaseUrl: string): string;
  port: number;
  /** Rows of an admin console command (SHOW POOLS, SHOW STATS, SHOW CONFIG). */
  show(what: string): Record<string, string>[];
  output(): string;
  stop(): Promise<void>;
}

export async function startPgBouncer(target: string): Promise<Bouncer> {
  if (!PGBOUNCER) throw new Error('pgbouncer is not installed: apt-get install pgbouncer (.ci/run installs it)');
  const t = new URL(target);
  const dir = mkdtempSync(join(tmpdir(), 'gantry-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), `"${t.username || 'postgres'}" ""\n`, { mode: 0o644 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${t.hostname} port=${t.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 10',
      'max_client_conn = 500',
      'unix_socket_dir =',
      `admin_users = ${t.username || 'postgres'}`,
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => out.push(c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pgbouncer did not start:\n${out.join('')}`)), 10_000);
    const check = () => {
      if (/process up|listening on/i.test(out.join(''))) {
        clearTimeout(timer);
        resolve();
      } else setTimeout(check, 50);
    };
    child.once('exit', (code) => reject(new Error(`pgbouncer exited with ${code}:\n${out.join('')}`)));
    check();
  });
  const user = t.username || 'postgres';
  return {
    port,
    urlFor(databaseUrl) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    show(what) {
      const text = execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'pgbouncer', '-A', '-F', '\t', '-c', `SHOW ${what}`], { encoding: 'utf8' });
      const [header, ...rows] = text.trim().split('\n').filter((l) => !/^\(\d+ rows?\)$/.test(l));
      const cols = header.split('\t');
      return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
    },
    output: () => out.join(''),
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
