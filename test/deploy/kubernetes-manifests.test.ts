/**
 * deploy/kubernetes/: every manifest of every overlay, rendered as kustomize renders it, is a valid
 * Kubernetes (or Prometheus Operator) object, and agrees with the sidecar it deploys: the ports,
 * probe paths, mounted file paths and config keys are the ones config.yaml, the config schema and
 * the admin server use. The lab and production overlays read every credential from a read-only
 * Secret; the mcm overlay's sidecar writes its own (docs/onboarding.md) onto a volume, as its single
 * writer, behind an onboard init container.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Registry } from 'prom-client';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { PROMETHEUS_RULE_FILE, renderPrometheusRule } from '../../scripts/prometheus-rule.js';
import { createAdminServer, type AdminServer } from '../../src/admin/server.js';
import { applyEnv, ENV_PREFIX, envNameFor, schemaLeaves } from '../../src/config/env.js';
import { configSchema, type SidecarConfig } from '../../src/config/schema.js';
import { podSpecOf, renderKustomization, type Container, type Resource } from '../helpers/kustomize.js';

const ROOT = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const OVERLAYS = ['lab', 'production', 'mcm'] as const;
// Every credential from a read-only Secret; the mcm overlay writes its own instead.
const SECRET_OVERLAYS = ['lab', 'production'] as const;
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// The validator for every kind the manifests may contain: an unknown kind fails the test.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

type VolumeMount = { name: string; mountPath: string; readOnly?: boolean; subPath?: string };
type Volume = {
  name: string;
  secret?: { secretName: string; defaultMode?: number; items?: Array<{ key: string; path: string }> };
  configMap?: { name: string; items?: Array<{ key: string; path: string }> };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
};
type Probe = { httpGet?: { path: string; port: string | number } };
type ContainerSpec = Container & {
  restartPolicy?: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: VolumeMount[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
};

interface Rendered {
  all: Resource[];
  one(kind: string): Resource & Record<string, any>;
  maybe(kind: string): (Resource & Record<string, any>) | undefined;
  sidecar: ContainerSpec;
  initContainers: ContainerSpec[];
  core: ContainerSpec;
  volumes: Volume[];
  podLabels: Record<string, string>;
  config: SidecarConfig;
}

function render(overlay: string): Rendered {
  const all = renderKustomization(`${ROOT}overlays/${overlay}`);
  const maybe = (kind: string) => all.find((r) => r.kind === kind) as (Resource & Record<string, any>) | undefined;
  const one = (kind: string) => {
    const found = all.filter((r) => r.kind === kind);
    expect(found, `${overlay}: one ${kind}`).toHaveLength(1);
    return found[0] as Resource & Record<string, any>;
  };
  const deployment = one('Deployment');
  const pod = podSpecOf(deployment) as { initContainers: ContainerSpec[]; containers: ContainerSpec[]; volumes: Volume[] };
  const sidecar = pod.initContainers.find((c) => c.name === 'dfsp-sidecar') as ContainerSpec;
  const core = pod.containers[0] as ContainerSpec;
  // The config the sidecar runs with: the ConfigMap's file plus the container's DFSP_SIDECAR_* values.
  const configMap = all.find((r) => r.kind === 'ConfigMap' && r.metadata.name === 'dfsp-sidecar-config') as Resource & { data: Record<string, string> };
  // *_FILE variables point into Secret mounts (checked below); here they read a stand-in file.
  const env = Object.fromEntries((sidecar.env ?? []).map((e) => [e.name, e.name.endsWith('_FILE') ? SECRET_STAND_IN : e.value]));
  const withEnv = applyEnv(parse(configMap.data['config.yaml'] as string) as Record<string, unknown>, env);
  expect(withEnv.issues).toEqual([]);
  const parsed = configSchema.safeParse(withEnv.value);
  if (!parsed.success) throw new Error(`${overlay}: config.yaml does not validate: ${JSON.stringify(parsed.error.issues)}`);
  return { all, one, maybe, sidecar, initContainers: pod.initContainers, core, volumes: pod.volumes, podLabels: deployment.spec.template.metadata.labels, config: parsed.data };
}

const SECRET_STAND_IN = join(mkdtempSync(join(tmpdir(), 'k8s-env-')), 'secret');
writeFileSync(SECRET_STAND_IN, 'stand-in-secret\n', { mode: 0o600 });
afterAll(() => rmSync(dirname(SECRET_STAND_IN), { recursive: true, force: true }));

const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(o)])) as Record<(typeof OVERLAYS)[number], Rendered>;

function portOf(c: ContainerSpec, nameOrNumber: string | number): number | undefined {
  return typeof nameOrNumber === 'number' ? nameOrNumber : c.ports?.find((p) => p.name === nameOrNumber)?.containerPort;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The volume and the file inside it that a path in the sidecar container resolves to. */
