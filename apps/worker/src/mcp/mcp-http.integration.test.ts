/**
 * `orchestrator serve --mcp-listen` driven by the SDK's own client over Streamable HTTP, through a real hub
 * and a real worker (both binaries from source, real containers on the engine, offline images, sessions on),
 * web tools against a 127.0.0.1 server admitted by the policy's allowlist. Both protocol eras: the 2025
 * handshake (an MCP session, mapped to baaaht sessions) and the stateless 2026-07-28 revision.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { allToolSpecs } from '@baaaht/tool-specs';
import type { SessionView } from '../commands/sessions-command';
import { quietLogger } from '../logger';
import { leftoverContainers, runCli, waitUntil } from '../test-support/cli-process';
import { startCliStack } from '../test-support/cli-stack';
import type { CliStack } from '../test-support/cli-stack';
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
  writeMcpPolicy,
} from '../test-support/mcp-fixture';
import { startMcpHttp } from './mcp-http';

jest.setTimeout(180_000);

const NAME = runScopedName('mcp-http');
const TOKEN = `mcp-token-${Math.random().toString(36).slice(2)}`;
const MODERN = { versionNegotiation: { mode: { pin: '2026-07-28' } } } as const;

let ws: TempWorkspace;
let web: FakeWeb;
let stack: CliStack;
let url: URL;
/** Every client this file opened, with its transport (to end its MCP session at the end). */
const open = new Map<Client, StreamableHTTPClientTransport>();

async function connect(options: { token?: string | null; modern?: boolean } = {}): Promise<Client> {
  const token = options.token === undefined ? TOKEN : options.token;
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: token === null ? {} : { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'baaaht-test', version: '1.0.0' }, options.modern === true ? MODERN : {});
  await client.connect(transport);
  open.set(client, transport);
  return client;
}

