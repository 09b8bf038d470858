/**
 * The stdio door's server and backend through the SDK's own client on an in-memory transport, with a fake
 * executor: what reaches the executor (parameters, workspace, signal), and what the client gets back
 * (tools, results, progress, roots narrowing). The real engine is in `mcp-stdio.integration.test.ts`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { TaskRequest, TaskResult } from '@baaaht/executor';
import { createToolCatalog } from '@baaaht/tool-specs';
import { quietLogger } from '../logger';
import { createLocalBackend } from './local-backend';
import { createMcpToolServer } from './tool-server';

type Run = (request: TaskRequest) => Promise<Partial<TaskResult>>;

let base: string;
let root: string;
const requests: TaskRequest[] = [];
let run: Run;

function result(request: TaskRequest, over: Partial<TaskResult>): TaskResult {
  return {
    taskId: request.taskId ?? 't',
    tool: request.tool,
    status: 'completed',
    exitCode: 0,
    stdout: '',
    stderr: '',
    truncated: false,
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    durationMs: 1,
    containerId: 'c0ffee0123456789',
    ...over,
  };
}

async function connect(options: { roots?: string[]; unavailable?: Map<string, string> } = {}): Promise<Client> {
  const backend = createLocalBackend({
    executor: {
      executeTask: async (request: TaskRequest) => {
        requests.push(request);
        return result(request, await run(request));
      },
    },
    catalog: createToolCatalog(),
    workspaceRoots: [root],
    unavailable: options.unavailable ?? new Map([['exec', 'exec is opt-in: set tools.exec.enabled']]),
    logger: quietLogger,
  });
  const server = createMcpToolServer(backend, {
    name: 'test',
    version: '0',
    logger: quietLogger,
    progressIntervalMs: 0,
  });
  const client = new Client(
    { name: 'test-client', version: '0' },
    options.roots !== undefined ? { capabilities: { roots: {} } } : {},
  );
  if (options.roots !== undefined) {
    const roots = options.roots.map((dir) => ({ uri: pathToFileURL(dir).href }));
    client.setRequestHandler('roots/list', async () => ({ roots }));
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-local-')));
  root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
beforeEach(() => {
  requests.length = 0;
  run = async () => ({ stdout: 'hello\n' });
});

describe('worker mcp server (fake executor)', () => {
  it('lists the tools it can run, without the unavailable ones', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'file_read',
      'file_write',
      'file_edit',
      'grep',
      'find',
      'list',
      'web_search',
      'fetch_url',
    ]);
    const call = await client.callTool({ name: 'exec', arguments: { command: 'ls' } });
    expect(call).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'TOOL_UNAVAILABLE: exec is opt-in: set tools.exec.enabled' }],
    });
    await client.close();
  });

  it('runs a call on the single root with the parameters minus workspace, and returns its output', async () => {
    const client = await connect();
    const call = await client.callTool({ name: 'file_read', arguments: { path: 'a.txt' } });
    expect(call.content).toEqual([{ type: 'text', text: 'hello\n' }]);
    expect(requests[0]).toMatchObject({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: root });
    expect(requests[0]?.taskId).toMatch(/^mcp-/);
    await client.callTool({ name: 'list', arguments: { workspace: 'sub' } });
    expect(requests[1]).toMatchObject({ tool: 'list', params: {}, mountSource: path.join(root, 'sub') });
    const outside = await client.callTool({ name: 'list', arguments: { workspace: base } });
    expect(outside).toMatchObject({ isError: true });
    expect(requests).toHaveLength(2);
    await client.close();
  });

  it("narrows to the client's roots (2025 revisions ask the client with roots/list)", async () => {
    const client = await connect({ roots: [path.join(root, 'sub')] });
    await client.callTool({ name: 'list', arguments: {} });
    expect(requests[0]?.mountSource).toBe(path.join(root, 'sub'));
    const wider = await client.callTool({ name: 'list', arguments: { workspace: root } });
    expect(wider).toMatchObject({ isError: true, _meta: { 'org.baaaht/error': { code: 'POLICY_DENIED' } } });
    await client.close();
  });

  it('sends progress when the client asked for it', async () => {
    run = async (request) => {
      request.onEvent?.({ type: 'queued', taskId: 't', tool: request.tool });
      request.onEvent?.({ type: 'started', taskId: 't', tool: request.tool, containerId: 'c0ffee0123456789', step: 0 });
      request.onEvent?.({ type: 'stdout', taskId: 't', chunk: Buffer.from('12345') });
      return { stdout: '12345' };
    };
    const client = await connect();
    const updates: unknown[] = [];
    await client.callTool({ name: 'file_read', arguments: { path: 'a' } }, { onprogress: (p) => updates.push(p) });
    expect(updates).toEqual([
      { progress: 1, message: 'queued: waiting for a free slot' },
      { progress: 2, message: 'container c0ffee012345 started' },
      { progress: 3, message: '5 bytes of output so far' },
    ]);
    await client.close();
  });

  it('aborts the executor call when the client cancels', async () => {
    let aborted: () => void = () => undefined;
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    run = (request) =>
      new Promise((resolve) => {
        started();
        request.signal?.addEventListener('abort', () => {
          aborted();
          resolve({ status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled' } });
        });
      });
    const client = await connect();
    const controller = new AbortController();
    const call = client.callTool({ name: 'file_read', arguments: { path: 'a' } }, { signal: controller.signal });
    await running;
    controller.abort('user stop');
    await expect(call).rejects.toThrow();
    await sawAbort;
    await client.close();
  });

  it('turns an executor that throws into an isError result with its code', async () => {
    run = async () => {
      throw Object.assign(new Error('executor is closed'), { code: 'EXECUTOR_CLOSED' });
    };
    const client = await connect();
    const call = await client.callTool({ name: 'file_read', arguments: { path: 'a' } });
    expect(call).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'EXECUTOR_CLOSED: executor is closed' }],
    });
    await client.close();
  });
});