function mountedFile(r: Rendered, path: string): { volume: Volume; rel: string } | undefined {
  const mount = (r.sidecar.volumeMounts ?? []).find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
  if (!mount) return undefined;
  return { volume: r.volumes.find((v) => v.name === mount.name) as Volume, rel: path.slice(mount.mountPath.length + 1) };
}

/** The path after --config in a container's args. */
function configArgOf(c: ContainerSpec): string | undefined {
  const i = c.args?.indexOf('--config') ?? -1;
  return i < 0 ? undefined : c.args?.[i + 1];
}

function fileIsProvided(v: Volume, rel: string): boolean {
  const items = v.secret?.items ?? v.configMap?.items;
  // Without items every key of the Secret/ConfigMap is a file: any name is possible.
  return items === undefined ? rel !== '' : items.some((i) => i.path === rel);
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const r = rendered[overlay];

  it('renders only kinds we validate, each valid against its Kubernetes or Prometheus Operator schema', () => {
    expect(r.all.length).toBeGreaterThan(5);
    for (const res of r.all) {
      const Model = MODELS[`${res.apiVersion}/${res.kind}`];
      expect(Model, `${res.apiVersion} ${res.kind}`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(res as never).validate(), `${res.kind}/${res.metadata.name}`).not.toThrow();
      expect(res.metadata.namespace, `${res.kind}/${res.metadata.name}`).toBe(overlay === 'lab' ? 'dfsp-lab' : 'dfsp');
    }
  });

  it('runs the sidecar as a native sidecar of the core, hardened, with requests and limits', () => {
    expect(r.sidecar.restartPolicy).toBe('Always');
    expect(r.sidecar.image).toMatch(new RegExp(`(^|/)dfsp-sidecar:${VERSION.replace(/\./g, '\\.')}$`));
    expect(r.core.name).toBe('dfsp-core');
    expect(r.core.image).not.toBe('dfsp-core');
    const pod = podSpecOf(r.one('Deployment')) as { securityContext: Record<string, unknown>; automountServiceAccountToken: boolean };
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(r.sidecar.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    for (const kind of ['requests', 'limits'] as const) {
      expect(r.sidecar.resources?.[kind]?.cpu, kind).toBeDefined();
      expect(r.sidecar.resources?.[kind]?.memory, kind).toBeDefined();
    }
  });

  it('mounts the config file and every *_FILE secret read-only, whole directories without subPath (so swaps reload)', () => {
    const configArg = configArgOf(r.sidecar);
    expect(r.sidecar.args?.[0]).toBe('run');
    expect(configArg).toBe('/etc/dfsp-sidecar/config.yaml');
    const cfg = mountedFile(r, configArg as string);
    expect(cfg?.volume.configMap?.name).toBe('dfsp-sidecar-config');
    expect(fileIsProvided(cfg?.volume as Volume, cfg?.rel as string)).toBe(true);
    expect((r.sidecar.volumeMounts ?? []).find((m) => m.name === cfg?.volume.name)?.readOnly).toBe(true);
    // One ConfigMap of that name (an overlay replaces it, never adds a second), without hash suffix.
    expect(r.all.filter((x) => x.kind === 'ConfigMap' && x.metadata.name === 'dfsp-sidecar-config').map((x) => Object.keys((x as unknown as { data: object }).data))).toEqual([['config.yaml']]);

    for (const m of r.sidecar.volumeMounts ?? []) expect(m.subPath, m.name).toBeUndefined();
    // Every volume is mounted: the kubelet holds a pod whose Secret or ConfigMap is missing, so an
    // unused one would block the start for nothing.
    expect(r.volumes.map((v) => v.name).sort()).toEqual((r.sidecar.volumeMounts ?? []).map((m) => m.name).sort());

    // *_FILE variables name a config key and a file of a Secret, mounted read-only, mode 0440.
    const leaves = new Set([...schemaLeaves().values()].map((l) => envNameFor(l.segments)));
    const fileVars = (r.sidecar.env ?? []).filter((e) => e.name.endsWith('_FILE'));
    expect(fileVars.map((e) => e.name)).toContain('DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE');
    for (const e of r.sidecar.env ?? []) {
      expect(e.name.startsWith(ENV_PREFIX), e.name).toBe(true);
      expect(leaves.has(e.name.replace(/_FILE$/, '')), `${e.name} names no config key`).toBe(true);
    }
    for (const e of fileVars) {
      const found = mountedFile(r, e.value as string);
      expect(found?.volume.secret && fileIsProvided(found.volume, found.rel), `${e.name}=${e.value}`).toBe(true);
      expect(found?.volume.secret?.defaultMode, `${e.name} mode`).toBe(0o440);
      expect((r.sidecar.volumeMounts ?? []).find((m) => m.name === found?.volume.name)?.readOnly, `${e.name} read-only`).toBe(true);
    }
  });

  it('declares the ports the config binds: inbound and admin on the pod IP, outbound on loopback only', () => {
    const c = r.config;
    expect(portOf(r.sidecar, 'inbound')).toBe(c.inbound.port);
    expect(portOf(r.sidecar, 'admin')).toBe(c.admin.port);
    expect(c.inbound.host).toBe('0.0.0.0');
    expect(c.admin.host).toBe('0.0.0.0');
    expect(c.outbound.host).toBe('127.0.0.1');
    expect(r.sidecar.ports?.some((p) => p.containerPort === c.outbound.port)).toBe(false);
    // The core is pointed at the outbound listener, and the sidecar at the core, over the pod's loopback.
    const coreUrl = new URL(r.core.env?.find((e) => e.name === 'DFSP_SIDECAR_OUTBOUND_URL')?.value as string);
    expect([coreUrl.hostname, Number(coreUrl.port)]).toEqual(['127.0.0.1', c.outbound.port]);
    expect(new URL(c.inbound.core.url).hostname).toBe('127.0.0.1');
  });

  it('exposes port 4000 to the hub through a Service that keeps the client address', () => {
    const svc = r.one('Service');
    expect(matches(svc.spec.selector, r.podLabels)).toBe(true);
    expect(svc.spec.ports).toHaveLength(1);
    expect(svc.spec.ports[0].port).toBe(4000);
    expect(portOf(r.sidecar, svc.spec.ports[0].targetPort)).toBe(r.config.inbound.port);
    if (svc.spec.type === 'LoadBalancer' || svc.spec.type === 'NodePort') expect(svc.spec.externalTrafficPolicy).toBe('Local');
    else expect(svc.spec.externalTrafficPolicy).toBeUndefined();
    expect(overlay === 'production' ? svc.spec.type : 'LoadBalancer').toBe('LoadBalancer');
  });

  it('admits the hub ranges of inbound.allowlist on the inbound port and the monitoring namespace on admin, nothing else', () => {
    const np = r.one('NetworkPolicy');
    expect(matches(np.spec.podSelector.matchLabels, r.podLabels)).toBe(true);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    const rules = np.spec.ingress as Array<{ from: Array<{ ipBlock?: { cidr: string } }>; ports: Array<{ port: number }> }>;
    const ports = rules.flatMap((x) => x.ports.map((p) => p.port)).sort();
    expect(ports).toEqual([r.config.inbound.port, r.config.admin.port].sort());
    const inboundRule = rules.find((x) => x.ports.some((p) => p.port === r.config.inbound.port));
    expect(inboundRule?.from.map((f) => f.ipBlock?.cidr).sort()).toEqual([...r.config.inbound.allowlist].sort());
  });

  it('scrapes the admin port with a PodMonitor and ships the alert rules as a PrometheusRule', () => {
    const pm = r.one('PodMonitor');
    expect(matches(pm.spec.selector.matchLabels, r.podLabels)).toBe(true);
    expect(pm.spec.podMetricsEndpoints).toHaveLength(1);
    expect(portOf(r.sidecar, pm.spec.podMetricsEndpoints[0].port)).toBe(r.config.admin.port);
    expect(pm.spec.podMetricsEndpoints[0].path).toBe('/metrics');
    const rule = r.one('PrometheusRule');
    const rulesFile = parse(readFileSync(fileURLToPath(new URL('../../deploy/prometheus/dfsp-sidecar.rules.yaml', import.meta.url)), 'utf8')) as { groups: unknown };
    expect(rule.spec.groups).toEqual(rulesFile.groups);
  });

  const scaling = {
    production: 'scales 2 to 6 pods on the sidecar CPU, one disruption at a time',
    lab: 'runs one pod, with no HPA or PDB',
    mcm: 'runs exactly one pod, replaced with Recreate, with no HPA or PDB (the single MCM writer)',
  };
  it(scaling[overlay], () => {
    const deployment = r.one('Deployment');
    const hpa = r.maybe('HorizontalPodAutoscaler');
    const pdb = r.maybe('PodDisruptionBudget');
    if (overlay === 'mcm') {
      // Two pods would both run the MCM steps (docs/onboarding.md, "Several replicas"): a fixed
      // count, and the old pod gone before the new one starts.
      expect(deployment.spec.replicas).toBe(1);
      expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
      expect(hpa).toBeUndefined();
      expect(pdb).toBeUndefined();
      return;
    }
    // An HPA owns the replica count; an applied spec.replicas would fight it.
    expect(deployment.spec.replicas).toBeUndefined();
    if (overlay === 'lab') {
      expect(hpa).toBeUndefined();
      expect(pdb).toBeUndefined();
      return;
    }
    expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect([hpa?.spec.minReplicas, hpa?.spec.maxReplicas]).toEqual([2, 6]);
    expect(hpa?.spec.metrics[0].containerResource.container).toBe(r.sidecar.name);
    expect(matches(pdb?.spec.selector.matchLabels, r.podLabels)).toBe(true);
    expect(pdb?.spec.maxUnavailable).toBe(1);
    expect(hpa?.spec.minReplicas).toBeGreaterThan(pdb?.spec.maxUnavailable);
  });
});