/** Our MCP session's baaaht sessions, once the hub lists `calls` of them (workers report counts as they go). */
async function sessionsOf(mcpSession: string, until: (listed: SessionView[]) => boolean): Promise<SessionView[]> {
  let listed: SessionView[] = [];
  for (let i = 0; i < 240; i++) {
    listed = (await sessions()).filter((s) => s.sessionId.startsWith(`mcp-${mcpSession}-`));
    if (until(listed)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return listed;
}

async function sessions(): Promise<SessionView[]> {
  const r = await runCli('orchestrator', ['sessions', '--json', '--addr', stack.addr, '--auth-token', TOKEN]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SessionView[];
}

const fetchContainers = (): string[] => leftoverContainers(NAME, { 'org.baaaht.tool': 'fetch_url' });

async function expectCancelReachesTheHub(client: Client): Promise<void> {
  await expectCancelStopsContainer(client, web, fetchContainers);
  await waitUntil(() => stack.orchestrator.stdout().includes('cancelling: the MCP client cancelled the call'));
}

beforeAll(async () => {
  ws = mcpWorkspace();
  web = await startFakeWeb();
  const policyFile = writeMcpPolicy(ws, web);
  stack = await startCliStack({
    workerName: NAME,
    policyFile,
    images: MCP_TOOL_IMAGES,
    workerArgs: ['--auth-token', TOKEN, '--search-backend-url', web.url(''), '--sessions'],
    orchestratorArgs: ['--auth-token', TOKEN, '--mcp-listen', '127.0.0.1:0', '--mcp-workspace-root', ws.dir],
  });
  const m = await stack.orchestrator.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"[^\n]*"msg":"mcp listening"/);
  url = new URL(m[1] as string);
});

afterAll(async () => {
  // Ending each MCP session closes its baaaht sessions, and so removes their containers before the worker goes.
  for (const [client, transport] of open) {
    await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
  await waitUntil(() => leftoverContainers(NAME).length === 0).catch(() => undefined);
  await stack?.stop();
  await web?.close();
  ws?.cleanup();
  expect(leftoverContainers(NAME)).toEqual([]);
});

describe('orchestrator serve --mcp-listen (Streamable HTTP, SDK client, real hub and worker)', () => {
  it('refuses a client without the bearer token', async () => {
    for (const token of [null, 'wrong', `${TOKEN}x`]) {
      const refused = await connect({ token }).then(
        () => undefined,
        (err: unknown) => err as { status?: number; message: string },
      );
      expect(refused?.status).toBe(401);
      expect(refused?.message).toContain('missing or invalid bearer token');
    }
  });

  it("lists the union of the connected workers' tools, with who offers them", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(allToolSpecs().map((s) => s.name));
    for (const tool of tools)
      expect(tool._meta?.['org.baaaht/availability']).toEqual({ workers: [NAME], freeSlots: expect.any(Number) });
    expect(outputValidators(tools).withSchema.sort()).toEqual([
      'exec',
      'file_edit',
      'find',
      'grep',
      'list',
      'web_search',
    ]);
  });

  it('calls every tool through the hub in one MCP session; structuredContent matches each outputSchema', async () => {
    await expectEveryToolWorks(await connect(), web, ws, (result) =>
      expect(result._meta?.['org.baaaht/result']).toMatchObject({ taskId: expect.stringMatching(/^mcp-/) }),
    );
  });

  it('runs an MCP session warm: its calls share baaaht sessions on the worker, closed when the MCP session ends', async () => {
    const client = await connect();
    const transport = open.get(client) as StreamableHTTPClientTransport;
    const mcpSession = transport.sessionId as string;
    expect(mcpSession).toMatch(/^[0-9a-f-]{36}$/);
    for (let i = 0; i < 2; i++) await client.callTool({ name: 'file_read', arguments: { path: 'notes.txt' } });
    await client.callTool({ name: 'list', arguments: {} });
    // file_read and list have one shape (read-only, the same limits): one warm container served all three.
    const ours = await sessionsOf(mcpSession, (l) => l.length === 1 && l[0]?.calls === 3);
    expect(ours).toEqual([expect.objectContaining({ worker: NAME, calls: 3 })]);
    await transport.terminateSession();
    expect(await sessionsOf(mcpSession, (l) => l.length === 0)).toEqual([]);
    expect(stack.orchestrator.stdout()).toContain(`"mcpSessionId":"${mcpSession}"`);
  });

  it.each(FAILING_CALLS)('fails %s as an isError result with the typed code', async (_what, tool, args, code) => {
    const client = await connect({ modern: true });
    expectToolError(await client.callTool({ name: tool, arguments: args }), code);
  });

  it('streams progress from the task events (assignment, container) on both eras', async () => {
    for (const modern of [false, true]) {
      const client = await connect({ modern });
      const updates: string[] = [];
      const result = await client.callTool(
        { name: 'fetch_url', arguments: { url: web.url('/slow?ms=300') } },
        { onprogress: (p) => updates.push(p.message ?? '') },
      );
      expect(result.isError ?? false).toBe(false);
      expect(updates).toContain(`assigned to worker ${NAME} (attempt 1)`);
      expect(updates).toContainEqual(expect.stringMatching(/^container [0-9a-f]{12} started$/));
    }
  });

  it('says when a result was cut at the output cap', async () => {
    const client = await connect({ modern: true });
    const result = await client.callTool({ name: 'file_read', arguments: { path: 'big.txt' } });
    expect(result.isError ?? false).toBe(false);
    expect((result.content as Array<{ text: string }>).at(-1)?.text).toMatch(
      /^\[stdout truncated \(\d+ bytes dropped\)/,
    );
    expect(result._meta?.['org.baaaht/result']).toMatchObject({ truncated: true });
  });

  it('maps a cancelled call to CancelTask: the container is stopped and none is left (2025 session)', async () => {
    await expectCancelReachesTheHub(await connect());
  });

  it('maps a cancelled call to CancelTask on the 2026-07-28 revision (closing the request stream)', async () => {
    await expectCancelReachesTheHub(await connect({ modern: true }));
  });

  it('runs a call in the session the client names explicitly, on either era', async () => {
    const client = await connect({ modern: true });
    const id = `explicit-${Math.random().toString(36).slice(2)}`;
    const result = await client.callTool({
      name: 'file_read',
      arguments: { path: 'notes.txt' },
      _meta: { 'org.baaaht/session': id },
    });
    expect(result.isError ?? false).toBe(false);
    expect((await sessions()).map((s) => s.sessionId)).toContain(id);
    const closed = await runCli('orchestrator', ['session', 'close', id, '--addr', stack.addr, '--auth-token', TOKEN]);
    expect(closed.code).toBe(0);
  });
});

describe("the MCP listener with the gRPC listener's TLS certificate", () => {
  it('serves HTTPS (and still wants the token)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-tls-'));
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    execFileSync(
      'openssl',
      // prettier-ignore
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
        '-days', '1', '-subj', '/CN=mcp', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'pipe' },
    );
    const hub = {
      submit: () => {
        throw new Error('none');
      },
      cancel: () => {
        throw new Error('none');
      },
      workers: () => [],
      sessions: () => [],
      closeSession: () => {
        throw new Error('none');
      },
    };
    const server = await startMcpHttp({
      address: '127.0.0.1:0',
      hub,
      tls: { certFile: cert, keyFile: key },
      bearerToken: TOKEN,
      version: '0',
      logger: quietLogger,
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          server.url,
          { method: 'POST', ca: fs.readFileSync(cert), headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(401);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
