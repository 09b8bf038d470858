import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { Agent, bootstrap } from '@baaaht/agent';
import type { TaskHandler } from '@baaaht/agent';
import { createHub, createHubClient } from './index';
import { tempSocketDir } from './test-support/temp-socket';

jest.setTimeout(60000);

/** The first ```ts block of a README, types stripped, imports dropped (the test passes the bindings in). */
function example(readme: string): string {
  const text = readFileSync(join(__dirname, '..', '..', readme, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
  if (!code) throw new Error(`${readme}: no ts example`);
  const body = code.replace(/^import .*;$/gm, '');
  return ts.transpileModule(body, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } })
    .outputText;
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

// README examples run against a real hub and agent, so they cannot rot.
describe('README examples', () => {
  let sock: ReturnType<typeof tempSocketDir>;
  beforeEach(() => {
    sock = tempSocketDir();
  });
  afterEach(() => sock.cleanup());

  test('packages/hub/README.md', async () => {
    const code = example('hub')
      .replace("'/var/lib/baaaht-hub'", JSON.stringify(join(sock.dir, 'data')))
      .replace("'unix:///tmp/baaaht-grpc.sock'", JSON.stringify(sock.address));
    const handler: TaskHandler = {
      tools: () => ['file_read'],
      run: async () => ({
        status: 'completed',
        exitCode: 0,
        stdout: 'contents',
        stderr: '',
        truncated: false,
        durationMs: 1,
      }),
      cancel: () => undefined,
    };
    const logs: unknown[][] = [];
    let agent: Agent | undefined;
    const wrappedCreateHub: typeof createHub = (options) => {
      const hub = createHub(options);
      const listen = hub.listen.bind(hub);
      hub.listen = async (address: string) => {
        const bound = await listen(address);
        agent = Agent.create({ handler, address: bound, ackTimeoutMs: 100 });
        await agent.start();
        return bound;
      };
      return hub;
    };
    try {
      await new AsyncFunction('createHub', 'createHubClient', 'console', code)(wrappedCreateHub, createHubClient, {
        log: (...args: unknown[]) => logs.push(args),
      });
    } finally {
      await agent?.close({ force: true });
    }
    expect(logs.map((l) => l[0])).toEqual(['assigned', 'accepted', 'finished', 'contents', 5]);
  });

  test('packages/agent/README.md', async () => {
    const hub = createHub();
    await hub.listen(sock.address);
    const code = example('agent').replace("'unix:///tmp/baaaht-grpc.sock'", JSON.stringify(sock.address));
    const logs: unknown[][] = [];
    const signals: Record<string, () => void> = {};
    const fakeProcess = { once: (name: string, fn: () => void) => (signals[name] = fn) };
    try {
      await new AsyncFunction('bootstrap', 'console', 'process', code)(
        bootstrap,
        { log: (...a: unknown[]) => logs.push(a) },
        fakeProcess,
      );
      expect(logs[0]?.[0]).toBe('worker');
      expect(logs[0]?.[2]).toBe('Ready');
      const result = await hub.submit({ tool: 'echo', params: { text: 'from the readme' } }).result;
      expect(Buffer.from(result.stdout).toString()).toBe('from the readme');
      const unregistered = new Promise((resolve) => hub.on('worker-unregistered', resolve));
      signals['SIGTERM']?.();
      await unregistered;
    } finally {
      await hub.close();
    }
  });
});
