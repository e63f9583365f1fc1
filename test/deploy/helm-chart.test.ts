import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ENV_SCHEMAS, loadConfig } from '../../src/config/app-config';
import { Metrics } from '../../src/observability/metrics';
import { REPO_ROOT } from '../support/fixtures';
import { renderChart, renderString, RenderedChart, TemplateError } from './helm-render';

const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'vision-service');
/** Idle RSS of `node dist/src/main.js` with FACE_WORKERS=2 and the image's MALLOC_MMAP_THRESHOLD_, measured 2026-12-03. */
const IDLE_RSS_MIB = 449;
/** After SHUTDOWN_GRACE_S the service waits up to 15 s for the service_shutdown callbacks (flow-registry.ts), plus margin. */
const AFTER_GRACE_S = 20;

type K8s = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ALL_VARIABLES = new Set(Object.values(ENV_SCHEMAS).flatMap((schema) => Object.keys(schema)));

function kinds(chart: RenderedChart): string[] {
  return chart.documents.map((d) => d.object.kind as string).sort();
}

function one(chart: RenderedChart, kind: string): K8s {
  const found = chart.documents.filter((d) => d.object.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0].object as K8s;
}

function container(chart: RenderedChart): K8s {
  const containers = one(chart, 'Deployment').spec.template.spec.containers as K8s[];
  assert.equal(containers.length, 1);
  return containers[0];
}

/** Kubernetes quantities used by the chart: "500m", "2", "512Mi", "1Gi". */
function quantity(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m|Mi|Gi)?$/.exec(String(q));
  assert.ok(m, `unsupported quantity ${q}`);
  const scale = { m: 0.001, Mi: 1, Gi: 1024, '': 1 }[m[2] ?? ''] as number;
  return Number(m[1]) * scale;
}

/** The environment a pod gets from the rendered ConfigMap and Secret. */
function podEnv(chart: RenderedChart): Record<string, string> {
  const data = one(chart, 'ConfigMap').data as Record<string, string>;
  const secret = chart.documents.find((d) => d.object.kind === 'Secret');
  return { ...data, ...((secret?.object as K8s | undefined)?.stringData ?? {}) };
}

/** A shared flow store: the default chart runs several pods, and refuses to render without one. */
const FLOW_STORE = 'redis://:pw@redis.store.svc.cluster.local:6379/0';

/** The chart with these values, an API key and a flow store (it refuses to render without them). */
function render(overrides: K8s = {}): RenderedChart {
  return renderChart(CHART_DIR, { ...overrides, secret: { VISION_API_KEY: 'test-api-key', FLOW_STORE, ...overrides.secret } });
}

