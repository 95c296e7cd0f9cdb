/**
 * The Kubernetes manifests (deploy/k8s) and the Dockerfile, checked without a cluster,
 * without kubectl and without docker:
 *
 * - deploy/k8s and an overlay with every component are rendered by kustomize-lite, which
 *   refuses kustomization keys it does not implement (and, where kubectl is installed, its
 *   output must equal `kubectl kustomize`);
 * - every object is validated against the Kubernetes OpenAPI schema (kubernetes-models),
 *   KEDA's and prometheus-operator's CRD schemas; a kind without a model fails;
 * - every Pod template meets the "restricted" Pod Security Standard, has liveness and
 *   readiness probes and a grace period of at least 60 s;
 * - the cross references hold: Services and NetworkPolicies select the Pods they mean,
 *   the worker and daemon commands use the image's ENTRYPOINT and flags the CLI has, the
 *   ConfigMap is a config mailferry loads, the example Secret has every variable it
 *   names, KEDA counts the list BullMQ really uses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { QueueKeys } from 'bullmq';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../../src/config/config-file.js';
import { SHARED_QUEUE } from '../../../src/jobs/queue/queue.js';
import { DEFAULT_PREFIX } from '../../../src/state/keys.js';
import { runCli } from '../../support/cli.js';
import { KustomizeLiteError, objectId, renderKustomization, splitImage, type K8sObject } from '../../support/kustomize-lite.js';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const baseDir = path.join(repoRoot, 'deploy', 'k8s');
const componentsDir = path.join(baseDir, 'components');
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailferry-k8s-'));
  tempDirs.push(dir);
  return dir;
}

// --- models -------------------------------------------------------------------------------

type Validate = (o: K8sObject) => void;
const model = <T>(Model: new (data: T) => { validate(): void }): Validate => (o) => new Model(o as unknown as T).validate();

/** apiVersion/kind -> schema validation. A kind missing here fails the test. */
const MODELS: Record<string, Validate> = {
  'v1/Namespace': model(Namespace),
  'v1/ConfigMap': model(ConfigMap),
  'v1/Secret': model(Secret),
  'v1/Service': model(Service),
  'v1/ServiceAccount': model(ServiceAccount),
  'apps/v1/Deployment': model(Deployment),
  'apps/v1/StatefulSet': model(StatefulSet),
  'networking.k8s.io/v1/NetworkPolicy': model(NetworkPolicy),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
  'keda.sh/v1alpha1/ScaledObject': model(ScaledObject),
  'keda.sh/v1alpha1/TriggerAuthentication': model(TriggerAuthentication),
  'monitoring.coreos.com/v1/ServiceMonitor': model(ServiceMonitor),
  'monitoring.coreos.com/v1/PodMonitor': model(PodMonitor),
};

function validateObject(o: K8sObject): void {
  const validate = MODELS[`${o.apiVersion}/${o.kind}`];
  if (validate === undefined) throw new Error(`${objectId(o)}: no schema model for ${o.apiVersion} ${o.kind}; add one to MODELS`);
  try {
    validate(o);
  } catch (error) {
    throw new Error(`${objectId(o)}: ${(error as Error).message}`);
  }
}

// --- rendering ----------------------------------------------------------------------------

/** An overlay as a user would write it: the base plus every component, in a temp dir. */
function writeFullOverlay(): string {
  const dir = tempDir();
  const rel = (p: string) => path.relative(dir, p).split(path.sep).join('/');
  const components = fs.readdirSync(componentsDir).sort().map((name) => `  - ${rel(path.join(componentsDir, name))}`);
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'namespace: mailferry',
    'labels:',
    '  - pairs:',
    '      app.kubernetes.io/part-of: mailferry',
    '    includeSelectors: false',
    '    includeTemplates: true',
    'resources:',
    `  - ${rel(baseDir)}`,
    'components:',
    ...components,
    '',
  ].join('\n'));
  return dir;
}

const base = renderKustomization(baseDir);
const fullOverlayDir = writeFullOverlay();
const full = renderKustomization(fullOverlayDir);
const baseKustomization = parse(fs.readFileSync(path.join(baseDir, 'kustomization.yaml'), 'utf8')) as { namespace: string; images: Array<{ name: string }> };
const namespace = baseKustomization.namespace;

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return o;
}

