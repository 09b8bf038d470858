/**
 * `worker mcp` driven by the SDK's own client over its stdio transport: the real binary (from source), the
 * real executor and policy, real containers on the engine (offline images), web tools against a 127.0.0.1
 * server admitted by the policy's allowlist. Containers are counted by this run's worker id only.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Stream } from 'node:stream';
import { runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { allToolSpecs } from '@baaaht/tool-specs';
import { cliCommand, leftoverContainers, waitUntil } from '../test-support/cli-process';
import { startFakeWeb } from '../test-support/fake-web';
import type { FakeWeb } from '../test-support/fake-web';
import {
  FAILING_CALLS,
  MCP_TOOL_IMAGES,
  expectCancelStopsContainer,
  expectEveryToolWorks,
  expectToolError,
  mcpWorkspace,
  outputValidators,
  stringEnv,
  writeMcpPolicy,
} from '../test-support/mcp-fixture';

jest.setTimeout(180_000);

// `worker mcp` labels its containers `<name>-mcp-<pid>`.
const NAME = runScopedName('mcp-stdio');

let ws: TempWorkspace;
let web: FakeWeb;
let policyFile: string;

interface Connection {
  client: Client;
  stderr: () => string;
  /** Errors the client saw on the wire (a stdout line that is not protocol would be one). */
  errors: Error[];
}

const open = new Set<Client>();

/** A JSON log line with this message and every one of `fields` (pino puts `msg` after the fields). */
const logged = (stderr: string, msg: string, ...fields: string[]): boolean =>
  stderr.split('\n').some((l) => l.includes(`"msg":"${msg}"`) && fields.every((f) => l.includes(f)));

