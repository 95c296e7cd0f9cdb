/**
 * A small, offline renderer for the kustomizations in deploy/k8s, so that the manifests
 * can be checked without kubectl. It implements only what those files use and refuses
 * everything else (an unknown key, a remote resource, a label option it does not model),
 * so it cannot silently render something different from `kubectl kustomize`. Where
 * kubectl is installed, test/unit/deploy/manifests.test.ts compares the two.
 *
 * Supported:
 * - Kustomization (kustomize.config.k8s.io/v1beta1): `resources` (YAML files, possibly
 *   with several documents, or directories holding a kustomization), `components`,
 *   `namespace`, `labels` (with `includeSelectors: false`), `images`;
 * - Component (kustomize.config.k8s.io/v1alpha1): `resources` only.
 *
 * Order of application, as in kustomize: resources are accumulated (a directory is
 * rendered completely first), then each component adds its resources, then this level's
 * transformers run over everything: namespace, labels, images.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> };
};

export class KustomizeLiteError extends Error {}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'images', 'resources', 'components']);
const COMPONENT_KEYS = new Set(['apiVersion', 'kind', 'resources']);
const LABEL_KEYS = new Set(['pairs', 'includeSelectors', 'includeTemplates']);
const IMAGE_KEYS = new Set(['name', 'newName', 'newTag', 'digest']);

/** Kinds without a namespace, among those a kustomization here could hold. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume',
  'StorageClass', 'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'ClusterTriggerAuthentication',
]);

/** Where kustomize puts template labels (its `commonLabels` field specs for templates). */
const TEMPLATE_LABEL_PATHS: Record<string, ReadonlyArray<readonly string[]>> = {
  Deployment: [['spec', 'template', 'metadata', 'labels']],
  ReplicaSet: [['spec', 'template', 'metadata', 'labels']],
  DaemonSet: [['spec', 'template', 'metadata', 'labels']],
  Job: [['spec', 'template', 'metadata', 'labels']],
  StatefulSet: [['spec', 'template', 'metadata', 'labels'], ['spec', 'volumeClaimTemplates', '[]', 'metadata', 'labels']],
};
/** Kinds with Pod templates this renderer does not model: refuse rather than guess. */
const UNMODELLED_TEMPLATE_KINDS = new Set(['CronJob', 'ReplicationController']);

/** Renders the kustomization in `dir` into its list of objects. */
export function renderKustomization(dir: string): K8sObject[] {
  return render(path.resolve(dir), 'Kustomization', []);
}

function render(dir: string, expectedKind: 'Kustomization' | 'Component', visiting: readonly string[]): K8sObject[] {
  if (visiting.some((v) => v === dir || v.startsWith(dir + path.sep))) {
    throw new KustomizeLiteError(`cycle: ${dir} contains ${visiting.join(', ')}`);
  }
  const file = KUSTOMIZATION_FILES.map((name) => path.join(dir, name)).find((f) => fs.existsSync(f));
  if (file === undefined) throw new KustomizeLiteError(`${dir}: no kustomization.yaml`);
  const k = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  if (k === null || typeof k !== 'object') throw new KustomizeLiteError(`${file}: not a mapping`);
  const kind = k.kind ?? 'Kustomization';
  if (kind !== expectedKind) throw new KustomizeLiteError(`${file}: kind ${String(kind)}, expected ${expectedKind}`);
  const apiVersion = expectedKind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
  if (k.apiVersion !== apiVersion) throw new KustomizeLiteError(`${file}: apiVersion ${String(k.apiVersion)}, expected ${apiVersion}`);
  const allowed = expectedKind === 'Component' ? COMPONENT_KEYS : KUSTOMIZATION_KEYS;
  for (const key of Object.keys(k)) {
    if (!allowed.has(key)) throw new KustomizeLiteError(`${file}: "${key}" is not supported by kustomize-lite`);
  }
  const inner = [...visiting, dir];

  const objects: K8sObject[] = [];
  for (const entry of stringList(k.resources, file, 'resources')) objects.push(...loadResource(dir, entry, file, inner));
  for (const entry of stringList(k.components, file, 'components')) {
    objects.push(...render(localPath(dir, entry, file), 'Component', inner));
  }
  checkUnique(objects, file);

  if (k.namespace !== undefined) setNamespace(objects, k.namespace, file);
  if (k.labels !== undefined) addLabels(objects, k.labels, file);
  if (k.images !== undefined) setImages(objects, k.images, file);
  return objects;
}

function stringList(value: unknown, file: string, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new KustomizeLiteError(`${file}: ${key} must be a list of strings`);
  }
  return value as string[];
}

function localPath(dir: string, entry: string, file: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith('github.com/') || entry.includes('?ref=')) {
    throw new KustomizeLiteError(`${file}: remote resource "${entry}" is not supported`);
  }
  if (path.isAbsolute(entry)) throw new KustomizeLiteError(`${file}: absolute path "${entry}" (kustomize refuses it too)`);
  return path.resolve(dir, entry);
}