function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

// Loosely typed views of the parts the policy checks read.
interface Probe { httpGet?: { path?: string; port?: string | number }; exec?: { command?: string[] }; tcpSocket?: unknown; grpc?: unknown }
interface Container {
  name: string; image?: string; command?: string[]; args?: string[];
  ports?: Array<{ name?: string; containerPort: number; hostPort?: number }>;
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ secretRef?: { name: string; optional?: boolean }; configMapRef?: { name: string } }>;
  livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean; privileged?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean;
    runAsUser?: number; capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type?: string };
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  containers: Container[]; initContainers?: Container[];
  hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; seccompProfile?: { type?: string } };
  volumes?: Array<Record<string, unknown> & { name: string }>;
}
interface Workload { metadata: { name: string }; spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: Array<{ metadata: { name: string } }>; serviceName?: string } }

const workloads = (objects: readonly K8sObject[]) =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as unknown as Array<K8sObject & Workload>;

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

// --- the Dockerfile -----------------------------------------------------------------------

const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
/** Instructions with continuation lines joined; comments dropped. */
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const stages = instructions.filter((l) => /^FROM /i.test(l));
const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1] ?? ''));
const dockerEnv = new Map<string, string>();
for (const line of runtime.filter((l) => /^ENV /i.test(l))) {
  for (const m of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) dockerEnv.set(m[1] ?? '', (m[2] ?? '').replace(/^"|"$/g, ''));
}
const entrypoint = JSON.parse(runtime.find((l) => /^ENTRYPOINT /i.test(l))?.slice('ENTRYPOINT '.length) ?? 'null') as unknown;
const dockerUser = runtime.find((l) => /^USER /i.test(l))?.slice(5).trim();

describe('Dockerfile', () => {
  it('builds on Node 24 in stages and ships production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:24[-.\w]*/);
    expect(instructions.some((l) => /^RUN npm ci\b(?!.*--omit=dev)/.test(l))).toBe(true);
    expect(instructions).toContain('RUN npm run build');
    expect(instructions.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    // The runtime stage copies node_modules from the production-only stage.
    const depsStage = stages.find((l) => /npm ci --omit=dev/.test(instructions.slice(instructions.indexOf(l)).find((x) => /^RUN npm ci/.test(x)) ?? ''));
    const depsName = depsStage?.match(/ AS (\S+)$/i)?.[1];
    expect(depsName).toBeDefined();
    expect(runtime).toContain(`COPY --from=${depsName ?? '?'} /app/node_modules ./node_modules`);
    expect(dockerfile).not.toMatch(/^\s*RUN .*redis-server/m);
  });

  it('runs bin/mailferry.js as a fixed non-root user, writing only under /tmp and /var/lib/mailferry', () => {
    expect(entrypoint).toEqual(['node', '/app/bin/mailferry.js']);
    expect(runtime).toContain('COPY bin ./bin');
    expect(runtime.some((l) => /^WORKDIR \/app$/.test(l))).toBe(true);
    expect(fs.existsSync(path.join(repoRoot, 'bin', 'mailferry.js'))).toBe(true);
    expect(dockerUser).toMatch(/^\d+:\d+$/);
    expect(Number(dockerUser?.split(':')[0])).toBeGreaterThan(0);
    expect(dockerEnv.get('HOME')).toBe('/var/lib/mailferry');
    expect(dockerEnv.get('XDG_STATE_HOME')?.startsWith('/var/lib/mailferry/')).toBe(true);
    // The memory tuning of bin/mailferry.js's #! line, which `node bin/mailferry.js` skips.
    const shebang = fs.readFileSync(path.join(repoRoot, 'bin', 'mailferry.js'), 'utf8').split('\n')[0] ?? '';
    const envTuning = [...shebang.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=(\d+)/g)];
    expect(envTuning.length).toBeGreaterThan(0);
    for (const m of envTuning) expect(dockerEnv.get(m[1] ?? '')).toBe(m[2]);
    const v8Flags = [...shebang.matchAll(/\s(--[\w-]+=\S+)/g)].map((m) => m[1]);
    expect(v8Flags.length).toBeGreaterThan(0);
    for (const flag of v8Flags) expect(dockerEnv.get('NODE_OPTIONS')).toContain(flag);
  });

  it('.dockerignore keeps node_modules, dist and the tests out of the build context', () => {
    const ignored = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'test']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'bin', 'config', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(needed);
  });
});