describe.each(SECRET_OVERLAYS)('overlay %s: credentials from Secrets', (overlay) => {
  const r = rendered[overlay];

  it('mounts every credential file the config names from a read-only Secret (0440), and nothing read-write', () => {
    expect(r.config.mcm.enabled).toBe(false);
    for (const m of r.sidecar.volumeMounts ?? []) expect(m.readOnly, m.name).toBe(true);
    const c = r.config;
    const files = [c.jws.signingKeyFile, c.inbound.tls.certFile, c.inbound.tls.keyFile, ...c.inbound.tls.caFiles, ...c.outbound.tls.caFiles, c.outbound.tls.certFile, c.outbound.tls.keyFile];
    for (const f of files) {
      expect(f, 'a file path').toBeTypeOf('string');
      const found = mountedFile(r, f as string);
      expect(found, `${f} is not under a mount`).toBeDefined();
      expect(found?.volume.secret, `${f} comes from a Secret`).toBeDefined();
      expect(found?.volume.secret?.defaultMode, `${f} mode`).toBe(0o440);
      expect(fileIsProvided(found?.volume as Volume, found?.rel as string), `${f} is a key of its Secret`).toBe(true);
    }
    // The peer key directory is a whole mount: the sidecar lists it.
    expect((r.sidecar.volumeMounts ?? []).some((m) => m.mountPath === c.jws.keysDirectory)).toBe(true);
  });
});

