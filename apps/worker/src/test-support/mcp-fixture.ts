/**
 * What both MCP integration tests (stdio and Streamable HTTP) share: the workspace and policy, one call of
 * every tool with what its result must show, and the check that a result's structuredContent validates
 * against the outputSchema the server listed (with ajv, independently of the SDK client's own check).
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { Client } from '@modelcontextprotocol/client';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, waitUntil } from './cli-process';
import { loopbackPolicyYaml } from './fake-web';
import type { FakeWeb } from './fake-web';

/** Every tool on the offline images: the file tools and exec on busybox, the web tools on curl. */
export const MCP_TOOL_IMAGES = `*=${OFFLINE_BUSYBOX_IMAGE},fetch_url=${OFFLINE_CURL_IMAGE},web_search=${OFFLINE_CURL_IMAGE}`;

/** Bigger than the executor's 1 MiB stdout cap, so reading it is cut. */
export const BIG_FILE_BYTES = 1024 * 1024 + 64 * 1024;

export function mcpWorkspace(): TempWorkspace {
  return createTempWorkspace({
    files: {
      'notes.txt': 'alpha\nbeta TODO\ngamma\n',
      'src/main.ts': 'export const x = 1; // TODO\n',
      'edit.txt': 'hello old world\n',
      'big.txt': 'x'.repeat(BIG_FILE_BYTES),
    },
    owner: { uid: 1234, gid: 1234 },
  });
}

/** A policy file: mount the workspace, reach 127.0.0.1:`web.port` (the fake web and search backend), exec on. */
export function writeMcpPolicy(ws: TempWorkspace, web: FakeWeb): string {
  const file = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
  fs.writeFileSync(file, `${loopbackPolicyYaml(ws.dir, web.port)}tools:\n  exec:\n    enabled: true\n`);
  return file;
}

/** `cleanEnv` as the string map an MCP stdio transport takes. */
export function stringEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(cleanEnv(extra))) if (v !== undefined) env[k] = v;
  return env;
}

type CallResult = Awaited<ReturnType<Client['callTool']>>;

export interface ToolCallCase {
  tool: string;
  args: (web: FakeWeb) => Record<string, unknown>;
  /** What the result must show (beyond not being an error and matching its outputSchema). */
  check(result: CallResult, ws: TempWorkspace): void;
}