async function connect(
  options: { roots?: string[]; args?: string[]; modern?: boolean; name?: string } = {},
): Promise<Connection> {
  const line = cliCommand('worker', [
    'mcp',
    '--workspace-root',
    ws.dir,
    '--policy',
    policyFile,
    '--name',
    options.name ?? NAME,
    '--search-backend-url',
    web.url(''),
    '--log-format',
    'json',
    ...(options.args ?? []),
  ]);
  const transport = new StdioClientTransport({
    ...line,
    env: stringEnv({ WORKER_TOOL_IMAGE: MCP_TOOL_IMAGES }),
    stderr: 'pipe',
  });
  let stderr = '';
  (transport.stderr as Stream).on('data', (d: Buffer) => (stderr += d.toString()));
  const errors: Error[] = [];
  const client = new Client(
    { name: 'baaaht-test', version: '1.0.0' },
    {
      ...(options.roots !== undefined ? { capabilities: { roots: {} } } : {}),
      ...(options.modern === true ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  if (options.roots !== undefined) {
    const roots = options.roots.map((dir) => ({ uri: pathToFileURL(dir).href }));
    client.setRequestHandler('roots/list', async () => ({ roots }));
  }
  client.onerror = (err) => errors.push(err);
  await client.connect(transport);
  open.add(client);
  return { client, stderr: () => stderr, errors };
}

let main: Connection;

beforeAll(async () => {
  ws = mcpWorkspace();
  web = await startFakeWeb();
  policyFile = writeMcpPolicy(ws, web);
  main = await connect();
});

afterAll(async () => {
  for (const client of open) await client.close();
  await web?.close();
  ws?.cleanup();
  expect(leftoverContainers(NAME)).toEqual([]);
});

describe('worker mcp (stdio, SDK client, real engine)', () => {
  it('lists every tool with its schemas, title and annotations', async () => {
    const { tools } = await main.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(allToolSpecs().map((s) => s.name));
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.file_read).toMatchObject({
      title: 'Read file',
      inputSchema: { type: 'object', required: ['path'], properties: { workspace: { type: 'string' } } },
      annotations: { readOnlyHint: true, openWorldHint: false },
    });
    expect(byName.fetch_url?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expect(byName.file_write?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(outputValidators(tools).withSchema.sort()).toEqual([
      'exec',
      'file_edit',
      'find',
      'grep',
      'list',
      'web_search',
    ]);
  });

  it('calls every tool against the workspace; structuredContent matches each outputSchema', async () => {
    await expectEveryToolWorks(main.client, web, ws);
  });

  const failing: typeof FAILING_CALLS = [...FAILING_CALLS, ['an unknown tool', 'no_such_tool', {}, 'UNKNOWN_TOOL']];
  it.each(failing)('fails %s as an isError result with the typed code', async (_what, tool, args, code) => {
    expectToolError(await main.client.callTool({ name: tool, arguments: args }), code);
  });

  it('streams progress notifications while a tool runs, when the client sent a progress token', async () => {
    const updates: Array<{ progress: number; message?: string }> = [];
    const result = await main.client.callTool(
      { name: 'fetch_url', arguments: { url: web.url('/slow?ms=300') } },
      { onprogress: (p) => updates.push(p) },
    );
    expect(result.isError ?? false).toBe(false);
    expect(updates.map((u) => u.message)).toContainEqual(expect.stringMatching(/^container [0-9a-f]{12} started$/));
    const progress = updates.map((u) => u.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
  });

  it('says when a result was cut: an over-long file is truncated at the output cap, and says by how much', async () => {
    const result = await main.client.callTool({ name: 'file_read', arguments: { path: 'big.txt' } });
    expect(result.isError ?? false).toBe(false);
    const blocks = result.content as Array<{ text: string }>;
    expect(blocks.at(-1)?.text).toMatch(/^\[stdout truncated \(\d+ bytes dropped\): the tool's output was cut/);
    expect(result._meta?.['org.baaaht/result']).toMatchObject({ status: 'completed', truncated: true });
    expect(blocks[0]?.text.length).toBeLessThan(1024 * 1024 + 1);
  });

  it('cancels a long call: its container is stopped and none is left', async () => {
    // The fetch's own container (web tools are never pooled); the warm pool's waiting containers are not the call's.
    await expectCancelStopsContainer(main.client, web, () =>
      leftoverContainers(NAME, { 'org.baaaht.tool': 'fetch_url' }),
    );
    await waitUntil(() => logged(main.stderr(), 'stopping task', '"reason":"cancelled"'));
  });

  it("narrows the workspace to the client's roots", async () => {
    const narrowed = await connect({ roots: [path.join(ws.dir, 'src')] });
    const listed = await narrowed.client.callTool({ name: 'list', arguments: {} });
    expect(listed.structuredContent).toMatchObject({ entries: [{ path: 'main.ts' }] });
    const wider = await narrowed.client.callTool({ name: 'list', arguments: { workspace: ws.dir } });
    expect(wider).toMatchObject({ isError: true, _meta: { 'org.baaaht/error': { code: 'POLICY_DENIED' } } });
    await narrowed.client.close();
    open.delete(narrowed.client);
  });

  it('serves the 2026-07-28 revision from the same command', async () => {
    const modern = await connect({ modern: true });
    expect(modern.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect((await modern.client.listTools()).tools.map((t) => t.name)).toContain('file_read');
    const read = await modern.client.callTool({ name: 'file_read', arguments: { path: 'notes.txt' } });
    expect(read.content).toEqual([{ type: 'text', text: 'alpha\nbeta TODO\ngamma\n' }]);
    await modern.client.close();
    open.delete(modern.client);
  });

  it('writes only protocol to stdout and its logs to stderr', () => {
    expect(main.errors).toEqual([]);
    expect(main.stderr()).toContain('"msg":"serving MCP on stdio"');
  });

  it('exits when the client closes stdin, stopping the tool it was running', async () => {
    // A server of its own name: the main one's warm pool keeps containers waiting meanwhile.
    const ownName = `${NAME}-own`;
    const own = await connect({ name: ownName });
    const page = `/slow?ms=120000&n=${Math.random().toString(36).slice(2)}`;
    const call = own.client.callTool({ name: 'fetch_url', arguments: { url: web.url(page), timeout_seconds: 60 } });
    void call.catch(() => undefined);
    await waitUntil(() => web.requests.includes(page));
    await own.client.close();
    open.delete(own.client);
    await waitUntil(() => logged(own.stderr(), 'stopped'));
    expect(logged(own.stderr(), 'stopping', '"reason":"stdin closed"', '"running":1')).toBe(true);
    expect(leftoverContainers(ownName)).toEqual([]);
  });
});
