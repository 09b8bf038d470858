import { createEngineClient } from './docker-engine-client';
import type { EngineClient } from './docker-engine-client';
import { withMeta } from './logger';
import { captureLogger } from './test-support/capture-logger';
import { FakeDockerode, engineError } from './test-support/fake-dockerode';
import type { DockerodeCall } from './test-support/fake-dockerode';

const cases: Array<{
  method: keyof EngineClient;
  dockerode: DockerodeCall;
  doing: string;
  done: string;
  failed: string;
  result: Record<string, unknown>;
}> = [
  {
    method: 'ping',
    dockerode: 'ping',
    doing: 'pinging engine',
    done: 'engine answered',
    failed: 'engine did not answer',
    result: {},
  },
  {
    method: 'version',
    dockerode: 'version',
    doing: 'reading engine version',
    done: 'read engine version',
    failed: 'failed to read engine version',
    result: { version: '27.1.0', apiVersion: '1.46' },
  },
  {
    method: 'runtimes',
    dockerode: 'info',
    doing: 'reading engine info',
    done: 'read engine info',
    failed: 'failed to read engine info',
    result: { runtimes: ['runc', 'runsc'] },
  },
];

function setup(): { fake: FakeDockerode; client: EngineClient; entries: ReturnType<typeof captureLogger>['entries'] } {
  const fake = new FakeDockerode();
  const { logger, entries } = captureLogger();
  return {
    fake,
    client: createEngineClient({ docker: fake.api, logger: withMeta(logger, { component: 'docker' }) }),
    entries,
  };
}

describe('engine client', () => {
  it.each(cases)('$method logs "$doing" and "$done"', async (c) => {
    const { fake, client, entries } = setup();
    await client[c.method]();
    expect(fake.calls).toEqual([c.dockerode]);
    expect(entries).toEqual([
      { level: 'debug', message: c.doing, meta: { component: 'docker' } },
      { level: 'debug', message: c.done, meta: { component: 'docker', ...c.result } },
    ]);
  });

  it.each(cases)('$method logs "$failed" and rethrows the same error', async (c) => {
    const { fake, client, entries } = setup();
    const boom = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    fake.failing.set(c.dockerode, boom);
    await expect(client[c.method]()).rejects.toBe(boom);
    expect(entries[1]).toEqual({
      level: 'error',
      message: c.failed,
      meta: { component: 'docker', error: 'connect ECONNREFUSED' },
    });
  });

  it('returns what the engine said', async () => {
    const { client, fake } = setup();
    expect(await client.version()).toEqual({ version: '27.1.0', apiVersion: '1.46' });
    expect(await client.runtimes()).toEqual(['runc', 'runsc']);
    fake.failing.set('ping', engineError(503));
    await expect(client.ping()).rejects.toMatchObject({ statusCode: 503 });
  });
});
