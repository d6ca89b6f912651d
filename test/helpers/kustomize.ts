/**
 * Renders the kustomize subset deploy/kubernetes uses, as `kubectl kustomize` would (no kubectl
 * here): `resources` (YAML files, and directories holding a kustomization.yaml), `patches`
 * (strategic-merge patch files, matched by kind and name), `namespace`, `labels` (pairs,
 * includeSelectors, includeTemplates) and `images` (name → newName/newTag). Any other field is an
 * error, so a kustomization this renderer would get wrong fails loudly instead.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches', 'namespace', 'labels', 'images']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass']);
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job']);

/** Every document of a YAML file; a syntax error or a duplicate key is an error naming the file. */
export function readYaml(path: string): any[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { uniqueKeys: true });
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS();
  }).filter((o) => o !== null);
}

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Strategic merge, as far as these manifests need it: maps merge, lists of named items merge by name, other lists are replaced. */
export function strategicMerge(base: any, patch: any): any {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, any> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : k in base ? strategicMerge(base[k], v) : v;
    for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
    return out;
  }
  const named = (l: unknown) => Array.isArray(l) && l.every((i) => isObject(i) && typeof i.name === 'string');
  if (named(base) && named(patch)) {
    const out = base.map((item: any) => {
      const p = patch.find((x: any) => x.name === item.name);
      return p ? strategicMerge(item, p) : item;
    });
    for (const p of patch) if (!base.some((x: any) => x.name === p.name)) out.push(p);
    return out;
  }
  return patch;
}

function podSpecs(o: K8sObject): any[] {
  return POD_TEMPLATE_KINDS.has(o.kind) && o.spec?.template?.spec ? [o.spec.template.spec] : [];
}

function setImage(spec: any, images: Array<{ name: string; newName?: string; newTag?: string }>): void {
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const name = String(c.image).replace(/[:@].*$/, '');
    const rule = images.find((i) => i.name === name);
    if (rule) c.image = `${rule.newName ?? name}:${rule.newTag ?? 'latest'}`;
  }
}

/** The objects `kubectl kustomize <dir>` would print, for the subset above. */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir} has no kustomization.yaml`);
  const [k] = readYaml(file);
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is not supported by this renderer`);
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') throw new Error(`${file}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);

  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const path = resolve(dir, r);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : (readYaml(path) as K8sObject[])));
  }
  for (const p of k.patches ?? []) {
    if (!p.path || p.target || p.patch) throw new Error(`${file}: only patches with a path are supported`);
    for (const patch of readYaml(resolve(dir, p.path))) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata?.name);
      if (i < 0) throw new Error(`${file}: patch ${p.path} matches no ${patch.kind} ${patch.metadata?.name}`);
      objects[i] = strategicMerge(objects[i], patch);
    }
  }
  objects = structuredClone(objects);
  for (const o of objects) {
    if (k.namespace && !CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
    for (const l of k.labels ?? []) {
      o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
      if (l.includeSelectors) throw new Error(`${file}: labels with includeSelectors are not supported by this renderer`);
      if (l.includeTemplates && o.spec?.template) o.spec.template.metadata = { ...o.spec.template.metadata, labels: { ...o.spec.template.metadata?.labels, ...l.pairs } };
    }
    for (const spec of podSpecs(o)) setImage(spec, k.images ?? []);
  }
  return objects;
}

/** The directory of the repository's manifests. */
export const KUBERNETES_DIR = resolve(dirname(__dirname), '..', 'deploy', 'kubernetes');