const text = (r: CallResult): string =>
  (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');

/** One successful call of every tool in the catalog. */
export const EVERY_TOOL: readonly ToolCallCase[] = [
  {
    tool: 'file_read',
    args: () => ({ path: 'notes.txt' }),
    check: (r) => expect(text(r)).toBe('alpha\nbeta TODO\ngamma\n'),
  },
  {
    tool: 'file_write',
    args: () => ({ path: 'out/new.txt', content: 'written over MCP\n' }),
    check: (_r, ws) => expect(ws.read('out/new.txt')).toBe('written over MCP\n'),
  },
  {
    tool: 'file_edit',
    args: () => ({ path: 'edit.txt', old_string: 'old', new_string: 'new' }),
    check: (r, ws) => {
      expect(r.structuredContent).toEqual({ path: 'edit.txt', replacements: 1 });
      expect(ws.read('edit.txt')).toBe('hello new world\n');
    },
  },
  {
    tool: 'grep',
    args: () => ({ pattern: 'TODO', exclude: ['big.txt'] }),
    check: (r) =>
      expect(r.structuredContent).toMatchObject({
        matches: expect.arrayContaining([{ path: 'notes.txt', line: 2, text: 'beta TODO' }]),
        truncated: false,
      }),
  },
  {
    tool: 'find',
    args: () => ({ name: '*.ts' }),
    check: (r) => expect(r.structuredContent).toMatchObject({ paths: ['src/main.ts'], truncated: false }),
  },
  {
    tool: 'list',
    args: () => ({ path: 'src' }),
    check: (r) =>
      expect(r.structuredContent).toMatchObject({
        entries: [{ path: 'src/main.ts', name: 'main.ts', type: 'file' }],
        truncated: false,
      }),
  },
  {
    tool: 'web_search',
    args: () => ({ query: 'baaaht sandbox', max_results: 2 }),
    check: (r) =>
      expect(r.structuredContent).toEqual({
        results: [
          { title: 'First result for baaaht sandbox', url: 'https://example.org/1', snippet: 'snippet one' },
          { title: 'Second', url: 'https://example.org/2', snippet: 'snippet two' },
        ],
      }),
  },
  {
    tool: 'fetch_url',
    args: (web) => ({ url: web.url('/page') }),
    check: (r) => expect(text(r)).toBe('hello from the loopback test server\n'),
  },
  {
    tool: 'exec',
    args: () => ({ command: 'cat notes.txt | wc -l' }),
    check: (r) => {
      expect(text(r).trim()).toBe('3');
      expect(r.structuredContent).toMatchObject({ exitCode: 0, signal: null });
    },
  },
];

/** Compiles the listed tools' outputSchemas; `check(tool, result)` fails unless structuredContent matches. */
export function outputValidators(tools: ReadonlyArray<{ name: string; outputSchema?: unknown }>): {
  withSchema: string[];
  check(tool: string, result: CallResult): void;
} {
  const ajv = new Ajv({ strict: true, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  for (const t of tools)
    if (t.outputSchema !== undefined) validators.set(t.name, ajv.compile(t.outputSchema as object));
  return {
    withSchema: [...validators.keys()],
    check(tool, result) {
      const validate = validators.get(tool);
      if (validate === undefined) {
        expect(result).not.toHaveProperty('structuredContent');
        return;
      }
      const valid = validate(result.structuredContent);
      expect({ tool, valid, errors: validate.errors ?? null }).toEqual({ tool, valid: true, errors: null });
    },
  };
}

/**
 * Calls every tool once on `client` and checks each result: not an error, its own checks, and its
 * structuredContent against the listed outputSchema; `each` adds the door's own checks.
 */
export async function expectEveryToolWorks(
  client: Client,
  web: FakeWeb,
  ws: TempWorkspace,
  each: (result: CallResult) => void = () => undefined,
): Promise<void> {
  const { tools } = await client.listTools();
  const validators = outputValidators(tools);
  for (const c of EVERY_TOOL) {
    const result = await client.callTool({ name: c.tool, arguments: c.args(web) });
    const failure = result.isError === true ? text(result) : '';
    expect({ tool: c.tool, failure }).toEqual({ tool: c.tool, failure: '' });
    validators.check(c.tool, result);
    c.check(result, ws);
    each(result);
  }
  expect(EVERY_TOOL.map((c) => c.tool).sort()).toEqual(tools.map((t) => t.name).sort());
  // The web tools reached only the loopback server, through the egress proxy and the policy's allowlist.
  expect(web.requests).toEqual(expect.arrayContaining(['/page', '/search?q=baaaht%20sandbox&format=json']));
}

/** Failing calls both doors refuse the same way: [what, tool, arguments, typed code]. */
export const FAILING_CALLS: ReadonlyArray<[string, string, Record<string, unknown>, string]> = [
  ['a missing file', 'file_read', { path: 'missing.txt' }, 'NOT_FOUND'],
  ['bad parameters', 'file_read', { path: 'notes.txt', limit: 0 }, 'INVALID_PARAMS'],
  ['a workspace outside the roots', 'list', { workspace: '/etc' }, 'POLICY_DENIED'],
  [
    'an edit that matches nothing',
    'file_edit',
    { path: 'notes.txt', old_string: 'zzz', new_string: 'y' },
    'TOOL_FAILED',
  ],
];

/** An `isError` result whose text starts with `code` and whose `_meta` carries it. */
export function expectToolError(result: CallResult, code: string): void {
  expect(result.isError).toBe(true);
  expect(text(result)).toMatch(new RegExp(`^${code}\\b`));
  expect(result._meta?.['org.baaaht/error']).toMatchObject({ code });
}

/**
 * Starts a fetch of a page that answers after two minutes, cancels it once its container runs and the
 * page was asked for, and waits until `containers()` (this test's fetch containers) is empty again.
 */
export async function expectCancelStopsContainer(
  client: Client,
  web: FakeWeb,
  containers: () => string[],
): Promise<void> {
  const page = `/slow?ms=120000&n=${Math.random().toString(36).slice(2)}`;
  const controller = new AbortController();
  let started = false;
  const call = client.callTool(
    { name: 'fetch_url', arguments: { url: web.url(page), timeout_seconds: 60 } },
    { signal: controller.signal, onprogress: (p) => (started ||= /^container .* started$/.test(p.message ?? '')) },
  );
  const settled = call.then(
    () => 'resolved',
    () => 'rejected',
  );
  await waitUntil(() => started && web.requests.includes(page));
  expect(containers()).toHaveLength(1);
  controller.abort('the user pressed stop');
  expect(await settled).toBe('rejected');
  await waitUntil(() => containers().length === 0);
}
