/**
 * The root README's "Use from an MCP client" section, run: its MCP Inspector command lines (CLI mode,
 * `@modelcontextprotocol/inspector`, a dev dependency) and its two JSON client configs (through the
 * Inspector's `--config`), against `worker mcp` on stdio and `orchestrator serve --mcp-listen` with a real
 * worker, real containers (offline images). Placeholders are replaced by this run's paths, port and token;
 * the only additions are the test environment's (`-e`/`env`: offline images, a run-scoped worker name,
 * the sources instead of a build).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { REPO_ROOT, cleanEnv, leftoverContainers, tempSocketPath } from '../test-support/cli-process';
import { execFile } from 'node:child_process';
import { startCliStack } from '../test-support/cli-stack';
import type { CliStack } from '../test-support/cli-stack';
import { MCP_TOOL_IMAGES } from '../test-support/mcp-fixture';

jest.setTimeout(240_000);

const NAME = runScopedName('mcp-inspector');
const TOKEN = `inspector-${Math.random().toString(36).slice(2)}`;
const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const WORKER_DIR = path.join(REPO_ROOT, 'apps', 'worker');
/** The server's environment in the test: offline images, this run's name, the current sources. */
const SERVER_ENV = { WORKER_TOOL_IMAGE: MCP_TOOL_IMAGES, WORKER_NAME: NAME, BAAAHT_FROM_SOURCE: '1' };

let ws: TempWorkspace;
let stack: CliStack;
let mcpUrl: string;

/** The README section, from its heading to the next `## `. */
function section(): string {
  const start = README.indexOf('## Use from an MCP client');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n## ', start + 3);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The section's fenced blocks of one language. */
const blocks = (lang: string): string[] =>
  [...section().matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

/** The README's placeholders, made real. */
const real = (text: string): string =>
  text
    .replaceAll('/path/to/baaaht', REPO_ROOT)
    .replaceAll('/home/me/project', ws.dir)
    .replaceAll('http://127.0.0.1:8765/mcp', mcpUrl)
    .replaceAll('YOUR_TOKEN', TOKEN);

/** Splits a command line into words: spaces separate, double quotes group (all the README lines need). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? (m[2] as string));
}

/** Runs the Inspector (`npx @modelcontextprotocol/inspector ...` from apps/worker) and parses its JSON answer. */
function inspector(args: readonly string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['--no-install', ...args],
      { cwd: WORKER_DIR, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = { unparsed: stdout };
        }
        resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), json, stderr });
      },
    );
  });
}

/** The README's Inspector lines, with the test environment added to the stdio ones. */
function inspectorLines(): string[][] {
  const lines = blocks('sh')
    .flatMap((b) => b.split('\n'))
    .filter((l) => l.startsWith('npx @modelcontextprotocol/inspector '));
  expect(lines).toHaveLength(4);
  return lines.map((l) => {
    const argv = words(real(l)).slice(1);
    if (argv[2]?.startsWith('http')) return argv;
    const env = Object.entries(SERVER_ENV).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    return [...argv.slice(0, 2), ...env, ...argv.slice(2)];
  });
}

function expectToolList(result: { code: number; json: Record<string, unknown>; stderr: string }): void {
  expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
  const tools = (result.json['tools'] as Array<{ name: string }> | undefined)?.map((t) => t.name);
  expect(tools).toEqual(expect.arrayContaining(['file_read', 'file_write', 'grep', 'list']));
}

function expectReadme(result: { code: number; json: Record<string, unknown>; stderr: string }): void {
  expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(result.json).toMatchObject({ content: [{ type: 'text', text: '# project\nread through MCP\n' }] });
  expect(result.json['isError']).toBeUndefined();
}

beforeAll(async () => {
  ws = createTempWorkspace({
    files: { 'README.md': '# project\nread through MCP\n' },
    owner: { uid: 1234, gid: 1234 },
  });
  const policyFile = path.join(path.dirname(tempSocketPath('policy')), 'policy.yaml');
  fs.writeFileSync(
    policyFile,
    [
      'mode: strict',
      'mounts:',
      '  allow_bind_mounts: true',
      '  mount_allowlist:',
      `    - path: ${JSON.stringify(ws.dir)}`,
      '      mode: readwrite',
      '',
    ].join('\n'),
  );
  stack = await startCliStack({
    workerName: NAME,
    policyFile,
    images: MCP_TOOL_IMAGES,
    workerArgs: ['--auth-token', TOKEN],
    orchestratorArgs: ['--auth-token', TOKEN, '--mcp-listen', '127.0.0.1:0', '--mcp-workspace-root', ws.dir],
  });
  mcpUrl = (
    await stack.orchestrator.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"[^\n]*"msg":"mcp listening"/)
  )[1] as string;
});

afterAll(async () => {
  await stack?.stop();
  ws?.cleanup();
  expect(leftoverContainers(NAME)).toEqual([]);
});

describe('the README: Use from an MCP client, checked with the MCP Inspector (CLI mode)', () => {
  it('its command lines list the tools and read a file, on stdio and over HTTP', async () => {
    const [stdioList, stdioRead, httpList, httpRead] = inspectorLines() as [string[], string[], string[], string[]];
    expectToolList(await inspector(stdioList));
    expectReadme(await inspector(stdioRead));
    expectToolList(await inspector(httpList));
    expectReadme(await inspector(httpRead));
  });

  it('its two client configs work as written (the Inspector reads the same mcpServers form)', async () => {
    const [stdio, http] = blocks('json').map(
      (b) => JSON.parse(real(b)) as { mcpServers: Record<string, Record<string, unknown>> },
    );
    expect(Object.keys(stdio?.mcpServers ?? {})).toEqual(['baaaht']);
    expect(Object.keys(http?.mcpServers ?? {})).toEqual(['baaaht-fleet']);
    const configFile = path.join(path.dirname(tempSocketPath('config')), 'mcp.json');
    const baaaht = { ...stdio?.mcpServers['baaaht'], env: SERVER_ENV };
    fs.writeFileSync(configFile, JSON.stringify({ mcpServers: { baaaht, ...http?.mcpServers } }));
    for (const server of ['baaaht', 'baaaht-fleet']) {
      const base = ['@modelcontextprotocol/inspector', '--cli', '--config', configFile, '--server', server];
      expectToolList(await inspector([...base, '--method', 'tools/list']));
      expectReadme(
        await inspector([
          ...base,
          '--method',
          'tools/call',
          '--tool-name',
          'file_read',
          '--tool-arg',
          'path=README.md',
        ]),
      );
    }
  });
});