// --- rendering and schemas ----------------------------------------------------------------

describe('deploy/k8s renders and validates', () => {
  it('the base holds the expected objects, all in one namespace, no Secret', () => {
    expect(base.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/mailferry-config',
      'Deployment/mailferry-daemon',
      'Deployment/mailferry-worker',
      'Namespace/mailferry',
      'NetworkPolicy/mailferry',
      'NetworkPolicy/mailferry-redis',
      'Service/mailferry-metrics',
      'Service/mailferry-redis',
      'StatefulSet/mailferry-redis',
    ]);
    for (const o of base) {
      if (o.kind === 'Namespace') expect(o.metadata.namespace).toBeUndefined();
      else expect(o.metadata.namespace).toBe(namespace);
    }
  });

  it('the components add the KEDA ScaledObject, its NetworkPolicy and the ServiceMonitor', () => {
    const added = full.filter((o) => !base.some((b) => objectId(b) === objectId(o)));
    expect(added.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'NetworkPolicy/mailferry-redis-from-keda',
      'ScaledObject/mailferry-worker',
      'ServiceMonitor/mailferry',
    ]);
    for (const o of added) expect(o.metadata.namespace).toBe(namespace);
  });

  it('every object passes its schema, and a kind without a model is an error', () => {
    for (const o of full) validateObject(o);
    expect(() => validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema model/);
    // The models do catch a wrong type (this is what validate() is good for).
    const broken = structuredClone(find(full, 'Deployment', 'mailferry-worker'));
    (broken.spec as { revisionHistoryLimit: unknown }).revisionHistoryLimit = 'five';
    expect(() => validateObject(broken)).toThrow(/revisionHistoryLimit/);
  });

  it('names are DNS labels and every object carries the recommended labels', () => {
    for (const o of full) {
      expect(o.metadata.name, objectId(o)).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(o.metadata.name.length, objectId(o)).toBeLessThanOrEqual(63);
      if (o.kind === 'Namespace') continue;
      expect(o.metadata.labels?.['app.kubernetes.io/name'], objectId(o)).toMatch(/^(mailferry|redis)$/);
      expect(o.metadata.labels?.['app.kubernetes.io/component'], objectId(o)).toBeTruthy();
      expect(o.metadata.labels?.['app.kubernetes.io/part-of'], objectId(o)).toBe('mailferry');
    }
    for (const w of workloads(full)) {
      expect(w.spec.template.metadata.labels['app.kubernetes.io/part-of']).toBe('mailferry');
      // Selectors stay as written: the common label is not in them (they are immutable).
      expect(w.spec.selector.matchLabels['app.kubernetes.io/part-of']).toBeUndefined();
      expect(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels), w.metadata.name).toBe(true);
    }
  });

  it('secret.example.yaml is a valid Secret, kept out of the kustomization', () => {
    const kustomization = fs.readFileSync(path.join(baseDir, 'kustomization.yaml'), 'utf8');
    expect(kustomization).not.toMatch(/^\s*-\s*secret\.example\.yaml/m);
    const docs = parseAllDocuments(fs.readFileSync(path.join(baseDir, 'secret.example.yaml'), 'utf8')).map((d) => d.toJS() as K8sObject);
    expect(docs).toHaveLength(1);
    const secret = docs[0] as K8sObject;
    validateObject(secret);
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata.namespace).toBe(namespace);
  });
});

// --- policy -------------------------------------------------------------------------------

const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