describe('helm chart deploy/helm/vision-service', () => {
  const chart = render();

  it('should render the default objects and nothing optional', () => {
    assert.deepEqual(kinds(chart), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service']);
  });

  it('should render every template file when every option is on', () => {
    const full = render({
      ingress: { enabled: true, className: 'nginx', tls: [{ hosts: ['vision.example.com'], secretName: 'tls' }] },
      metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } },
      autoscaling: { activeFlows: { enabled: true } },
      flowStore: { redis: { enabled: true } },
    });
    const templates = readdirSync(join(CHART_DIR, 'templates')).filter((f) => f.endsWith('.yaml'));
    for (const file of templates) {
      assert.ok(
        full.documents.some((d) => d.source === `templates/${file}`),
        `templates/${file} rendered nothing`,
      );
    }
    assert.ok(full.notes.includes('/join-call'));
  });

  it('should probe readiness on /ready and liveness on /health through port 5000', () => {
    const c = container(chart);
    const http = (c.ports as K8s[]).find((p) => p.name === 'http');
    assert.equal(http?.containerPort, 5000);
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/ready', port: 'http' });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/health', port: 'http' });
    assert.equal(podEnv(chart).PORT, '5000');
  });

  it('should sleep in preStop and give the drain enough time before SIGKILL', () => {
    for (const graceSeconds of [30, 0, 300]) {
      const rendered = render({ shutdown: { graceSeconds } });
      const c = container(rendered);
      const [cmd, seconds] = c.lifecycle.preStop.exec.command as string[];
      assert.equal(cmd, 'sleep');
      assert.ok(Number(seconds) >= 3, 'the pod must leave the endpoints before SIGTERM');
      const env = podEnv(rendered);
      assert.equal(env.SHUTDOWN_GRACE_S, String(graceSeconds));
      const period = one(rendered, 'Deployment').spec.template.spec.terminationGracePeriodSeconds as number;
      assert.ok(
        period >= Number(seconds) + graceSeconds + AFTER_GRACE_S,
        `terminationGracePeriodSeconds ${period} < preStop ${seconds} + SHUTDOWN_GRACE_S ${graceSeconds} + ${AFTER_GRACE_S}`,
      );
    }
  });

  it('should run as a non-root user on a read-only root filesystem without privileges', () => {
    const pod = one(chart, 'Deployment').spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0, 'numeric non-root uid');
    assert.equal(pod.automountServiceAccountToken, false);
    const sc = container(chart).securityContext;
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities.drop, ['ALL']);
    assert.equal(container(chart).volumeMounts, undefined, 'the service writes nothing, so it mounts nothing');
    assert.ok(!('DEBUG_SAVE_FRAMES' in podEnv(chart)), 'no face images on disk');
  });

  it('should only set variables the service knows, with values it accepts', () => {
    const cm = one(chart, 'ConfigMap').data as Record<string, unknown>;
    const secret = one(chart, 'Secret').stringData as Record<string, unknown>;
    for (const name of [...Object.keys(cm), ...Object.keys(secret)]) assert.ok(ALL_VARIABLES.has(name), `${name} is not in ENV_SCHEMAS`);
    for (const [name, value] of Object.entries({ ...cm, ...secret })) assert.equal(typeof value, 'string', `${name} must be a string`);
    assert.deepEqual(Object.keys(secret).sort(), ['CALLBACK_HMAC_SECRET', 'FLOW_STORE', 'VISION_API_KEY']);
    assert.ok(!('VISION_API_KEY' in cm) && !('CALLBACK_HMAC_SECRET' in cm), 'secrets stay out of the ConfigMap');
    const config = loadConfig(podEnv(chart));
    assert.equal(config.server.PORT, 5000);
    assert.equal(config.server.HOST, '0.0.0.0');
    assert.equal(config.server.VISION_API_KEY, 'test-api-key');
    const c = container(chart);
    assert.deepEqual(
      (c.envFrom as K8s[]).map((e) => e.configMapRef?.name ?? e.secretRef?.name),
      [one(chart, 'ConfigMap').metadata.name, one(chart, 'Secret').metadata.name],
    );
  });

  it('should pass secrets and the in-cluster allowlist through to the service', () => {
    const rendered = render({
      secret: { VISION_API_KEY: 'k3y', CALLBACK_HMAC_SECRET: 's3cret' },
      config: { OUTBOUND_ALLOWLIST: 'controller.apps.svc.cluster.local,10.42.0.0/16' },
    });
    const config = loadConfig(podEnv(rendered));
    assert.equal(config.server.VISION_API_KEY, 'k3y');
    assert.equal(config.callbacks.CALLBACK_HMAC_SECRET, 's3cret');
    assert.deepEqual(config.outbound.OUTBOUND_ALLOWLIST, ['controller.apps.svc.cluster.local', '10.42.0.0/16']);
  });

  it('should refuse to render without an API key, unless an existing Secret holds it', () => {
    assert.throws(() => renderChart(CHART_DIR, { secret: { FLOW_STORE } }), /secret\.VISION_API_KEY is required/);
    assert.throws(() => renderChart(CHART_DIR, { secret: { VISION_API_KEY: '', FLOW_STORE } }), /secret\.VISION_API_KEY is required/);
    const existing = renderChart(CHART_DIR, { secret: { existingSecret: 'vision-keys' }, flowStore: { inExistingSecret: true } });
    assert.ok(!kinds(existing).includes('Secret'));
  });

  it('should read an existing Secret instead of rendering one', () => {
    const rendered = render({ secret: { existingSecret: 'vision-keys' }, flowStore: { inExistingSecret: true } });
    assert.ok(!kinds(rendered).includes('Secret'));
    assert.ok((container(rendered).envFrom as K8s[]).some((e) => e.secretRef?.name === 'vision-keys'));
  });

  it('should size resources at least at the measured idle memory and run one face worker per CPU', () => {
    const { requests, limits } = container(chart).resources;
    for (const r of [requests, limits]) assert.ok(r.cpu !== undefined && r.memory !== undefined, 'cpu and memory, requests and limits');
    assert.ok(quantity(requests.memory) >= IDLE_RSS_MIB, `memory request ${requests.memory} below idle RSS ${IDLE_RSS_MIB} MiB`);
    assert.ok(quantity(limits.memory) >= quantity(requests.memory));
    const workers = Number(podEnv(chart).FACE_WORKERS);
    assert.ok(workers >= 1, 'FACE_WORKERS=0 would count the node cores, not the container limit');
    assert.ok(workers <= Math.ceil(quantity(limits.cpu)), `FACE_WORKERS ${workers} above the CPU limit ${limits.cpu}`);
  });

  it('should scale on CPU by default and on vision_flows_active when asked', () => {
    const hpa = one(chart, 'HorizontalPodAutoscaler');
    const deployment = one(chart, 'Deployment');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count');
    assert.deepEqual(hpa.spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas >= hpa.spec.minReplicas);

    const flows = one(render({ autoscaling: { cpu: { enabled: false }, activeFlows: { enabled: true } } }), 'HorizontalPodAutoscaler');
    assert.equal(flows.spec.metrics.length, 1);
    const metric = flows.spec.metrics[0];
    assert.equal(metric.type, 'Pods');
    assert.ok(new Metrics().registry.getSingleMetric(metric.pods.metric.name), `the service exports ${metric.pods.metric.name}`);
    assert.ok(Number(metric.pods.target.averageValue) < Number(podEnv(chart).MAX_CONCURRENT_FLOWS), 'scale out before joins get 429');

    assert.throws(
      () => render({ autoscaling: { cpu: { enabled: false } } }),
      /needs autoscaling.cpu.enabled or autoscaling.activeFlows.enabled/,
    );
    const fixed = render({ autoscaling: { enabled: false }, replicaCount: 3 });
    assert.ok(!kinds(fixed).includes('HorizontalPodAutoscaler'));
    assert.equal(one(fixed, 'Deployment').spec.replicas, 3);
  });

  it('should select the pods from the Service, the PDB and the ServiceMonitor, and roll pods on config changes', () => {
    const full = render({ metrics: { serviceMonitor: { enabled: true } } });
    const deployment = one(full, 'Deployment');
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    assert.ok(selects(deployment.spec.selector.matchLabels));
    const service = one(full, 'Service');
    assert.ok(selects(service.spec.selector));
    assert.deepEqual(service.spec.ports, [{ name: 'http', port: 5000, targetPort: 'http', protocol: 'TCP' }]);
    assert.ok(selects(one(full, 'PodDisruptionBudget').spec.selector.matchLabels));
    const monitor = one(full, 'ServiceMonitor');
    assert.deepEqual(monitor.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    assert.deepEqual(
      monitor.spec.endpoints.map((e: K8s) => [e.port, e.path]),
      [['http', '/metrics']],
    );
    assert.equal(deployment.spec.template.metadata.annotations['prometheus.io/path'], '/metrics');

    const checksum = (c: RenderedChart) => one(c, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    assert.match(checksum(chart), /^[0-9a-f]{64}$/);
    assert.notEqual(checksum(chart), checksum(render({ config: { LOG_LEVEL: 'debug' } })));
  });

  it('should require the Redis flow store for more than one pod, read it from the Secret, or run a small Redis', () => {
    const needsStore = /more than one pod .* needs the Redis flow store/;
    assert.throws(() => render({ secret: { FLOW_STORE: '' } }), needsStore, 'autoscaling');
    assert.throws(() => render({ secret: { FLOW_STORE: '' }, autoscaling: { enabled: false }, replicaCount: 2 }), needsStore);
    assert.throws(
      () => render({ secret: { existingSecret: 'vision-keys', FLOW_STORE: '' } }),
      needsStore,
      'unless it says the Secret holds FLOW_STORE',
    );

    const single = render({ secret: { FLOW_STORE: '' }, autoscaling: { enabled: false }, replicaCount: 1 });
    assert.equal(loadConfig(podEnv(single)).store.FLOW_STORE, 'memory');
    assert.equal(one(single, 'Secret').stringData.FLOW_STORE, '', 'memory store for one pod');

    // The URL carries the Redis password: in the Secret, never the ConfigMap.
    assert.equal(one(chart, 'Secret').stringData.FLOW_STORE, FLOW_STORE);
    assert.equal(one(chart, 'ConfigMap').data.FLOW_STORE, undefined);
    assert.equal(loadConfig(podEnv(chart)).store.FLOW_STORE, FLOW_STORE);

    const withRedis = render({ secret: { FLOW_STORE: '' }, flowStore: { redis: { enabled: true } } });
    const deployments = withRedis.documents.filter((d) => d.object.kind === 'Deployment').map((d) => d.object as K8s);
    const redis = deployments.find((d) => d.metadata.name === 'vision-redis');
    const service = deployments.find((d) => d.metadata.name === 'vision')!;
    assert.ok(redis, 'a Redis Deployment');
    assert.equal(redis.spec.replicas, 1);
    assert.deepEqual(redis.spec.template.spec.containers[0].args.slice(0, 2), ['--appendonly', 'yes']);
    const env = service.spec.template.spec.containers[0].env as { name: string; value: string }[];
    assert.deepEqual(env, [{ name: 'FLOW_STORE', value: 'redis://vision-redis:6379' }]);
    assert.equal(loadConfig({ ...podEnv(withRedis), FLOW_STORE: env[0].value }).store.FLOW_STORE, 'redis://vision-redis:6379');
    const services = withRedis.documents.filter((d) => d.object.kind === 'Service').map((d) => d.object as K8s);
    const redisService = services.find((s) => s.metadata.name === 'vision-redis')!;
    assert.deepEqual(
      redisService.spec.ports.map((p: K8s) => p.port),
      [6379],
    );
    const selects = (selector: Record<string, string>, pod: K8s) =>
      Object.entries(selector).every(([k, v]) => (pod.spec.template.metadata.labels as Record<string, string>)[k] === v);
    assert.ok(selects(redisService.spec.selector, redis));
    const vision = services.find((s) => s.metadata.name === 'vision')!;
    assert.ok(!selects(vision.spec.selector, redis), "the service's Service does not route to Redis");
  });

  it('should route only the API through the Ingress', () => {
    const ingress = one(render({ ingress: { enabled: true } }), 'Ingress');
    const paths = (ingress.spec.rules as K8s[]).flatMap((r) => r.http.paths as K8s[]);
    assert.deepEqual(
      paths.map((p) => p.path),
      ['/join-call', '/flows', '/face_match'],
    );
    for (const p of paths) assert.deepEqual(p.backend.service, { name: 'vision', port: { name: 'http' } });
  });

  it('should match the package version and declare every value it reads', () => {
    const chartYaml = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(chartYaml.apiVersion, 'v2');
    assert.equal(chartYaml.appVersion, pkg.version);
    assert.equal(container(chart).image, `vision-service:${pkg.version}`);
    // The renderer refuses undeclared values, so an override with a typo fails instead of being ignored silently.
    assert.throws(() => render({ shutdown: null }), TemplateError);
  });
});

