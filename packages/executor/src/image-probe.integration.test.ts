/**
 * The start-up image check against the real engine: the offline images really hold what the tools call,
 * the busybox image really lacks curl, and no probe container outlives the check.
 */
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, offlineToolImages } from '@baaaht/test-utils';
import { allToolSpecs } from '@baaaht/tool-specs';
import type { Executor } from './executor';
import { openTestExecutor, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(60_000);

const TOOLS = allToolSpecs().map((s) => s.name);
const opened: Array<{ ex: Executor; workerId: string }> = [];

async function open(name: string, options: Parameters<typeof openTestExecutor>[1] = {}): Promise<Executor> {
  const workerId = testWorkerId(name);
  const ex = await openTestExecutor(workerId, options);
  opened.push({ ex, workerId });
  return ex;
}

afterAll(async () => {
  for (const { ex, workerId } of opened) {
    await ex.close();
    expect(workerContainers(workerId)).toEqual([]);
  }
});

describe('Executor.probeTools (real engine)', () => {
  it('the offline images run every tool; the probe containers are gone when it resolves', async () => {
    const ex = await open('probe-ok');
    const results = await ex.probeTools(TOOLS);
    expect(results.map((r) => [r.tool, r.status])).toEqual(TOOLS.map((t) => [t, 'ready']));
    expect(new Set(results.map((r) => r.image))).toEqual(new Set([OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE]));
    expect(workerContainers(ex.workerId)).toEqual([]);
  });

  it('fetch_url on the busybox image lacks curl; a missing image under pull policy never is unavailable', async () => {
    const missing = `baaaht/probe-missing-${process.pid}:none`;
    const ex = await open('probe-bad', {
      imageOverrides: { ...offlineToolImages(), fetch_url: OFFLINE_BUSYBOX_IMAGE, grep: missing },
    });
    const results = await ex.probeTools(['file_read', 'fetch_url', 'grep', 'web_search']);
    const by = new Map(results.map((r) => [r.tool, r]));
    expect(by.get('file_read')?.status).toBe('ready');
    expect(by.get('web_search')?.status).toBe('ready');
    expect(by.get('fetch_url')).toMatchObject({ status: 'unavailable', missing: ['curl'] });
    expect(by.get('fetch_url')?.reason).toContain(`image ${OFFLINE_BUSYBOX_IMAGE} lacks curl`);
    expect(by.get('grep')).toMatchObject({ status: 'unavailable', image: missing });
    expect(by.get('grep')?.reason).toContain('pull policy is never');
    expect(workerContainers(ex.workerId)).toEqual([]);
  });

  it('under if-missing a missing image is offered, to be pulled on first use (nothing is pulled now)', async () => {
    const missing = `baaaht/probe-missing-${process.pid}:none`;
    const ex = await open('probe-pull', { pullPolicy: 'if-missing', imageOverrides: { list: missing } });
    const [result] = await ex.probeTools(['list']);
    expect(result).toMatchObject({ tool: 'list', status: 'will-pull', image: missing });
  });
});
