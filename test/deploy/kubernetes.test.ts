/**
 * deploy/kubernetes rendered as kustomize would (test/helpers/kustomize.ts; no kubectl here), the
 * base and the gpu-8x overlay: every object valid against the Kubernetes schemas and free of
 * fields the API does not have, the semantic checks of test/helpers/k8s-checks.ts, and each
 * role's environment accepted by the engine's own configuration loader. Then the checks are
 * shown to catch what they look for, on broken copies. Nothing here ran on a real cluster.
 */
import { join } from 'node:path';
import { loadConfig, roleFromArgs } from '../../engine/src/config';
import { KUBERNETES_DIR, readYaml, renderKustomization, type K8sObject } from '../helpers/kustomize';
import { containerEnv, schemaProblems, semanticProblems, unknownFieldProblems } from '../helpers/k8s-checks';

const IMAGE = 'registry.example.com/gantry/gantry-engine:0.1.0';
const base = renderKustomization(KUBERNETES_DIR);
const gpu8 = renderKustomization(join(KUBERNETES_DIR, 'overlays', 'gpu-8x'));
const byName = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe.each([
  ['the base', base],
  ['the gpu-8x overlay', gpu8],
])('%s', (_name, objects) => {
  test('renders the objects of every role', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/gantry-config',
      'DaemonSet/gantry-worker',
      'Deployment/gantry-api',
      'Deployment/gantry-controller',
      'HorizontalPodAutoscaler/gantry-api',
      'Namespace/gantry',
      'PodDisruptionBudget/gantry-api',
      'PodDisruptionBudget/gantry-controller',
      'Secret/gantry-secrets',
      'Service/gantry-api',
      'ServiceAccount/gantry',
    ]);
  });

  test('every object is valid against the Kubernetes schemas', () => {
    expect(schemaProblems(objects)).toEqual([]);
  });

  test('no object has a field the Kubernetes API does not know', () => {
    expect(unknownFieldProblems(objects)).toEqual([]);
  }, 60_000);

  test('selectors, ports, probes, env references, image, commands and GPUs hold together', () => {
    expect(semanticProblems(objects, { image: IMAGE })).toEqual([]);
  });

  test("each role's environment and command are a configuration the engine accepts, for that role", () => {
    const roles: Record<string, string> = {};
    for (const w of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')) {
      const container = w.spec.template.spec.containers[0];
      const config = loadConfig(containerEnv(objects, container));
      // What the CLI does with `gantry serve --role X`: the flag sets the role.
      const [, serve, ...args] = container.command;
      expect(serve).toBe('serve');
      config.role = roleFromArgs(args) ?? config.role;
      roles[w.metadata.name] = config.role;
      expect({ host: config.host, port: config.port, storage: config.storage.kind }).toEqual({ host: '0.0.0.0', port: 8787, storage: 's3' });
      // Every fleet role needs an external Postgres (there is no embedded one in a fleet).
      expect(config.databaseUrl).toMatch(/^postgres:\/\//);
    }
    expect(roles).toEqual({ 'gantry-api': 'api', 'gantry-controller': 'controller', 'gantry-worker': 'worker' });
  });
});

test('the overlay gives workers all 8 GPUs of 8-GPU nodes and keeps the rest of the base', () => {
  const worker = byName(gpu8, 'DaemonSet', 'gantry-worker');
  const [container] = worker.spec.template.spec.containers;
  expect(container.resources).toEqual({ requests: { cpu: '16', memory: '128Gi' }, limits: { memory: '1Ti', 'nvidia.com/gpu': '8' } });
  expect(worker.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.count': '8' });
  const baseWorker = byName(base, 'DaemonSet', 'gantry-worker');
  expect(container.env).toEqual(baseWorker.spec.template.spec.containers[0].env);
  expect(baseWorker.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
  expect(gpu8.filter((o) => o.kind !== 'DaemonSet')).toEqual(base.filter((o) => o.kind !== 'DaemonSet'));
});

describe('the checks catch what they look for', () => {
  const broken = (change: (objects: K8sObject[]) => void) => {
    const copy = structuredClone(base);
    change(copy);
    return copy;
  };
  const api = (objects: K8sObject[]) => byName(objects, 'Deployment', 'gantry-api').spec.template.spec.containers[0];

  test('a wrong type or a missing required field fails the schemas', () => {
    expect(schemaProblems(broken((o) => (api(o).ports[0].containerPort = 'eighty')))).toEqual([
      expect.stringMatching(/^Deployment\/gantry-api: \/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/),
    ]);
    expect(schemaProblems(broken((o) => delete byName(o, 'Deployment', 'gantry-controller').spec.selector))).toEqual([
      expect.stringMatching(/^Deployment\/gantry-controller: \/spec must have required property '?selector'?/),
    ]);
  });

  test('a misspelt field fails the unknown-field check, naming the field', () => {
    const problems = unknownFieldProblems(broken((o) => {
      const c = api(o);
      c.livenessprobe = c.livenessProbe;
      delete c.livenessProbe;
    }));
    expect(problems).toEqual([expect.stringMatching(/^Deployment\/gantry-api: Object literal may only specify known properties, and '"livenessprobe"' does not exist in type 'Container'/)]);
  }, 60_000);

  test('broken references fail the semantic checks', () => {
    const problems = semanticProblems(
      broken((o) => {
        byName(o, 'Service', 'gantry-api').spec.ports[0].targetPort = 'web';
        api(o).readinessProbe.httpGet.port = 9000;
        api(o).envFrom[1].secretRef.name = 'gantry-secret';
        byName(o, 'PodDisruptionBudget', 'gantry-controller').spec.selector.matchLabels['app.kubernetes.io/component'] = 'controllers';
        byName(o, 'DaemonSet', 'gantry-worker').spec.template.spec.containers[0].image = 'gantry-engine:dev';
        delete byName(o, 'DaemonSet', 'gantry-worker').spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'];
        byName(o, 'ConfigMap', 'gantry-config').data.GANTRY_PROT = '8787';
        byName(o, 'Deployment', 'gantry-controller').spec.template.spec.containers[0].command = ['gantry', 'serve'];
      }),
      { image: IMAGE },
    );
    expect(problems).toEqual(expect.arrayContaining([
      'Service/gantry-api: port http targets web, which Deployment/gantry-api does not expose',
      'Deployment/gantry-api: readinessProbe points at port 9000, which the container does not expose',
      'Deployment/gantry-api: container gantry takes its environment from the missing Secret gantry-secret',
      'Deployment/gantry-api: lacks DATABASE_URL',
      'PodDisruptionBudget/gantry-controller: covers the pods of 0 workloads, not 1',
      `DaemonSet/gantry-worker: container gantry runs gantry-engine:dev, not the one image ${IMAGE}`,
      'DaemonSet/gantry-worker: asks for no nvidia.com/gpu',
      'Deployment/gantry-controller: sets GANTRY_PROT, which nothing reads',
      'Deployment/gantry-controller: runs ["gantry","serve"], not ["gantry","serve","--role","controller"]',
    ]));
  });

  test('the renderer refuses kustomize features it does not implement, and YAML mistakes', () => {
    expect(() => renderKustomization(join(__dirname, 'fixtures', 'unsupported'))).toThrow(/"configMapGenerator" is not supported by this renderer/);
    expect(() => readYaml(join(__dirname, 'fixtures', 'duplicate-key.yaml'))).toThrow(/duplicate-key\.yaml: .*[Mm]ap keys must be unique/);
  });
});
