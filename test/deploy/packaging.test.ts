/**
 * Packaging, checked without a Docker engine (none runs here): the compose file against the
 * Compose Specification's JSON schema (vendored in compose-spec/, Apache-2.0) plus what Gantry
 * needs of it; the Dockerfile's stages, COPY sources and runtime paths
 * against the repository and the build; the systemd units; and every GANTRY_* variable the files
 * set is one the engine knows, with a value its configuration parser accepts.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../engine/src/config';

const ROOT = join(__dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const README = read('README.md');

/** Compose interpolation (`${VAR:-default}`, `${VAR:?message}`) with these values. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::?[-?]([^}]*))?\}/g, (_, name: string, fallback?: string) => vars[name] ?? fallback ?? '');
}

/** The engine accepts this environment: known variables with valid values (loadConfig throws otherwise). */
function expectEngineAccepts(env: Record<string, string>, where: string) {
  for (const name of Object.keys(env).filter((k) => k.startsWith('GANTRY_') || k === 'DATABASE_URL' || k === 'REDIS_URL')) {
    expect([where, name, README.includes(`\`${name}\``)]).toEqual([where, name, true]);
  }
  expect(() => loadConfig(env)).not.toThrow();
}

describe('docker-compose.yml', () => {
  const text = read('deploy/docker-compose.yml');
  const compose = parseYaml(text, { merge: true }) as any;

  test('is valid against the Compose Specification schema', () => {
    // The Compose Specification's own schema (draft-07), vendored with its licence: see compose-spec/README.md.
    // Its $schema is the https spelling of draft-07's meta-schema URI, which ajv knows by http.
    const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(join(__dirname, 'compose-spec', 'compose-spec.json'), 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    const validate = ajv.compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // The schema can fail: a wrong type is caught.
    expect(validate({ services: { api: { ports: 8787, deploy: { resources: { reservations: { devices: 'gpu' } } } } } })).toBe(false);
  });

  test('runs the roles on Postgres and Redis, the worker with NVIDIA GPUs, with volumes', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['api', 'controller', 'postgres', 'redis', 'worker']);
    expect(s.api.command).toEqual(['serve', '--role', 'api']);
    expect(s.controller.command).toEqual(['serve', '--role', 'controller']);
    expect(s.worker.command).toEqual(['serve', '--role', 'worker']);
    for (const role of ['api', 'controller', 'worker']) {
      expect(s[role].build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(s[role].environment.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(s[role].environment.REDIS_URL).toBe('redis://redis:6379/0');
      expect(s[role].depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(s[role].volumes).toContain('gantry-data:/var/lib/gantry');
      expect(s[role].healthcheck.test.join(' ')).toContain('/health/ready');
    }
    expect(s.worker.deploy.resources.reservations.devices).toEqual([{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }]);
    // Only the API serves requests; the roles without a worker of their own say so.
    expect(s.api.ports).toEqual(['8787:8787']);
    expect(s.api.environment.GANTRY_EMBEDDED_WORKER).toBe('false');
    // Every named volume a service mounts is declared.
    const mounted = Object.values(s).flatMap((svc: any) => (svc.volumes ?? []).map((v: string) => v.split(':')[0]).filter((v: string) => !v.startsWith('/')));
    for (const v of mounted) expect(Object.keys(compose.volumes)).toContain(v);
    expect(s.postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(s.redis.volumes).toEqual(['redis-data:/data']);
  });

  test("the engines' environment is one the engine accepts", () => {
    for (const role of ['api', 'controller', 'worker']) {
      const env = Object.fromEntries(
        Object.entries(compose.services[role].environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v), { GANTRY_API_TOKEN: 'a-long-enough-token' })]),
      );
      expectEngineAccepts(env, `compose ${role}`);
    }
  });
});

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const steps = instructions(read('deploy/Dockerfile'));
  const ignore = read('deploy/Dockerfile.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = (path: string) =>
    ignore.some((pattern) => {
      // Docker's patterns: `**/` any directories, `*` within a name; a match also covers what is below.
      const body = pattern
        .split('**/')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
        .join('(?:.*/)?');
      const re = new RegExp(`^${body}(/|$)`);
      return re.test(path);
    });

  // Stages in order, each with its instructions.
  const stages: Array<{ name: string; steps: typeof steps }> = [];
  for (const step of steps) {
    if (step.op === 'FROM') {
      const m = /^\S+\s+AS\s+(\S+)$/i.exec(step.args);
      stages.push({ name: m ? m[1] : `#${stages.length}`, steps: [] });
    } else stages.at(-1)?.steps.push(step);
  }

  test('is multi-stage: build, runtime-deps and a final runtime stage', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime-deps', 'runtime']);
    const build = stages[0].steps.map((s) => `${s.op} ${s.args}`).join('\n');
    expect(build).toMatch(/RUN npm ci /);
    expect(build).toContain('RUN npm run build --workspace engine');
    expect(stages[1].steps.map((s) => s.args).join('\n')).toMatch(/npm ci .*--omit=dev/);
  });

  test('every COPY source exists in the repository and is not excluded from the context; --from names an earlier stage', () => {
    let checked = 0;
    stages.forEach((stage, i) => {
      for (const { op, args } of stage.steps.filter((s) => s.op === 'COPY')) {
        const words = args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const sources = paths.slice(0, -1);
        expect(sources.length).toBeGreaterThan(0);
        if (from) {
          expect(stages.slice(0, i).map((s) => s.name)).toContain(from);
          // What an earlier stage made: node_modules from npm ci, the compiled engine.
          for (const src of sources) expect(['/src/node_modules', '/src/engine/dist']).toContain(src);
        } else {
          for (const src of sources) {
            expect([op, src, existsSync(join(ROOT, src))]).toEqual([op, src, true]);
            expect([src, ignored(src)]).toEqual([src, false]);
          }
        }
        checked += sources.length;
      }
    });
    expect(checked).toBeGreaterThan(10);
    // The context excludes what must not be baked in.
    for (const p of ['node_modules', 'engine/node_modules', 'engine/dist', '.gantry', '.git']) expect([p, ignored(p)]).toEqual([p, true]);
  });

  test('the runtime stage runs the built engine as a non-root user with a readiness health check', () => {
    const runtime = stages[2].steps;
    const user = runtime.filter((s) => s.op === 'USER').at(-1)!.args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const created = runtime.filter((s) => s.op === 'RUN').map((s) => s.args).join(' ');
    expect(created).toContain(`useradd --system --uid 10001 --gid ${user}`);
    const entry = JSON.parse(runtime.find((s) => s.op === 'ENTRYPOINT')!.args);
    expect(entry).toEqual(['node', '/app/engine/dist/src/cli.js']);
    expect(JSON.parse(runtime.find((s) => s.op === 'CMD')!.args)).toEqual(['serve']);
    // /app/engine/dist is the build stage's engine/dist: the entry point is what `npm run build` makes.
    expect(statSync(join(ROOT, 'engine', 'dist', 'src', 'cli.js')).isFile()).toBe(true);
    expect(runtime.find((s) => s.op === 'HEALTHCHECK')!.args).toContain('/health/ready');
    // The built-ins' assets are resolved from the engine package root, next to dist.
    expect(runtime.map((s) => s.args)).toEqual(expect.arrayContaining(['engine/models ./engine/models', 'engine/package.json ./engine/']));
    const env = runtime.filter((s) => s.op === 'ENV').map((s) => s.args).join(' ');
    const vars = Object.fromEntries([...env.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    expectEngineAccepts(vars, 'Dockerfile');
  });
});