describe('overlay mcm: the sidecar writes its credentials, as the single writer', () => {
  const r = rendered.mcm;
  const PVC = 'dfsp-sidecar-credentials';
  const pvcMounts = () => (r.sidecar.volumeMounts ?? []).filter((m) => r.volumes.find((v) => v.name === m.name)?.persistentVolumeClaim !== undefined);

  it('claims one small ReadWriteOnce volume and mounts it read-write in the sidecar, and nothing else read-write', () => {
    const pvc = r.one('PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe(PVC);
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(pvc.spec.resources.requests.storage).toMatch(/^\d+(Ki|Mi)$/);
    const mounts = pvcMounts();
    expect(mounts).toHaveLength(1);
    expect(r.volumes.find((v) => v.name === mounts[0]?.name)?.persistentVolumeClaim).toEqual({ claimName: PVC });
    expect(mounts[0]?.mountPath).toBe('/var/lib/dfsp-sidecar');
    expect(mounts[0]?.readOnly).toBeFalsy();
    for (const m of r.sidecar.volumeMounts ?? []) if (m !== mounts[0]) expect(m.readOnly, m.name).toBe(true);
    // fsGroup makes the volume writable by the image's `node` user (uid and gid 1000).
    const pod = podSpecOf(r.one('Deployment')) as { securityContext: Record<string, unknown> };
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
  });

  it('keeps every MCM-managed file and the state directory strictly below the read-write volume', () => {
    const c = r.config;
    expect(c.mcm.enabled).toBe(true);
    expect(Object.values(c.mcm.steps).every((on) => on === true), 'every step runs').toBe(true);
    const managed: Record<string, string | undefined> = {
      'outbound.tls.caFiles[0] (hub-ca)': c.outbound.tls.caFiles[0],
      'outbound.tls.certFile (client-cert)': c.outbound.tls.certFile,
      'outbound.tls.keyFile (client-cert)': c.outbound.tls.keyFile,
      'inbound.tls.certFile (server-cert)': c.inbound.tls.certFile,
      'inbound.tls.keyFile (server-cert)': c.inbound.tls.keyFile,
      'jws.signingKeyFile (jws-key)': c.jws.signingKeyFile,
      'jws.keysDirectory (peer-keys)': c.jws.keysDirectory,
      'mcm.dfspCa.certFile (dfsp-ca)': c.mcm.dfspCa.certFile,
      'mcm.dfspCa.keyFile (dfsp-ca)': c.mcm.dfspCa.keyFile,
      'mcm.stateDirectory': c.mcm.stateDirectory,
      ...Object.fromEntries(c.inbound.tls.caFiles.map((f, i) => [`inbound.tls.caFiles[${i}]`, f])),
    };
    // Our CA is what the hub's client certificate chains to (the schema rule, kept by the overlay).
    expect(c.inbound.tls.caFiles).toContain(c.mcm.dfspCa.certFile);
    expect(c.outbound.tls.caFiles).toHaveLength(1);
    const [mount] = pvcMounts();
    for (const [what, path] of Object.entries(managed)) {
      expect(path, what).toBeTypeOf('string');
      const found = mountedFile(r, path as string);
      expect(found?.volume.persistentVolumeClaim?.claimName, `${what} ${path} is on the volume`).toBe(PVC);
      expect(found?.rel, `${what} is below the mount, not the mount itself`).toMatch(/^[^/]/);
      expect((path as string).startsWith(`${mount?.mountPath}/`), what).toBe(true);
    }
  });

  it('reads the MCM client secret from the Secret dfsp-sidecar-mcm and the MCM CA from a read-only mount', () => {
    const c = r.config;
    const secretVar = r.sidecar.env?.find((e) => e.name === 'DFSP_SIDECAR_MCM__OAUTH__CLIENT_SECRET_FILE');
    const secret = mountedFile(r, secretVar?.value as string);
    expect(secret?.volume.secret?.secretName).toBe('dfsp-sidecar-mcm');
    expect(secret?.volume.secret?.defaultMode).toBe(0o440);
    expect(fileIsProvided(secret?.volume as Volume, secret?.rel as string)).toBe(true);
    expect(c.mcm.oauth.clientSecret).toBeDefined();
    expect(c.mcm.oauth.tokenEndpoint).toBeDefined();
    // The outbound (hub gateway) OAuth secret stays where the base puts it.
    const outboundVar = r.sidecar.env?.find((e) => e.name === 'DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE');
    expect(mountedFile(r, outboundVar?.value as string)?.volume.secret?.secretName).toBe('dfsp-sidecar-oauth');
    expect(c.mcm.caFiles.length).toBeGreaterThan(0);
    for (const f of c.mcm.caFiles) {
      const found = mountedFile(r, f);
      expect(found?.volume.configMap ?? found?.volume.secret, `${f} comes from a ConfigMap or Secret`).toBeDefined();
      expect(fileIsProvided(found?.volume as Volume, found?.rel as string), `${f} is a key of its volume`).toBe(true);
      expect((r.sidecar.volumeMounts ?? []).find((m) => m.name === found?.volume.name)?.readOnly, f).toBe(true);
    }
  });

  it('runs onboard in a plain init container before the sidecar: same image, config, env, mounts, securityContext and resources', () => {
    expect(r.initContainers.map((c) => c.name)).toEqual(['dfsp-sidecar-onboard', 'dfsp-sidecar']);
    const onboard = r.initContainers[0] as ContainerSpec;
    // Not a native sidecar: it must run to completion before the sidecar starts.
    expect(onboard.restartPolicy).toBeUndefined();
    expect(onboard.command).toBeUndefined();
    expect(onboard.image).toBe(r.sidecar.image);
    expect(configArgOf(r.sidecar)).toBe('/etc/dfsp-sidecar/config.yaml');
    // --until-usable: at every later pod start it exits 0 at once while the credentials on the volume serve.
    expect(onboard.args).toEqual(['onboard', '--config', configArgOf(r.sidecar), '--wait', '3600', '--until-usable']);
    expect(onboard.env).toEqual(r.sidecar.env);
    expect(onboard.volumeMounts).toEqual(r.sidecar.volumeMounts);
    expect(onboard.volumeMounts?.some((m) => m.mountPath === '/var/lib/dfsp-sidecar' && !m.readOnly)).toBe(true);
    expect(onboard.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(onboard.securityContext).toEqual(r.sidecar.securityContext);
    expect(onboard.resources).toEqual(r.sidecar.resources);
    // No probes or ports: the API server refuses probes on a plain init container.
    expect([onboard.ports, onboard.startupProbe, onboard.livenessProbe, onboard.readinessProbe]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('gives the hub a callback URL on the Service port, and the server certificate its host', () => {
    const c = r.config;
    const callback = new URL(c.mcm.endpoints.callbackUrl as string);
    expect(callback.protocol).toBe('https:');
    expect(Number(callback.port || 443)).toBe(r.one('Service').spec.ports[0].port);
    expect(c.mcm.serverCert.dnsNames).toContain(callback.hostname);
    expect(c.mcm.endpoints.egressAddresses.length).toBeGreaterThan(0);
  });
});

describe('probes', () => {
  let admin: AdminServer;
  let port: number;
  beforeAll(async () => {
    // The real admin server, ready: each probe path must answer 200 there.
    admin = createAdminServer({ host: '127.0.0.1', port: 0, registry: new Registry(), readiness: () => [{ name: 'test', ready: true }], info: () => ({}) });
    port = ((await admin.listen()) as AddressInfo).port;
  });
  afterAll(async () => {
    await admin?.close();
  });

  it.each(OVERLAYS)('%s: every probe is an HTTP GET the admin server answers, on the admin port', async (overlay) => {
    const r = rendered[overlay];
    const probes = [r.sidecar.startupProbe, r.sidecar.livenessProbe, r.sidecar.readinessProbe];
    expect(r.sidecar.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(r.sidecar.livenessProbe?.httpGet?.path).toBe('/healthz');
    for (const p of probes) {
      expect(portOf(r.sidecar, p?.httpGet?.port as string)).toBe(r.config.admin.port);
      const res = await fetch(`http://127.0.0.1:${port}${p?.httpGet?.path}`);
      expect(res.status, p?.httpGet?.path).toBe(200);
    }
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });
});

describe('sources', () => {
  it.each(['base/config.yaml', 'overlays/mcm/config.yaml'])('%s sets only keys config.example.yaml documents, and keeps its ports', (file) => {
    const example = parse(readFileSync(fileURLToPath(new URL('../../config.example.yaml', import.meta.url)), 'utf8')) as Record<string, unknown>;
    const k8s = parse(readFileSync(`${ROOT}${file}`, 'utf8')) as Record<string, unknown>;
    const paths = (o: Record<string, unknown>, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? paths(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
    const documented = new Set(paths(example));
    for (const key of paths(k8s)) expect(documented.has(key), `${key} is not in config.example.yaml`).toBe(true);
    const ports = (c: Record<string, any>) => [c.inbound.port, c.outbound.port, c.admin.port];
    expect(ports(k8s)).toEqual(ports(example));
  });

  it('the PrometheusRule is generated from deploy/prometheus (regenerate: npx tsx scripts/prometheus-rule.ts)', () => {
    expect(readFileSync(PROMETHEUS_RULE_FILE, 'utf8')).toBe(renderPrometheusRule());
  });

  it.each(['base/deployment.yaml', 'overlays/mcm/kustomization.yaml'])('%s: secret modes are written so that YAML 1.1 (kubectl) and 1.2 read the same number', (file) => {
    // "0440" is octal to kubectl and decimal to YAML 1.2 parsers: only a plain decimal is unambiguous.
    const text = readFileSync(`${ROOT}${file}`, 'utf8');
    expect(text).toMatch(/defaultMode:\s*288\b/);
    expect(text).not.toMatch(/defaultMode:\s*0\d/);
  });

  it('overlays/mcm replaces the ConfigMap with its own config.yaml, byte for byte', () => {
    const cm = rendered.mcm.all.find((x) => x.kind === 'ConfigMap' && x.metadata.name === 'dfsp-sidecar-config') as unknown as { data: Record<string, string> };
    expect(cm.data['config.yaml']).toBe(readFileSync(`${ROOT}overlays/mcm/config.yaml`, 'utf8'));
    expect(cm.data['config.yaml']).not.toBe(readFileSync(`${ROOT}base/config.yaml`, 'utf8'));
  });

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
      return true;
    } catch {
      return false;
    }
  })();
  if (!kubectl) process.stderr.write('SKIPPED: kubectl not installed: the test renderer is not compared with `kubectl kustomize` here\n');
  it.skipIf(!kubectl).each(OVERLAYS)('%s: the test renderer agrees with kubectl kustomize', (overlay) => {
    const out = execFileSync('kubectl', ['kustomize', `${ROOT}overlays/${overlay}`], { encoding: 'utf8', timeout: 60_000 });
    const theirs = parseAllDocuments(out).map((d) => d.toJS() as Resource);
    const key = (x: Resource) => `${x.kind}/${x.metadata.name}`;
    const mine = new Map(rendered[overlay].all.map((x) => [key(x), x]));
    expect(theirs.map(key).sort()).toEqual([...mine.keys()].sort());
    for (const t of theirs) expect(isDeepStrictEqual(t, mine.get(key(t))), key(t)).toBe(true);
  });
});
