import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Executor } from './executor';
import { fetchUrl, webSearch } from './helpers';
import {
  captureLogger,
  loopbackPolicy,
  openTestExecutor,
  testWorkerId,
  workerContainers,
} from './test-support/integration';
import type { LogEntry } from './test-support/integration';

jest.setTimeout(120_000);

const requests: string[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/hello') return void res.end('hello from loopback\n');
    if (url.pathname === '/redirect-metadata') {
      res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' });
      return void res.end();
    }
    if (url.pathname === '/search') {
      res.setHeader('Content-Type', 'application/json');
      return void res.end(
        JSON.stringify({
          query: url.searchParams.get('q'),
          results: [
            { title: 'First', url: 'https://example.org/1', content: `about ${url.searchParams.get('q')}` },
            { title: 'Second', url: 'https://example.org/2', content: 'more', format: url.searchParams.get('format') },
          ],
        }),
      );
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const egressLogs = (entries: LogEntry[]): LogEntry[] => entries.filter((e) => e.message.startsWith('egress '));

describe('without a policy (built-in rules)', () => {
  const workerId = testWorkerId('egress-default');
  const { logger, entries } = captureLogger();
  let ex: Executor;
  beforeAll(async () => {
    ex = await openTestExecutor(workerId, { logger });
  });
  afterAll(async () => {
    await ex.close();
    expect(workerContainers(workerId)).toEqual([]);
  });

  it('refuses a loopback server', async () => {
    requests.length = 0;
    const r = await ex.executeTask({ tool: 'fetch_url', params: { url: `${base}/hello` } });
    expect(r.status).toBe('denied');
    expect(r.error).toMatchObject({ code: 'EGRESS_DENIED', detail: expect.stringMatching(/^egress\./) });
    expect(r.error?.message).toContain('127.0.0.1');
    expect(r.stdout).not.toContain('hello from loopback');
    expect(requests).toEqual([]);
    expect(egressLogs(entries).some((e) => e.message === 'egress denied' && e.meta.host === '127.0.0.1')).toBe(true);
  });

  it.each(['169.254.169.254', '10.0.0.1'])('refuses %s before any connection', async (host) => {
    entries.length = 0;
    const before = ex.metrics();
    const r = await ex.executeTask({
      tool: 'fetch_url',
      params: { url: `http://${host}/latest/meta-data/` },
      taskId: `meta-${host}`,
    });
    expect(r.status).toBe('denied');
    expect(r.error?.code).toBe('EGRESS_DENIED');
    expect(r.error?.message).toContain(host);
    const after = ex.metrics();
    expect(after.egressAllowed).toBe(before.egressAllowed);
    expect(after.egressDenied).toBeGreaterThan(before.egressDenied);
    const decisions = egressLogs(entries);
    expect(decisions.length).toBeGreaterThan(0);
    expect(
      decisions.every((d) => d.message === 'egress denied' && d.meta.host === host && d.meta.taskId === `meta-${host}`),
    ).toBe(true);
    expect(decisions[0]?.meta.rule).toMatch(/^egress\.deny_/);
    // The proxy only logs connection attempts it makes; there must be none.
    expect(entries.some((e) => e.message.startsWith('egress: upstream'))).toBe(false);
  });
});

describe('with a policy that allows loopback', () => {
  const workerId = testWorkerId('egress-policy');
  const { logger, entries } = captureLogger();
  let ex: Executor;
  beforeAll(async () => {
    ex = await openTestExecutor(workerId, { logger, policy: loopbackPolicy, searchBackendUrl: base });
  });
  afterAll(async () => {
    await ex.close();
    expect(workerContainers(workerId)).toEqual([]);
  });

  it('fetch_url reaches the loopback server through the proxy', async () => {
    requests.length = 0;
    expect(await fetchUrl(ex, `${base}/hello`)).toBe('hello from loopback\n');
    expect(requests).toEqual(['/hello']);
    expect(ex.metrics().egressAllowed).toBeGreaterThan(0);
  });

  it('a redirect from the allowed server to 169.254.169.254 is refused', async () => {
    requests.length = 0;
    entries.length = 0;
    const r = await ex.executeTask({ tool: 'fetch_url', params: { url: `${base}/redirect-metadata` } });
    expect(r.status).toBe('denied');
    expect(r.error).toMatchObject({ code: 'EGRESS_DENIED', detail: 'egress.deny_link_local' });
    expect(requests).toEqual(['/redirect-metadata']);
    const denied = egressLogs(entries).filter((e) => e.message === 'egress denied');
    expect(denied.map((d) => d.meta.host)).toContain('169.254.169.254');
    expect(denied.find((d) => d.meta.host === '169.254.169.254')?.meta.rule).toBe('egress.deny_link_local');
  });

  it('private addresses stay refused', async () => {
    const r = await ex.executeTask({ tool: 'fetch_url', params: { url: 'http://10.0.0.1/' } });
    expect(r.status).toBe('denied');
    expect(r.error?.code).toBe('EGRESS_DENIED');
  });

  it('web_search returns structured results from a SearXNG-compatible backend', async () => {
    requests.length = 0;
    const results = await webSearch(ex, 'baaaht sheep');
    expect(results).toEqual([
      { title: 'First', url: 'https://example.org/1', snippet: 'about baaaht sheep' },
      { title: 'Second', url: 'https://example.org/2', snippet: 'more' },
    ]);
    expect(requests[0]).toBe('/search?q=baaaht%20sheep&format=json');
  });
});
