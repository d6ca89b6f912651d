/**
 * Checks of rendered Kubernetes objects, each returning the problems it finds (empty: none):
 * - schemaProblems: every object against the Kubernetes 1.27 OpenAPI schemas (kubernetes-models'
 *   validators: types, required fields, enums);
 * - unknownFieldProblems: fields the API does not have (a typo such as `livenessprobe` passes
 *   the schemas, which allow extra fields; the API server's strict field validation refuses it),
 *   found by type-checking every object as an object literal of its kubernetes-types type;
 * - semanticProblems: what no schema says: selectors match labels, Services and probes point at
 *   ports the containers expose, env references exist, one image, the roles' commands, GPUs.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize';

const REPO = resolve(__dirname, '..', '..');

function groupVersion(apiVersion: string): { group: string; version: string } {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return { group, version };
}

const describe = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

export function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const { group, version } = groupVersion(o.apiVersion);
    let Model: (new (o: unknown) => { validate(): void }) | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Model = require(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`)[o.kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problems.push(`${describe(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      const details = (err as { errors?: Array<{ instancePath: string; message: string }> }).errors;
      problems.push(`${describe(o)}: ${details ? details.map((d) => `${d.instancePath} ${d.message}`).join('; ') : (err as Error).message}`);
    }
  }
  return problems;
}

export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const file = join(REPO, 'test', 'deploy', '__objects__.ts');
  const lines: string[] = [];
  /** The source line each object starts on, to name the object of a diagnostic. */
  const starts: number[] = [];
  objects.forEach((o, i) => {
    const { group, version } = groupVersion(o.apiVersion);
    const module = `kubernetes-types/${group ? group.replace(/\.k8s\.io$/, '') : 'core'}/${version}`;
    starts.push(lines.length);
    lines.push(`import type * as t${i} from '${module}';`, ...`export const o${i}: t${i}.${o.kind} = ${JSON.stringify(o, null, 1)};`.split('\n'));
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, types: [], skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (name, lang, ...rest) => (resolve(name) === file ? ts.createSourceFile(name, source, lang) : read.call(host, name, lang, ...rest));
  host.fileExists = ((exists) => (name: string) => resolve(name) === file || exists(name))(host.fileExists);
  const program = ts.createProgram([file], options, host);
  const sourceLines = source.split('\n');
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    let i = starts.length - 1;
    while (i > 0 && starts[i] > line) i--;
    const near = sourceLines[line].trim().slice(0, 60);
    return `${describe(objects[i])}: ${text} (at ${near})`;
  });
}

/** The engine's own variable names, read from its configuration schema (engine/src/config.ts). */
export function engineVariables(): Set<string> {
  const source = readFileSync(join(REPO, 'engine', 'src', 'config.ts'), 'utf8');
  const schema = source.slice(source.indexOf('const env = z.object({'), source.indexOf('});', source.indexOf('const env = z.object({')));
  return new Set([...schema.matchAll(/^\s+([A-Z][A-Z0-9_]+): z\b/gm)].map((m) => m[1]));
}

/** Variables the engine reads that are not its own: the AWS SDK's credential chain, NVIDIA's container runtime. */
const EXTERNAL_VARIABLES = /^(AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION|DEFAULT_REGION|PROFILE|ENDPOINT_URL|ENDPOINT_URL_S3|ROLE_ARN|WEB_IDENTITY_TOKEN_FILE)|NVIDIA_(VISIBLE_DEVICES|DRIVER_CAPABILITIES))$/;

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);
const ROLES = ['api', 'controller', 'worker'];

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The environment a container sees: envFrom ConfigMaps/Secrets, then env (fieldRefs as placeholders). */
export function containerEnv(objects: K8sObject[], c: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const source = objects.find((o) => o.kind === (from.configMapRef ? 'ConfigMap' : 'Secret') && o.metadata.name === ref?.name);
    Object.assign(env, source?.data ?? {}, source?.stringData ?? {});
  }
  for (const e of c.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.fieldRef ? `<${e.valueFrom.fieldRef.fieldPath}>` : '<ref>');
  return env;
}