describe('systemd units', () => {
  const unit = (name: string) => {
    const sections: Record<string, Record<string, string[]>> = {};
    let current = '';
    for (const line of read(`deploy/systemd/${name}`).split('\n').map((l) => l.trim())) {
      if (!line || line.startsWith('#')) continue;
      const header = /^\[(\w+)\]$/.exec(line);
      if (header) sections[(current = header[1])] = {};
      else {
        const at = line.indexOf('=');
        (sections[current][line.slice(0, at)] ??= []).push(line.slice(at + 1));
      }
    }
    return sections;
  };

  test.each([
    ['gantry.service', 'serve'],
    ['gantry-worker.service', 'worker'],
  ])('%s runs `gantry %s` unprivileged, restarts on failure, and is hardened', (name, command) => {
    const u = unit(name);
    expect(Object.keys(u)).toEqual(['Unit', 'Service', 'Install']);
    const s = u.Service;
    expect(s.ExecStart).toEqual([`/usr/bin/node /opt/gantry/engine/dist/src/cli.js ${command}`]);
    expect(s.User).toEqual(['gantry']);
    expect(s.Restart).toEqual(['on-failure']);
    expect(s.NoNewPrivileges).toEqual(['yes']);
    expect(s.ProtectSystem).toEqual(['strict']);
    expect(s.ReadWritePaths).toEqual(['/var/lib/gantry']);
    expect(s.EnvironmentFile).toEqual(['/etc/gantry/gantry.env']);
    // The stop timeout leaves the engine its 10 s grace for running work.
    expect(Number(s.TimeoutStopSec[0])).toBeGreaterThan(10);
    expect(u.Install.WantedBy).toEqual(['multi-user.target']);
    const env = Object.fromEntries((s.Environment ?? []).map((e) => e.split('=') as [string, string]));
    expectEngineAccepts(env, name);
  });

  test('the environment file example is one the engine accepts', () => {
    const env = Object.fromEntries(
      read('deploy/systemd/gantry.env.example')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(env)).toContain('GANTRY_API_TOKEN');
    expectEngineAccepts(env, 'gantry.env.example');
  });
});
