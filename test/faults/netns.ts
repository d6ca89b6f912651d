/**
 * Separate hosts on one machine: a Linux network namespace per host, each with a veth pair whose
 * other end is on a bridge in the root namespace (which also has an address on the bridge: the
 * "database host"). Needs root and iproute2; `unavailable()` says why not, for a failing test
 * (never a silent skip).
 *
 * Names carry the test process's pid, so concurrent runs never collide, and namespaces left by a
 * run that died (its pid is gone) are removed at the next start. `cut` takes a host off the
 * network without telling it (its end of the link stays up: packets are simply lost, as in a real
 * partition); `heal` puts it back.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const PREFIX = 'gf';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // already gone
  }
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  const probe = `${PREFIX}probe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
  } catch (err) {
    return `\`ip netns add\` failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces and bridges of earlier runs whose process is gone. */
export function removeStale(): void {
  const names = ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(PREFIX));
  for (const name of names) {
    const pid = Number(/^gf(\d+)-/.exec(name)?.[1]);
    if (pid && !alive(pid)) quietly(() => ip('netns', 'del', name));
  }
  for (const line of ip('-o', 'link', 'show', 'type', 'bridge').split('\n')) {
    const m = / (gf(\d+)br):/.exec(line);
    if (m && !alive(Number(m[2]))) quietly(() => ip('link', 'del', m[1]));
  }
}

/** A free 10.x.y.0/24 for the bridge (not used by any address on this machine). */
function freeSubnet(): string {
  const used = ip('-4', '-o', 'addr', 'show');
  for (let i = 0; i < 50; i++) {
    const base = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250) + 1}`;
    if (!used.includes(` ${base}.`)) return base;
  }
  throw new Error('no free 10.x.y.0/24 subnet for the fault suite');
}

export interface Host {
  name: string;
  ns: string;
  ip: string;
  /** The veth end on the bridge (what `cut` takes down). */
  hostSide: string;
}

export class Network {
  readonly bridge = `${PREFIX}${process.pid}br`;
  readonly base = freeSubnet();
  /** The root namespace's address on the bridge: where the harness, the database proxy and webhook receiver listen. */
  readonly gateway = `${this.base}.1`;
  private readonly hosts = new Map<string, Host>();
  private readonly children = new Set<ChildProcess>();

  constructor() {
    removeStale();
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    // If the process dies without cleaning up, at least the namespaces go.
    process.once('exit', () => this.teardownSync());
  }

  /** Adds a host with the given last octet. */
  add(name: string, octet: number): Host {
    const index = this.hosts.size + 1;
    const ns = `${PREFIX}${process.pid}-${name}`;
    const hostSide = `${PREFIX}${process.pid % 100000}h${index}`.slice(0, 15);
    const nsSide = `${PREFIX}${process.pid % 100000}n${index}`.slice(0, 15);
    const host: Host = { name, ns, ip: `${this.base}.${octet}`, hostSide };
    ip('netns', 'add', ns);
    this.hosts.set(name, host);
    ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide, 'netns', ns);
    ip('link', 'set', hostSide, 'master', this.bridge, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${host.ip}/24`, 'dev', nsSide);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Starts a process inside a host's namespace (same pid: `ip netns exec` execs it). */
  spawn(name: string, command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.host(name).ns, command, ...args], opts);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  cut(name: string): void {
    ip('link', 'set', this.host(name).hostSide, 'down');
  }

  heal(name: string): void {
    ip('link', 'set', this.host(name).hostSide, 'up');
  }

  private teardownSync(): void {
    for (const child of this.children) quietly(() => child.kill('SIGKILL'));
    for (const h of this.hosts.values()) quietly(() => ip('netns', 'del', h.ns));
    this.hosts.clear();
    quietly(() => ip('link', 'del', this.bridge));
  }

  /** Kills what still runs in the namespaces, then removes them and the bridge. */
  async teardown(): Promise<void> {
    const exits = [...this.children].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r))));
    for (const child of this.children) quietly(() => child.kill('SIGKILL'));
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
    this.teardownSync();
  }
}