describe('every Pod template is "restricted" and well behaved', () => {
  const all = workloads(full);

  it('covers the worker, the daemon and Redis', () => {
    expect(all.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual([
      'Deployment/mailferry-daemon', 'Deployment/mailferry-worker', 'StatefulSet/mailferry-redis',
    ]);
  });

  for (const w of all) {
    describe(`${w.kind} ${w.metadata.name}`, () => {
      const pod = w.spec.template.spec;
      const containers = [...pod.containers, ...(pod.initContainers ?? [])];

      it('runs as non-root with RuntimeDefault seccomp, no host namespaces, allowed volume types', () => {
        expect(pod.securityContext?.runAsNonRoot).toBe(true);
        expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
        expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
        expect(pod.hostNetwork ?? false).toBe(false);
        expect(pod.hostPID ?? false).toBe(false);
        expect(pod.hostIPC ?? false).toBe(false);
        for (const volume of pod.volumes ?? []) {
          const types = Object.keys(volume).filter((k) => k !== 'name');
          expect(types, volume.name).toHaveLength(1);
          expect(RESTRICTED_VOLUME_TYPES.has(types[0] ?? ''), `${volume.name}: ${types[0]}`).toBe(true);
        }
      });

      it('containers: no privilege escalation, ALL capabilities dropped, read-only root, limits', () => {
        for (const c of containers) {
          const sc = c.securityContext;
          expect(sc?.allowPrivilegeEscalation, c.name).toBe(false);
          expect(sc?.privileged ?? false, c.name).toBe(false);
          expect(sc?.capabilities?.drop, c.name).toContain('ALL');
          expect((sc?.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE'), c.name).toEqual([]);
          expect(sc?.readOnlyRootFilesystem, c.name).toBe(true);
          expect(sc?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, c.name).toBe(true);
          if (sc?.seccompProfile !== undefined) expect(sc.seccompProfile.type).toBe('RuntimeDefault');
          for (const port of c.ports ?? []) expect(port.hostPort, c.name).toBeUndefined();
          for (const kind of ['requests', 'limits'] as const) {
            expect(c.resources?.[kind]?.['cpu'], `${c.name} ${kind}.cpu`).toBeTruthy();
            expect(c.resources?.[kind]?.['memory'], `${c.name} ${kind}.memory`).toBeTruthy();
          }
          // A read-only root needs a writable /tmp.
          const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
          expect(tmp, `${c.name}: /tmp`).toBeDefined();
          expect(pod.volumes?.find((v) => v.name === tmp?.name)?.['emptyDir'], `${c.name}: /tmp is an emptyDir`).toBeDefined();
        }
      });

      it('has liveness and readiness probes and at least 60 s to stop', () => {
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
        for (const c of pod.containers) {
          expect(c.livenessProbe, c.name).toBeDefined();
          expect(c.readinessProbe, c.name).toBeDefined();
        }
      });
    });
  }
});

// --- mailferry containers against the Dockerfile and the CLI -------------------------------

const mailferryWorkloads = workloads(full).filter((w) => w.spec.template.metadata.labels['app.kubernetes.io/name'] === 'mailferry');

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('worker and daemon', () => {
  it('are the two mailferry Deployments; the worker leaves replicas to kubectl scale or KEDA', () => {
    expect(mailferryWorkloads.map((w) => w.metadata.name).sort()).toEqual(['mailferry-daemon', 'mailferry-worker']);
    expect(find(full, 'Deployment', 'mailferry-worker').spec).not.toHaveProperty('replicas');
    expect((find(full, 'Deployment', 'mailferry-daemon') as unknown as Workload).spec.replicas).toBe(1);
  });

  for (const w of mailferryWorkloads) {
    describe(w.metadata.name, () => {
      const pod = w.spec.template.spec;
      const c = pod.containers[0] as Container;
      const args = c.args ?? [];

      it('runs the image built from the Dockerfile through its ENTRYPOINT, as its user', () => {
        expect(pod.containers).toHaveLength(1);
        const image = splitImage(c.image ?? '');
        const rule = baseKustomization.images.find((r) => r.name === 'mailferry');
        expect(rule).toBeDefined();
        expect(image.tag ?? image.digest, 'a pinned tag or digest').toBeTruthy();
        expect(c.command, 'command would bypass the ENTRYPOINT').toBeUndefined();
        const [uid, gid] = (dockerUser ?? '').split(':').map(Number);
        expect(pod.securityContext?.runAsUser).toBe(uid);
        expect(pod.securityContext?.runAsGroup).toBe(gid);
      });

      it('runs `worker`/`daemon` with the config, the Redis Service and the HTTP port', () => {
        const command = w.metadata.name.replace(/^mailferry-/, '');
        expect(args[0]).toBe(command);
        const httpPort = c.ports?.find((p) => p.name === 'http');
        expect(httpPort?.containerPort).toBe(9090);
        expect(flagValue(args, '--http-port')).toBe(String(httpPort?.containerPort));
        expect(flagValue(args, '--http-host')).toBe('0.0.0.0');
        expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${httpPort?.containerPort}$`, 'm'));

        const redis = new URL(flagValue(args, '--redis') ?? '');
        expect(redis.protocol).toBe('redis:');
        expect(redis.password).toBe('');
        const redisService = find(full, 'Service', redis.hostname) as unknown as { spec: { ports: Array<{ port: number }> } };
        expect(redisService.spec.ports.map((p) => p.port)).toContain(Number(redis.port || 6379));

        const configPath = flagValue(args, '--config') ?? '';
        const mount = c.volumeMounts?.find((m) => configPath.startsWith(m.mountPath + '/'));
        expect(mount?.readOnly).toBe(true);
        const volume = pod.volumes?.find((v) => v.name === mount?.name) as { configMap?: { name: string } } | undefined;
        const configMap = find(full, 'ConfigMap', volume?.configMap?.name ?? '') as unknown as { data: Record<string, string> };
        expect(Object.keys(configMap.data)).toContain(path.posix.basename(configPath));
      });

      it('probes /healthz (liveness) and /readyz (readiness) on the HTTP port', () => {
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
          if (probe === undefined) continue;
          expect(probe.httpGet?.port === 'http' || probe.httpGet?.port === 9090).toBe(true);
        }
      });

      it('writes only to emptyDirs: /tmp and the image\'s HOME and XDG_STATE_HOME', () => {
        for (const dir of [dockerEnv.get('HOME'), dockerEnv.get('XDG_STATE_HOME')]) {
          const mount = c.volumeMounts?.find((m) => dir === m.mountPath || (dir ?? '').startsWith(m.mountPath + '/'));
          expect(mount, `${dir} is mounted`).toBeDefined();
          expect(pod.volumes?.find((v) => v.name === mount?.name)?.['emptyDir'], `${dir} is an emptyDir`).toBeDefined();
        }
      });

      it('takes its secrets from the Secret, all of them', () => {
        expect(c.envFrom?.map((e) => e.secretRef?.name)).toEqual(['mailferry-secrets']);
        expect(c.envFrom?.[0]?.secretRef?.optional ?? false).toBe(false);
      });
    });
  }

  it('the CLI has every flag the manifests pass', async () => {
    for (const w of mailferryWorkloads) {
      const args = (w.spec.template.spec.containers[0] as Container).args ?? [];
      const help = await runCli([args[0] ?? '', '--help']);
      expect(help.code, help.stderr).toBe(0);
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(help.stdout, `${args[0]} ${flag}`).toContain(flag);
    }
  });
});

// --- config and secret --------------------------------------------------------------------

describe('the ConfigMap and the example Secret', () => {
  const configMap = find(full, 'ConfigMap', 'mailferry-config') as unknown as { data: Record<string, string> };
  const text = configMap.data['mailferry.yaml'] ?? '';
  const secret = parse(fs.readFileSync(path.join(baseDir, 'secret.example.yaml'), 'utf8')) as { metadata: { name: string }; stringData: Record<string, string> };

  it('mailferry.yaml is a config mailferry loads, with no Redis URL of its own', () => {
    const file = path.join(tempDir(), 'mailferry.yaml');
    fs.writeFileSync(file, text);
    const config = loadConfigFile(file);
    expect(config.pairs.size).toBeGreaterThan(0);
    expect(parse(text)).not.toHaveProperty('redis');
  });

  it('every password it names by { env } is a key of the example Secret the Pods read', () => {
    const names = [...text.matchAll(/\{\s*env:\s*([A-Z0-9_]+)\s*\}/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/\{\s*file:/);
    for (const name of names) expect(Object.keys(secret.stringData)).toContain(name);
    expect(Object.keys(secret.stringData)).toContain('MAILFERRY_DASHBOARD_TOKEN');
    for (const w of mailferryWorkloads) {
      expect((w.spec.template.spec.containers[0] as Container).envFrom?.[0]?.secretRef?.name).toBe(secret.metadata.name);
    }
  });
});

// --- Redis --------------------------------------------------------------------------------

describe('Redis', () => {
  const sts = find(full, 'StatefulSet', 'mailferry-redis') as unknown as K8sObject & Workload;
  const c = sts.spec.template.spec.containers[0] as Container;
  const args = c.args ?? [];

  it('keeps an AOF with fsync, never evicts, and persists /data on a claim', () => {
    expect(flagValue(args, '--appendonly')).toBe('yes');
    expect(['always', 'everysec']).toContain(flagValue(args, '--appendfsync'));
    expect(flagValue(args, '--maxmemory-policy')).toBe('noeviction');
    expect(sts.spec.replicas).toBe(1);
    const dataMount = c.volumeMounts?.find((m) => m.mountPath === flagValue(args, '--dir'));
    expect(sts.spec.volumeClaimTemplates?.map((t) => t.metadata.name)).toContain(dataMount?.name);
  });

  it('is probed with redis-cli ping', () => {
    for (const probe of [c.livenessProbe, c.readinessProbe]) expect(probe?.exec?.command?.join(' ')).toMatch(/redis-cli .*ping/);
  });

  it('sits behind its headless governing Service', () => {
    const service = find(full, 'Service', sts.spec.serviceName ?? '') as unknown as { spec: { clusterIP?: string; selector: Record<string, string> } };
    expect(service.spec.clusterIP).toBe('None');
    expect(matches(service.spec.selector, sts.spec.template.metadata.labels)).toBe(true);
    expect(mailferryWorkloads.some((w) => matches(service.spec.selector, w.spec.template.metadata.labels))).toBe(false);
  });
});

// --- Services, NetworkPolicies, ServiceMonitor, KEDA ---------------------------------------

interface PolicyPeer { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } }
interface PolicyRule { from?: PolicyPeer[]; to?: PolicyPeer[]; ports?: Array<{ port: number; protocol?: string }> }
interface Policy { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress?: PolicyRule[]; egress?: PolicyRule[] } }

describe('networking and monitoring', () => {
  const redisLabels = (find(full, 'StatefulSet', 'mailferry-redis') as unknown as Workload).spec.template.metadata.labels;
  const metrics = find(full, 'Service', 'mailferry-metrics') as unknown as K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string }> } };

  it('the metrics Service selects the worker and the daemon, not Redis', () => {
    for (const w of mailferryWorkloads) expect(matches(metrics.spec.selector, w.spec.template.metadata.labels)).toBe(true);
    expect(matches(metrics.spec.selector, redisLabels)).toBe(false);
    expect(metrics.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 9090, targetPort: 'http' })]);
  });

  it('Redis admits only mailferry Pods (and KEDA, with its component) and opens nothing', () => {
    const policies = ofKind(full, 'NetworkPolicy') as unknown as Array<K8sObject & Policy>;
    const forRedis = policies.filter((p) => matches(p.spec.podSelector.matchLabels, redisLabels));
    expect(forRedis.map((p) => p.metadata.name).sort()).toEqual(['mailferry-redis', 'mailferry-redis-from-keda']);
    const main = forRedis.find((p) => p.metadata.name === 'mailferry-redis') as K8sObject & Policy;
    expect([...main.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(main.spec.egress ?? []).toEqual([]);
    expect(main.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mailferry' } } }], ports: [{ port: 6379, protocol: 'TCP' }] }]);
    const keda = forRedis.find((p) => p.metadata.name === 'mailferry-redis-from-keda') as K8sObject & Policy;
    expect(keda.spec.ingress?.[0]?.from?.[0]?.namespaceSelector?.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'keda' });
  });

  it('mailferry Pods reach Redis, DNS and mail servers, and admit Prometheus on 9090', () => {
    const policy = find(full, 'NetworkPolicy', 'mailferry') as unknown as Policy;
    for (const w of mailferryWorkloads) expect(matches(policy.spec.podSelector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
    expect(matches(policy.spec.podSelector.matchLabels, redisLabels)).toBe(false);
    expect([...policy.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    const egressPorts = (policy.spec.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`));
    for (const port of ['TCP/6379', 'UDP/53', 'TCP/53', 'TCP/993', 'TCP/143', 'TCP/995', 'TCP/110', 'TCP/443']) expect(egressPorts).toContain(port);
    const redisRule = policy.spec.egress?.find((r) => r.ports?.some((p) => p.port === 6379));
    expect(matches(redisRule?.to?.[0]?.podSelector?.matchLabels ?? { none: 'x' }, redisLabels)).toBe(true);
    expect(policy.spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9090, protocol: 'TCP' }] }]);
  });

  it('the ServiceMonitor scrapes /metrics on the metrics Service\'s port', () => {
    const monitor = find(full, 'ServiceMonitor', 'mailferry') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } };
    expect(matches(monitor.spec.selector.matchLabels, metrics.metadata.labels)).toBe(true);
    expect(ofKind(full, 'Service').filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels)).map((s) => s.metadata.name)).toEqual(['mailferry-metrics']);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
  });

  it('KEDA scales the worker Deployment on the BullMQ lists of the shared queue', () => {
    const so = find(full, 'ScaledObject', 'mailferry-worker') as unknown as { spec: { scaleTargetRef: { kind?: string; name: string }; minReplicaCount: number; maxReplicaCount: number; triggers: Array<{ type: string; metadata: Record<string, string> }> } };
    expect(so.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mailferry-worker' });
    expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(0);
    expect(so.spec.maxReplicaCount).toBeGreaterThan(so.spec.minReplicaCount);
    const keys = new QueueKeys(DEFAULT_PREFIX);
    expect(so.spec.triggers.map((t) => t.metadata['listName'])).toEqual([keys.toKey(SHARED_QUEUE, 'wait'), keys.toKey(SHARED_QUEUE, 'active')]);
    expect(keys.toKey(SHARED_QUEUE, 'wait')).toBe('mailferry:work:wait');
    const redisService = find(full, 'Service', 'mailferry-redis');
    for (const t of so.spec.triggers) {
      expect(t.type).toBe('redis');
      // The operator runs in another namespace: the Service's full name, in the namespace used.
      expect(t.metadata['address']).toBe(`${redisService.metadata.name}.${redisService.metadata.namespace}.svc:6379`);
      expect(Number(t.metadata['listLength'])).toBeGreaterThan(0);
    }
  });
});

