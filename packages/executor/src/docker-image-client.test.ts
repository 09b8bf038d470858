import { createImageClient } from './docker-image-client';
import { withMeta } from './logger';
import { captureLogger } from './test-support/capture-logger';
import { FakeDockerode, engineError } from './test-support/fake-dockerode';

function setup(): {
  fake: FakeDockerode;
  client: ReturnType<typeof createImageClient>;
  entries: ReturnType<typeof captureLogger>['entries'];
} {
  const fake = new FakeDockerode();
  const { logger, entries } = captureLogger();
  return {
    fake,
    client: createImageClient({ docker: fake.api, logger: withMeta(logger, { component: 'docker' }) }),
    entries,
  };
}

const meta = { component: 'docker', image: 'busybox:1' };

describe('image client', () => {
  it('imageExists logs before and after, with the answer', async () => {
    const { client, entries } = setup();
    expect(await client.imageExists('busybox:1')).toBe(true);
    expect(entries).toEqual([
      { level: 'debug', message: 'inspecting image', meta },
      { level: 'debug', message: 'inspected image', meta: { ...meta, present: true } },
    ]);
  });

  it('imageExists is false on 404, logged at debug, not as a failure', async () => {
    const { fake, client, entries } = setup();
    fake.failing.set('inspectImage', engineError(404));
    expect(await client.imageExists('busybox:1')).toBe(false);
    expect(entries.map((e) => [e.level, e.message, e.meta['present']])).toEqual([
      ['debug', 'inspecting image', undefined],
      ['debug', 'inspected image', false],
    ]);
  });

  it('imageExists logs the failure and rethrows the same error', async () => {
    const { fake, client, entries } = setup();
    const boom = engineError(500, 'engine on fire');
    fake.failing.set('inspectImage', boom);
    await expect(client.imageExists('busybox:1')).rejects.toBe(boom);
    expect(entries[1]).toEqual({
      level: 'error',
      message: 'failed to inspect image',
      meta: { ...meta, error: 'engine on fire' },
    });
  });

  it('pullImage logs before and after', async () => {
    const { client, entries } = setup();
    await client.pullImage('busybox:1', new AbortController().signal);
    expect(entries).toEqual([
      { level: 'debug', message: 'pulling image', meta },
      { level: 'debug', message: 'pulled image', meta },
    ]);
  });

  it('pullImage logs a refused pull and rethrows the same error', async () => {
    const { fake, client, entries } = setup();
    const denied = engineError(404, 'pull access denied for busybox');
    fake.failing.set('pull', denied);
    await expect(client.pullImage('busybox:1', new AbortController().signal)).rejects.toBe(denied);
    expect(entries[1]).toEqual({
      level: 'error',
      message: 'failed to pull image',
      meta: { ...meta, error: 'pull access denied for busybox' },
    });
  });

  it('pullImage logs a failure reported by the progress stream', async () => {
    const { fake, client, entries } = setup();
    const broken = new Error('manifest unknown');
    fake.api.modem.followProgress = ((_s: unknown, done: (err: Error | null) => void) => done(broken)) as never;
    await expect(client.pullImage('busybox:1', new AbortController().signal)).rejects.toBe(broken);
    expect(entries.map((e) => e.message)).toEqual(['pulling image', 'failed to pull image']);
  });
});
