import { BUILTIN_TOOLS } from './builtin-tools';
import type { CommandResult, ToolCommand, ToolContext, ToolSpec } from './types';

/** External programs a tool could call; a shell builtin (echo, read, printf inside sh) needs no file. */
const UTILITIES = ['cat', 'sed', 'stat', 'find', 'grep', 'head', 'tr', 'curl', 'dd', 'mkdir', 'tee', 'xargs', 'wc'];

const CTX: ToolContext = {
  workspaceDir: '/workspace',
  egressProxy: 'socks5h://localhost/run/baaaht/egress.sock',
  searchBackendUrl: 'http://127.0.0.1:1',
};

/** Calls that reach every command a tool runs (fail_if_exists reaches `test`, a nested path `mkdir`). */
const CALLS: Record<string, Record<string, unknown>[]> = {
  file_read: [{ path: 'a' }, { path: 'a', offset: 2, limit: 3 }, { path: 'a', offset: 2 }],
  file_write: [{ path: 'd/a', content: 'x', fail_if_exists: true }],
  file_edit: [{ path: 'a', old_string: 'x', new_string: 'y' }],
  grep: [{ pattern: 'x' }],
  find: [{ name: '*.ts' }],
  list: [{ recursive: true }],
  fetch_url: [{ url: 'http://example.org/' }],
  web_search: [{ query: 'q' }],
  // The model's own program is its business (the image is the operator's choice); the wrapper needs sh.
  exec: [{ command: 'true', cwd: '.' }],
};

/** Every command a call runs: `run()` with an exec that records and answers "ok, no such file". */
async function commandsOf(spec: ToolSpec, params: Record<string, unknown>): Promise<ToolCommand[]> {
  const seen: ToolCommand[] = [];
  if (spec.run === undefined) return [spec.command(params, CTX)];
  await spec.run(params, CTX, async (command): Promise<CommandResult> => {
    seen.push(command);
    const exitCode = command.argv[0] === 'test' ? 1 : 0;
    return { exitCode, stdout: 'x', stderr: '', truncated: false };
  });
  return seen;
}

/** argv[0], what `find -exec` runs, and each utility named in a constant `sh -c` script. */
function programsCalled(command: ToolCommand): Set<string> {
  const argv = command.argv;
  const called = new Set([argv[0] as string]);
  argv.forEach((arg, i) => {
    if (arg === '-exec' && argv[i + 1] !== undefined) called.add(argv[i + 1] as string);
  });
  if (argv[0] === 'sh' && argv[1] === '-c') {
    for (const script of argv.slice(2).filter((a) => a.includes('\n') || a.includes(';'))) {
      for (const u of UTILITIES) if (new RegExp(`(^|[\\s|;({])${u}(\\s|$)`, 'm').test(script)) called.add(u);
    }
  }
  return called;
}

describe('tool programs', () => {
  it.each(BUILTIN_TOOLS.map((s) => [s.name, s] as const))(
    '%s declares every program its commands and scripts call',
    async (name, spec) => {
      const declared = new Set(spec.programs ?? []);
      const called = new Set<string>();
      for (const params of CALLS[name] ?? []) {
        for (const command of await commandsOf(spec, params)) for (const p of programsCalled(command)) called.add(p);
      }
      expect(called.size).toBeGreaterThan(0);
      expect([...called].filter((p) => !declared.has(p))).toEqual([]);
    },
  );

  it('the web tools need curl and dd; the file tools need busybox programs, never curl', () => {
    const byName = new Map(BUILTIN_TOOLS.map((s) => [s.name, s.programs ?? []]));
    expect(byName.get('fetch_url')).toEqual(expect.arrayContaining(['sh', 'curl', 'dd']));
    expect(byName.get('file_read')).toEqual(expect.arrayContaining(['sh', 'cat', 'sed', 'stat']));
    for (const name of ['file_read', 'file_write', 'file_edit', 'grep', 'find', 'list'])
      expect(byName.get(name)).not.toContain('curl');
  });
});