// --- the renderer itself, and kubectl ------------------------------------------------------

describe('kustomize-lite', () => {
  function kustomization(body: string): string {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n${body}`);
    return dir;
  }

  it('refuses what it does not implement instead of rendering something else', () => {
    expect(() => renderKustomization(kustomization('patches: []\n'))).toThrow(KustomizeLiteError);
    expect(() => renderKustomization(kustomization('commonLabels: { a: b }\n'))).toThrow(/commonLabels/);
    expect(() => renderKustomization(kustomization('labels: [{ pairs: { a: b }, includeSelectors: true }]\n'))).toThrow(/includeSelectors/);
    expect(() => renderKustomization(kustomization('images: [{ name: x, newTag: "1", tagSuffix: y }]\n'))).toThrow(/tagSuffix/);
    expect(() => renderKustomization(kustomization('resources: [https://example.com/x.yaml]\n'))).toThrow();
    expect(renderKustomization(kustomization('namespace: ns\n'))[0]?.metadata.namespace).toBe('ns');
  });

  it('rewrites images by name, keeping a registry port', () => {
    expect(splitImage('registry:5000/mailferry:1.2@sha256:ab')).toEqual({ name: 'registry:5000/mailferry', tag: '1.2', digest: 'sha256:ab' });
    expect(splitImage('registry:5000/mailferry')).toEqual({ name: 'registry:5000/mailferry' });
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('renders exactly what `kubectl kustomize` renders (base and full overlay)', () => {
    for (const [dir, mine] of [[baseDir, base], [fullOverlayDir, full]] as const) {
      const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
      const theirs = parseAllDocuments(out).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
      const byId = (list: readonly K8sObject[]) => Object.fromEntries(list.map((o) => [objectId(o), o]));
      expect(byId(mine)).toEqual(byId(theirs));
    }
  });
});
