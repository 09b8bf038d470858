/**
 * The exporter wiring of the real binaries: `orchestrator serve` and a real `worker` (real containers),
 * both with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP receiver this test runs on 127.0.0.1
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, so it can read what arrives). One `orchestrator exec` call; once
 * both processes have stopped (their shutdown exports what is left), the receiver holds the orchestrator's
 * and the worker's spans of that task as one trace, the worker's task span a child of the orchestrator's
 * dispatch span, each process under its own service name with the resource attributes from the environment.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli } from './test-support/cli-process';
import { startCliStack } from './test-support/cli-stack';
import type { CliStack } from './test-support/cli-stack';

jest.setTimeout(120_000);

const NAME = runScopedName('otlp-e2e');

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>;
  }>;
}

/** A span as received, with its process's resource attributes. */
interface Received {
  service: string;
  resource: Record<string, unknown>;
  scope: string;
  span: OtlpSpan;
  attributes: Record<string, unknown>;
}

const plain = (attributes: OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue]));

/** A minimal OTLP/HTTP JSON trace receiver on loopback: POST /v1/traces. */
function startReceiver(): Promise<{ url: string; received: Received[]; paths: string[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.url === '/v1/traces') {
        for (const rs of (JSON.parse(body) as OtlpExport).resourceSpans) {
          const resource = plain(rs.resource.attributes);
          for (const ss of rs.scopeSpans)
            for (const span of ss.spans)
              received.push({
                service: String(resource['service.name']),
                resource,
                scope: ss.scope.name,
                span,
                attributes: plain(span.attributes),
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        paths,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    }),
  );
}

let ws: TempWorkspace;
let stack: CliStack | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\n' }, owner: { uid: 1234, gid: 1234 } });
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  ws?.cleanup();
  expect(leftoverContainers(NAME)).toEqual([]);
});

it('the orchestrator and the worker export one trace per task over OTLP to the configured endpoint', async () => {
  const policyFile = path.join(cleanEnv()['HOME'] as string, 'policy-otlp.yaml');
  fs.writeFileSync(
    policyFile,
    `mode: strict\nmounts:\n  allow_bind_mounts: true\n  mount_allowlist:\n    - { path: ${JSON.stringify(ws.dir)}, mode: readonly }\n`,
  );
  stack = await startCliStack({
    workerName: NAME,
    policyFile,
    images: `*=${OFFLINE_BUSYBOX_IMAGE}`,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci',
    },
  });
  for (const p of [stack.orchestrator, stack.worker]) await p.waitFor(/"msg":"tracing on"/);

  const r = await runCli('orchestrator', [
    'exec',
    'file_read',
    '--addr',
    stack.addr,
    '--mount',
    ws.dir,
    '--param',
    'path=notes.txt',
    '--json',
  ]);
  expect(r.code).toBe(0);
  const taskId = (JSON.parse(r.stdout.trim()) as { taskId: string }).taskId;

  // Both stop (the worker drains): each exports what its batch still holds before it exits.
  const orchestrator = await stack.stop();
  stack = undefined;
  expect(orchestrator?.code).toBe(0);

  expect(receiver.paths).toContain('POST /v1/traces application/json');
  const ofTask = receiver.received.filter((s) => s.attributes['baaaht.task.id'] === taskId);
  const submit = ofTask.find((s) => s.span.name === 'baaaht.submit');
  expect(submit).toBeDefined();
  const traceId = submit?.span.traceId;
  const inTrace = receiver.received.filter((s) => s.span.traceId === traceId);
  const byName = (name: string): Received => {
    const found = inTrace.filter((s) => s.span.name === name);
    expect([name, found.length]).toEqual([name, 1]);
    return found[0] as Received;
  };
  // Each process under its own service name, with the environment's resource attributes and its version.
  const services = (names: string[]): string[] => [
    ...new Set(inTrace.filter((s) => names.includes(s.span.name)).map((s) => s.service)),
  ];
  expect(services(['baaaht.submit', 'baaaht.queue', 'baaaht.dispatch'])).toEqual(['baaaht-orchestrator']);
  expect(services(['baaaht.task', 'baaaht.execute', 'container.create', 'container.run'])).toEqual(['baaaht-worker']);
  for (const s of inTrace) {
    expect(s.resource['deployment.environment.name']).toBe('ci');
    expect(typeof s.resource['service.version']).toBe('string');
  }
  // The hop between the processes: the worker's task span continues the orchestrator's dispatch span.
  expect(byName('baaaht.task').span.parentSpanId).toBe(byName('baaaht.dispatch').span.spanId);
  expect(byName('baaaht.execute').span.parentSpanId).toBe(byName('baaaht.task').span.spanId);
  expect(byName('baaaht.task').attributes).toMatchObject({ 'baaaht.outcome': 'completed', 'baaaht.tool': 'file_read' });
  // Connected: one root, every other span's parent received too.
  const ids = new Set(inTrace.map((s) => s.span.spanId));
  expect(inTrace.filter((s) => !s.span.parentSpanId).map((s) => s.span.name)).toEqual(['baaaht.submit']);
  for (const s of inTrace)
    if (s.span.parentSpanId) expect([s.span.name, ids.has(s.span.parentSpanId)]).toEqual([s.span.name, true]);
});