function loadResource(dir: string, entry: string, file: string, visiting: readonly string[]): K8sObject[] {
  const target = localPath(dir, entry, file);
  if (!fs.existsSync(target)) throw new KustomizeLiteError(`${file}: resource "${entry}" does not exist`);
  if (fs.statSync(target).isDirectory()) return render(target, 'Kustomization', visiting);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(fs.readFileSync(target, 'utf8'))) {
    if (doc.errors.length > 0) throw new KustomizeLiteError(`${target}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    objects.push(asObject(value, target));
  }
  return objects;
}

function asObject(value: unknown, where: string): K8sObject {
  if (!isRecord(value)) throw new KustomizeLiteError(`${where}: a document is not a mapping`);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw new KustomizeLiteError(`${where}: apiVersion and kind are required`);
  if (kind.endsWith('List')) throw new KustomizeLiteError(`${where}: ${kind} is not supported; one object per document`);
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    throw new KustomizeLiteError(`${where}: ${kind} without metadata.name`);
  }
  return value as K8sObject;
}

function checkUnique(objects: readonly K8sObject[], file: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) throw new KustomizeLiteError(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
}

/** apiVersion group, kind, namespace and name: how kustomize tells objects apart. */
export function objectId(o: K8sObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function setNamespace(objects: K8sObject[], namespace: unknown, file: string): void {
  if (typeof namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new KustomizeLiteError(`${file}: namespace must be a DNS label`);
  }
  for (const o of objects) {
    if (o.kind === 'Namespace') {
      // kustomize would rename it; the manifests here never rely on that.
      if (o.metadata.name !== namespace) throw new KustomizeLiteError(`${file}: Namespace ${o.metadata.name} differs from namespace: ${namespace}`);
      continue;
    }
    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      throw new KustomizeLiteError(`${file}: ${o.kind} subjects are not modelled`);
    }
    if (CLUSTER_SCOPED.has(o.kind)) continue;
    o.metadata.namespace = namespace;
  }
}

function addLabels(objects: K8sObject[], labels: unknown, file: string): void {
  if (!Array.isArray(labels)) throw new KustomizeLiteError(`${file}: labels must be a list`);
  for (const entry of labels as unknown[]) {
    if (!isRecord(entry)) throw new KustomizeLiteError(`${file}: a labels entry must be a mapping`);
    for (const key of Object.keys(entry)) {
      if (!LABEL_KEYS.has(key)) throw new KustomizeLiteError(`${file}: labels.${key} is not supported by kustomize-lite`);
    }
    if (entry.includeSelectors === true) {
      throw new KustomizeLiteError(`${file}: labels with includeSelectors: true are not supported (selectors are immutable; keep them in the files)`);
    }
    const pairs = entry.pairs;
    if (!isRecord(pairs) || !Object.values(pairs).every((v) => typeof v === 'string')) {
      throw new KustomizeLiteError(`${file}: labels.pairs must map names to strings`);
    }
    const add = pairs as Record<string, string>;
    for (const o of objects) {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), ...add };
      if (entry.includeTemplates !== true) continue;
      if (UNMODELLED_TEMPLATE_KINDS.has(o.kind)) throw new KustomizeLiteError(`${file}: template labels of ${o.kind} are not modelled`);
      for (const fieldPath of TEMPLATE_LABEL_PATHS[o.kind] ?? []) setLabelsAt(o, fieldPath, add);
    }
  }
}

/** Merges `add` into the labels map at `fieldPath` ("[]" steps into every list item), creating it. */
function setLabelsAt(node: unknown, fieldPath: readonly string[], add: Record<string, string>): void {
  const [step, ...rest] = fieldPath;
  if (step === undefined) return;
  if (step === '[]') {
    if (Array.isArray(node)) for (const item of node) setLabelsAt(item, rest, add);
    return;
  }
  if (!isRecord(node)) return;
  if (rest.length === 0) {
    node[step] = { ...(isRecord(node[step]) ? node[step] as Record<string, string> : {}), ...add };
    return;
  }
  // kustomize creates missing maps on the way (metadata of a template), not missing lists.
  if (node[step] === undefined) {
    if (rest[0] === '[]') return;
    node[step] = {};
  }
  setLabelsAt(node[step], rest, add);
}

interface ImageRule { name: string; newName?: string; newTag?: string; digest?: string }

function setImages(objects: K8sObject[], images: unknown, file: string): void {
  if (!Array.isArray(images)) throw new KustomizeLiteError(`${file}: images must be a list`);
  const rules: ImageRule[] = (images as unknown[]).map((entry) => {
    if (!isRecord(entry)) throw new KustomizeLiteError(`${file}: an images entry must be a mapping`);
    for (const [key, value] of Object.entries(entry)) {
      if (!IMAGE_KEYS.has(key)) throw new KustomizeLiteError(`${file}: images.${key} is not supported by kustomize-lite`);
      if (typeof value !== 'string') throw new KustomizeLiteError(`${file}: images.${key} must be a string`);
    }
    if (typeof entry.name !== 'string') throw new KustomizeLiteError(`${file}: images entry without name`);
    if (entry.newTag !== undefined && entry.digest !== undefined) throw new KustomizeLiteError(`${file}: images: newTag and digest together`);
    return entry as unknown as ImageRule;
  });
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isRecord(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
        for (const container of value) {
          if (isRecord(container) && typeof container.image === 'string') container.image = rewriteImage(container.image, rules);
        }
      }
      visit(value);
    }
  };
  objects.forEach(visit);
}

/** Splits "name[:tag][@digest]" (a registry port is part of the name). */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    ...(hasTag ? { tag: rest.slice(colon + 1) } : {}),
    ...(digest === undefined ? {} : { digest }),
  };
}

function rewriteImage(image: string, rules: readonly ImageRule[]): string {
  const parts = splitImage(image);
  const rule = rules.find((r) => r.name === parts.name);
  if (rule === undefined) return image;
  const name = rule.newName ?? parts.name;
  if (rule.digest !== undefined) return `${name}@${rule.digest}`;
  if (rule.newTag !== undefined) return `${name}:${rule.newTag}`;
  if (parts.digest !== undefined) return `${name}${parts.tag === undefined ? '' : `:${parts.tag}`}@${parts.digest}`;
  return parts.tag === undefined ? name : `${name}:${parts.tag}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