export function semanticProblems(objects: K8sObject[], opts: { image: string }): string[] {
  const problems: string[] = [];
  const say = (o: K8sObject, text: string) => problems.push(`${describe(o)}: ${text}`);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const known = engineVariables();

  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(id)) say(o, 'defined twice');
    seen.add(id);
    if (o.kind !== 'Namespace' && o.metadata.namespace !== 'gantry') say(o, `is in namespace ${o.metadata.namespace ?? '(none)'}, not gantry`);
    if (o.metadata.labels?.['app.kubernetes.io/name'] !== 'gantry') say(o, 'lacks the label app.kubernetes.io/name=gantry');
  }
  if (!find('Namespace', 'gantry')) problems.push('no Namespace gantry');

  for (const w of workloads) {
    const template = w.spec.template;
    const labels = template.metadata?.labels;
    const spec = template.spec;
    if (!matches(w.spec.selector?.matchLabels, labels)) say(w, "the selector does not match the pod template's labels");
    for (const other of workloads) {
      if (other !== w && matches(w.spec.selector?.matchLabels, other.spec.template.metadata?.labels)) say(w, `the selector also selects the pods of ${describe(other)}`);
    }
    const role = labels?.['app.kubernetes.io/component'];
    if (!ROLES.includes(role)) say(w, `has no role label (app.kubernetes.io/component one of ${ROLES.join(', ')})`);
    if (spec.serviceAccountName && !find('ServiceAccount', spec.serviceAccountName)) say(w, `uses the missing ServiceAccount ${spec.serviceAccountName}`);
    const volumes = new Set((spec.volumes ?? []).map((v: any) => v.name));
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if (/postgres|redis/i.test(c.image)) say(w, `runs ${c.image}: Postgres and Redis are external dependencies`);
      if (c.image !== opts.image) say(w, `container ${c.name} runs ${c.image}, not the one image ${opts.image}`);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) say(w, `container ${c.name} mounts the missing volume ${m.name}`);
      for (const from of c.envFrom ?? []) {
        const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
        const name = (from.configMapRef ?? from.secretRef)?.name;
        if (!find(kind, name)) say(w, `container ${c.name} takes its environment from the missing ${kind} ${name}`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const source = find(e.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name);
        if (!source || !(ref.key in { ...source.data, ...source.stringData })) say(w, `env ${e.name} refers to the missing key ${ref.name}/${ref.key}`);
      }
    }
    const main = spec.containers.find((c: any) => c.name === 'gantry');
    if (!main || spec.containers.length !== 1) {
      say(w, 'must run exactly one container, named gantry');
      continue;
    }
    const expected = ['gantry', 'serve', '--role', role];
    if (JSON.stringify(main.command) !== JSON.stringify(expected)) say(w, `runs ${JSON.stringify(main.command)}, not ${JSON.stringify(expected)}`);
    const env = containerEnv(objects, main);
    for (const name of Object.keys(env)) if (!known.has(name) && !EXTERNAL_VARIABLES.test(name)) say(w, `sets ${name}, which nothing reads`);
    for (const name of ['DATABASE_URL', 'GANTRY_STORAGE_URL', 'GANTRY_PUBLIC_URL', 'GANTRY_API_TOKEN']) if (!env[name]) say(w, `lacks ${name}`);
    if (env.GANTRY_HOST !== '0.0.0.0') say(w, 'listens on GANTRY_HOST other than 0.0.0.0: nothing outside the pod reaches it');
    const ports: any[] = main.ports ?? [];
    if (!ports.some((p) => String(p.containerPort) === env.GANTRY_PORT)) say(w, `exposes no port GANTRY_PORT=${env.GANTRY_PORT}`);
    for (const kind of ['startupProbe', 'livenessProbe', ...(role === 'api' ? ['readinessProbe'] : [])]) {
      const probe = main[kind];
      if (!probe) {
        say(w, `has no ${kind}`);
        continue;
      }
      const port = probe.httpGet?.port;
      if (probe.httpGet?.path !== '/health') say(w, `${kind} is not on /health`);
      if (!ports.some((p) => p.name === port || p.containerPort === port)) say(w, `${kind} points at port ${port}, which the container does not expose`);
    }
    if (role === 'worker') {
      if (w.kind !== 'DaemonSet') say(w, 'workers run as a DaemonSet (one per GPU node)');
      const gpus = main.resources?.limits?.['nvidia.com/gpu'];
      if (!/^[1-9]\d*$/.test(String(gpus))) say(w, 'asks for no nvidia.com/gpu');
      if (!Object.keys(spec.nodeSelector ?? {}).some((k) => k.startsWith('nvidia.com/'))) say(w, 'has no GPU node selector');
      if (!(spec.tolerations ?? []).some((t: any) => t.key === 'nvidia.com/gpu')) say(w, 'does not tolerate the nvidia.com/gpu taint');
      if (!(main.env ?? []).some((e: any) => e.name === 'GANTRY_WORKER_NAME' && e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName')) say(w, 'has no stable worker name (GANTRY_WORKER_NAME from spec.nodeName)');
    } else if (w.kind !== 'Deployment') {
      say(w, `the ${role} role runs as a Deployment`);
    }
    if (role === 'controller' && w.spec.replicas !== 2) say(w, `runs ${w.spec.replicas} replicas, not 2 (one active, one standby)`);
  }
  for (const role of ROLES) {
    if (!workloads.some((w) => w.spec.template.metadata?.labels?.['app.kubernetes.io/component'] === role)) problems.push(`no workload runs the ${role} role`);
  }

  for (const s of objects.filter((o) => o.kind === 'Service')) {
    const selected = workloads.filter((w) => matches(s.spec.selector, w.spec.template.metadata?.labels));
    if (selected.length !== 1) {
      say(s, `selects the pods of ${selected.length} workloads, not 1`);
      continue;
    }
    const ports = selected[0].spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
    for (const p of s.spec.ports) {
      if (!ports.some((c: any) => c.name === p.targetPort || c.containerPort === p.targetPort)) say(s, `port ${p.name ?? p.port} targets ${p.targetPort}, which ${describe(selected[0])} does not expose`);
    }
  }
  for (const h of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = h.spec.scaleTargetRef;
    const target = find(ref.kind, ref.name);
    if (!target || target.apiVersion !== ref.apiVersion) {
      say(h, `scales the missing ${ref.apiVersion} ${ref.kind} ${ref.name}`);
      continue;
    }
    if ((h.spec.minReplicas ?? 1) > h.spec.maxReplicas) say(h, 'minReplicas is above maxReplicas');
    for (const m of h.spec.metrics ?? []) {
      const resource = m.resource?.name;
      if (m.type === 'Resource' && m.resource.target.type === 'Utilization') {
        for (const c of target.spec.template.spec.containers) if (!c.resources?.requests?.[resource]) say(h, `scales on ${resource} utilization, but ${c.name} of ${describe(target)} requests no ${resource}`);
      }
    }
  }
  for (const b of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const selected = workloads.filter((w) => matches(b.spec.selector?.matchLabels, w.spec.template.metadata?.labels));
    if (selected.length !== 1) {
      say(b, `covers the pods of ${selected.length} workloads, not 1`);
      continue;
    }
    const w = selected[0];
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === w.metadata.name);
    const fewest = hpa ? hpa.spec.minReplicas ?? 1 : w.spec.replicas ?? 1;
    if (typeof b.spec.minAvailable === 'number' && b.spec.minAvailable >= fewest) say(b, `minAvailable ${b.spec.minAvailable} of ${fewest} replicas blocks every drain`);
    if (b.spec.maxUnavailable !== undefined && w.kind !== 'Deployment') say(b, 'maxUnavailable needs a scalable workload (Deployment)');
  }
  return problems;
}