describe('the chart renderer', () => {
  const ctx = { Values: { a: { b: 'x' }, list: ['p', 'q'], map: { z: 1, y: 2 }, empty: '', n: 3 } };

  it('should trim, branch, loop and indent like Helm', () => {
    assert.equal(renderString('a:\n  {{- if .Values.a.b }} {{ .Values.a.b | quote }}{{ else }}no{{ end }}', ctx), 'a: "x"');
    assert.equal(renderString('{{ with .Values.empty }}set{{ else }}unset{{ end }}', ctx), 'unset');
    assert.equal(renderString('{{- range $k, $v := .Values.map }}{{ $k }}={{ $v }};{{ end }}', ctx), 'y=2;z=1;');
    assert.equal(renderString('{{ range .Values.list }}[{{ . }}{{ $.Values.n }}]{{ end }}', ctx), '[p3][q3]');
    assert.equal(renderString('k:{{ toYaml .Values.map | nindent 2 }}', ctx), 'k:\n  z: 1\n  y: 2');
    assert.equal(renderString('{{ .Values.empty | default "d" }} {{ add .Values.n 2 1 }} {{ not (or .Values.empty 0) }}', ctx), 'd 6 true');
    assert.equal(renderString('{{ gt .Values.n 1 }} {{ gt .Values.n 3 }}', ctx), 'true false');
    const defines = new Map();
    renderString('{{- define "t" -}}[{{ .Values.a.b }}]{{- end }}', ctx, defines);
    assert.equal(renderString('{{ include "t" . }}', ctx, defines), '[x]');
  });

  it('should fail loudly on what it does not implement or cannot resolve', () => {
    for (const source of [
      '{{ template "t" . }}',
      '{{ tpl .Values.a.b . }}',
      '{{ lookup "v1" "Secret" "ns" "n" }}',
      '{{ if .Values.n }}a{{ else if .Values.n }}b{{ end }}',
      '{{ $x := 1 }}',
      '{{ .Values.a.b | upper }}',
      '{{ .Values.missing }}',
      '{{ .Values.a.b.c }}',
      '{{ .Values.map }}',
      '{{ include "undefined" . }}',
      '{{ if .Values.n }}unclosed',
      '{{ range .Values.list }}{{ else }}{{ end }}',
    ]) {
      assert.throws(() => renderString(source, ctx), TemplateError, source);
    }
  });
});
