import { createContainerClient } from './docker-container-client';
import type { ContainerClient, ContainerCreateBody } from './docker-container-client';
import { withMeta } from './logger';
import { captureLogger } from './test-support/capture-logger';
import { FAKE_CONTAINER_ID, FakeDockerode, engineError } from './test-support/fake-dockerode';
import type { DockerodeCall } from './test-support/fake-dockerode';

const SHORT = FAKE_CONTAINER_ID.slice(0, 12);
const body = { name: 'baaaht-t1', Image: 'busybox:1' } as ContainerCreateBody;

function setup(): {
  fake: FakeDockerode;
  client: ContainerClient;
  entries: ReturnType<typeof captureLogger>['entries'];
} {
  const fake = new FakeDockerode();
  const { logger, entries } = captureLogger();
  // As createDockerClient wires it: the component travels in every entry.
  const client = createContainerClient({
    docker: fake.api,
    target: undefined,
    logger: withMeta(logger, { component: 'docker' }),
  });
  return { fake, client, entries };
}

interface Case {
  method: keyof ContainerClient;
  dockerode: DockerodeCall;
  run: (c: ContainerClient) => Promise<unknown>;
  doing: string;
  done: string;
  failed: string;
  /** Meta every entry carries. */
  meta: Record<string, unknown>;
  /** Meta the "done" entry adds. */
  result: Record<string, unknown>;
}

const cases: Case[] = [
  {
    method: 'createContainer',
    dockerode: 'createContainer',
    run: (c) => c.createContainer(body),
    doing: 'creating container',
    done: 'created container',
    failed: 'failed to create container',
    meta: { image: 'busybox:1', name: 'baaaht-t1' },
    result: { containerId: SHORT },
  },
  {
    method: 'attachContainer',
    dockerode: 'attach',
    run: (c) => c.attachContainer(FAKE_CONTAINER_ID, { stdin: false, onData: () => undefined }),
    doing: 'attaching to container',
    done: 'attached to container',
    failed: 'failed to attach to container',
    meta: { containerId: SHORT },
    result: {},
  },
  {
    method: 'startContainer',
    dockerode: 'start',
    run: (c) => c.startContainer(FAKE_CONTAINER_ID),
    doing: 'starting container',
    done: 'started container',
    failed: 'failed to start container',
    meta: { containerId: SHORT },
    result: {},
  },
  {
    method: 'waitContainer',
    dockerode: 'wait',
    run: (c) => c.waitContainer(FAKE_CONTAINER_ID),
    doing: 'waiting for container',
    done: 'container exited',
    failed: 'failed to wait for container',
    meta: { containerId: SHORT },
    result: { exitCode: 3 },
  },
  {
    method: 'inspectContainer',
    dockerode: 'inspect',
    run: (c) => c.inspectContainer(FAKE_CONTAINER_ID),
    doing: 'inspecting container',
    done: 'inspected container',
    failed: 'failed to inspect container',
    meta: { containerId: SHORT },
    result: { running: false, exitCode: 3, oomKilled: true },
  },
  {
    method: 'killContainer',
    dockerode: 'kill',
    run: (c) => c.killContainer(FAKE_CONTAINER_ID, 'SIGTERM'),
    doing: 'signalling container',
    done: 'signalled container',
    failed: 'failed to signal container',
    meta: { containerId: SHORT, signal: 'SIGTERM' },
    result: {},
  },
  {
    method: 'removeContainer',
    dockerode: 'remove',
    run: (c) => c.removeContainer(FAKE_CONTAINER_ID),
    doing: 'removing container',
    done: 'removed container',
    failed: 'failed to remove container',
    meta: { containerId: SHORT },
    result: {},
  },
  {
    method: 'listContainers',
    dockerode: 'listContainers',
    run: (c) => c.listContainers('org.baaaht.worker-id=w'),
    doing: 'listing containers',
    done: 'listed containers',
    failed: 'failed to list containers',
    meta: { label: 'org.baaaht.worker-id=w' },
    result: { count: 1 },
  },
];

describe('container client', () => {
  it.each(cases)('$method logs "$doing" before the call and "$done" after it', async (c) => {
    const { fake, client, entries } = setup();
    await c.run(client);
    expect(fake.calls).toEqual([c.dockerode]);
    expect(entries).toEqual([
      { level: 'debug', message: c.doing, meta: { component: 'docker', ...c.meta } },
      { level: 'debug', message: c.done, meta: { component: 'docker', ...c.meta, ...c.result } },
    ]);
  });

  it.each(cases)('$method logs "$failed" with the error and rethrows the same error', async (c) => {
    const { fake, client, entries } = setup();
    const boom = engineError(500, 'engine on fire');
    fake.failing.set(c.dockerode, boom);
    await expect(c.run(client)).rejects.toBe(boom);
    expect(entries).toEqual([
      { level: 'debug', message: c.doing, meta: { component: 'docker', ...c.meta } },
      { level: 'error', message: c.failed, meta: { component: 'docker', ...c.meta, error: 'engine on fire' } },
    ]);
  });

  it('returns what the engine said', async () => {
    const { client } = setup();
    expect(await client.createContainer(body)).toBe(FAKE_CONTAINER_ID);
    expect(await client.waitContainer(FAKE_CONTAINER_ID)).toBe(3);
    expect(await client.inspectContainer(FAKE_CONTAINER_ID)).toEqual({ running: false, exitCode: 3, oomKilled: true });
    expect(await client.listContainers('x=y')).toEqual([
      { id: FAKE_CONTAINER_ID, labels: { 'org.baaaht.worker-id': 'w' }, state: 'exited' },
    ]);
  });

  it.each([
    ['startContainer', 'start', 304],
    ['killContainer', 'kill', 404],
    ['killContainer', 'kill', 409],
    ['removeContainer', 'remove', 404],
    ['removeContainer', 'remove', 409],
  ] as const)('%s tolerates %s answering %i (nothing to do) and says so at debug', async (method, call, status) => {
    const { fake, client, entries } = setup();
    fake.failing.set(call, engineError(status));
    const run = cases.find((c) => c.method === method)?.run;
    await expect(run?.(client)).resolves.toBeUndefined();
    expect(entries.map((e) => e.level)).toEqual(['debug', 'debug']);
    expect(entries[1]?.meta).toMatchObject({ containerId: SHORT, tolerated: status });
  });

  it('passes the create body through unchanged', async () => {
    const { fake, client } = setup();
    let seen: unknown;
    fake.api.createContainer = (async (b: unknown) => {
      seen = b;
      return { id: FAKE_CONTAINER_ID };
    }) as never;
    await client.createContainer(body);
    expect(seen).toBe(body);
  });
});
