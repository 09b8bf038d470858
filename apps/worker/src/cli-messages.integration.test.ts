/**
 * The CLIs as an operator meets them, run as real processes: help that lists a
 * command's own options first, unknown flags that suggest the right one, an
 * unreachable or refusing orchestrator explained (ENOENT, a stale socket), a
 * refused token that ends the worker with exit 2 and no stack, JSON log lines
 * with each key once, and completion scripts a shell accepts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CliProcess } from './test-support/cli-process';
import { cleanEnv, runCli, startCli } from './test-support/cli-process';

jest.setTimeout(120_000);

let dir: string;
const homes: string[] = [];
const procs: CliProcess[] = [];

/** cleanEnv() makes a HOME per process; remember it so the test removes it. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = cleanEnv(extra);
  homes.push(e['HOME'] as string);
  return e;
}

function start(program: 'orchestrator' | 'worker', args: string[]): CliProcess {
  const proc = startCli(program, args, { env: env() });
  procs.push(proc);
  return proc;
}

const run = (program: 'orchestrator' | 'worker', args: string[]) => runCli(program, args, { env: env() });

/** Duplicate keys at the top level of one JSON line (JSON.parse would silently keep the last). */
function duplicateKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(line.slice(i + 1, j));
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys.filter((k, i) => keys.indexOf(k) !== i);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-cli-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  fs.rmSync(dir, { recursive: true, force: true });
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

describe('help and unknown flags', () => {
  test('an unknown flag names the nearest one of that command and exits 2', async () => {
    const worker = await run('worker', ['--orchestrator-adr', 'unix:///x.sock']);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toBe(
      'worker: unknown option --orchestrator-adr; did you mean --orchestrator-addr? (see worker --help)\n',
    );
    const exec = await run('orchestrator', ['exec', 'list', '--mout', '.']);
    expect(exec.code).toBe(2);
    expect(exec.stderr).toBe(
      'orchestrator: unknown option --mout; did you mean --mount? (see orchestrator exec --help)\n',
    );
    const command = await run('worker', ['doctr']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe('worker: unknown command "doctr"; did you mean doctor? (see worker --help)\n');
  });

  test('worker run --help lists its own options, then the daemon options under their heading, in 80 columns', async () => {
    const r = await run('worker', ['run', '--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    const daemon = at('Daemon options');
    expect(daemon).toBeGreaterThan(0);
    for (const own of ['--mount DIR', '--param KEY=VALUE', '--param-json', '--timeout', '--json', '--help'])
      expect(at(own)).toBeLessThan(daemon);
    for (const shared of ['--orchestrator-addr', '--log-format', '--tool-image', '--status-addr'])
      expect(at(shared)).toBeGreaterThan(daemon);
    // Not a terminal: 80 columns; only a single unbreakable word (a path) may run over.
    for (const line of lines) if (line.length > 80) expect(line.trim()).toMatch(/^\S+$/);
  });

  test('the root help lists every command from the table, completion included', async () => {
    const worker = await run('worker', ['--help']);
    for (const c of ['run <tool>', 'tools', 'policy check FILE', 'doctor', 'config', 'completion bash|zsh|fish'])
      expect(worker.stdout).toMatch(new RegExp(`^  ${c.replace(/[|]/g, '\\|')} `, 'm'));
    const orchestrator = await run('orchestrator', ['--help']);
    for (const c of ['serve', 'exec <tool>', 'workers', 'status <taskId>', 'completion bash|zsh|fish'])
      expect(orchestrator.stdout).toMatch(new RegExp(`^  ${c.replace(/[|]/g, '\\|')} `, 'm'));
  });
});

describe('an orchestrator that cannot be reached says what to check', () => {
  /** A socket file with nothing behind it: a hard link outlives the listener's unlink on close. */
  async function staleSocket(): Promise<string> {
    const live = path.join(dir, 'live.sock');
    const stale = path.join(dir, 'stale.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(live, () => r()));
    fs.linkSync(live, stale);
    await new Promise<void>((r) => server.close(() => r()));
    return stale;
  }

  test('orchestrator workers: no socket at the path (ENOENT) and a stale socket (ECONNREFUSED)', async () => {
    const absent = path.join(dir, 'absent.sock');
    const r = await run('orchestrator', ['workers', '--addr', `unix://${absent}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `orchestrator: cannot reach the orchestrator at unix://${absent}: no socket at ${absent} (ENOENT): is \`orchestrator serve\` running with --listen unix://${absent}?\n`,
    );
    const stale = await staleSocket();
    const s = await run('orchestrator', ['workers', '--addr', `unix://${stale}`]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain(`${stale} exists but nothing accepts connections on it (ECONNREFUSED)`);
    for (const out of [r.stderr, s.stderr]) {
      expect(out).not.toContain('Resolution note');
      expect(out.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  test('the worker logs the cause of each failed attempt and gives up with it, without a stack', async () => {
    const absent = path.join(dir, 'gone.sock');
    const r = await run('worker', [
      '--orchestrator-addr',
      `unix://${absent}`,
      '--name',
      `cli-msg-enoent-${process.pid}`,
      '--log-format',
      'json',
      '--reconnect-interval',
      '100ms',
      '--reconnect-max-attempts',
      '1',
    ]);
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const attempts = lines.filter((l) => l['msg'] === 'connection attempt failed');
    expect(attempts.length).toBeGreaterThan(0);
    for (const a of attempts) {
      expect(a).toMatchObject({ errno: 'ENOENT', code: 'CONNECT_FAILED' });
      expect(a['error']).toContain(`no socket at ${absent} (ENOENT)`);
    }
    const gaveUp = lines.find((l) => l['msg'] === 'worker could not connect to the orchestrator; giving up');
    expect(gaveUp).toMatchObject({ code: 'RECONNECT_EXHAUSTED', errno: 'ENOENT' });
    expect(gaveUp?.['err']).toBeUndefined();
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});

describe('a running orchestrator', () => {
  let socket: string;
  let serve: CliProcess;
  beforeAll(async () => {
    socket = path.join(dir, 'hub.sock');
    serve = start('orchestrator', [
      'serve',
      '--listen',
      `unix://${socket}`,
      '--auth-token',
      'right',
      '--log-format',
      'json',
    ]);
    await serve.waitFor(/"msg":"orchestrator listening"/, 90_000);
  });

  test('a worker with the wrong token says the token was refused and exits 2, no stack, no retry', async () => {
    const r = await run('worker', [
      '--orchestrator-addr',
      `unix://${socket}`,
      '--auth-token',
      'wrong',
      '--name',
      `cli-msg-token-${process.pid}`,
      '--reconnect-interval',
      '100ms',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /ERROR +the orchestrator refused the auth token; exiting: give the token `orchestrator serve --auth-token`/,
    );
    expect(r.stdout).not.toContain('connection attempt failed');
    expect(r.stdout).not.toMatch(/\n\s+at /);
    const client = await run('orchestrator', ['workers', '--addr', `unix://${socket}`, '--auth-token', 'wrong']);
    expect(client.code).toBe(2);
    expect(client.stderr).toMatch(
      /^orchestrator: the orchestrator at unix:\/\/\S+ refused the token \(UNAUTHENTICATED\)/,
    );
  });

  test('JSON log lines carry each key once (the orchestrator wrote component twice)', async () => {
    const worker = start('worker', [
      '--orchestrator-addr',
      `unix://${socket}`,
      '--auth-token',
      'right',
      '--name',
      `cli-msg-json-${process.pid}`,
      '--log-format',
      'json',
    ]);
    await worker.waitFor(/"msg":"worker ready"/, 90_000);
    await serve.waitFor(/"msg":"worker connected"/, 30_000);
    worker.child.kill('SIGTERM');
    await worker.exited;
    const lines = [...serve.stdout().trim().split('\n'), ...worker.stdout().trim().split('\n')];
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      expect(duplicateKeys(line)).toEqual([]);
      expect(line.split('"component":').length).toBeLessThanOrEqual(2);
    }
    expect(serve.stdout()).toContain('"component":"hub"');
  });
});

describe('completion scripts', () => {
  const has = (shell: string): boolean => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

  test.each(['worker', 'orchestrator'] as const)(
    '%s: bash accepts the script, registers it and completes from the table',
    async (program) => {
      const r = await run(program, ['completion', 'bash']);
      expect(r.code).toBe(0);
      const file = path.join(dir, `${program}.bash`);
      fs.writeFileSync(file, r.stdout);
      execFileSync('bash', ['-n', file]);
      const probe = [
        `source ${file}`,
        'complete -p ' + program,
        `comp() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _${program}; echo "\${COMPREPLY[*]}"; }`,
        `comp ${program} ''`,
        program === 'worker' ? 'comp worker --log-format ""' : 'comp orchestrator serve --log-format ""',
        program === 'worker' ? 'comp worker run --orchestrator-a' : 'comp orchestrator exec --mou',
      ].join('\n');
      const out = execFileSync('bash', ['-c', probe], { encoding: 'utf8' }).split('\n');
      expect(out[0]).toBe(`complete -o default -F _${program} ${program}`);
      expect(out[1]?.split(' ')).toEqual(
        expect.arrayContaining(
          program === 'worker' ? ['run', 'tools', 'doctor', 'completion'] : ['serve', 'exec', 'workers', 'completion'],
        ),
      );
      expect(out[2]).toBe('json text');
      expect(out[3]).toBe(program === 'worker' ? '--orchestrator-addr' : '--mount');
    },
  );

  test.each(['worker', 'orchestrator'] as const)(
    '%s: zsh and fish scripts pass the shell syntax check (or, without the shell, carry the table)',
    async (program) => {
      for (const shell of ['zsh', 'fish'] as const) {
        const r = await run(program, ['completion', shell]);
        expect(r.code).toBe(0);
        const file = path.join(dir, `${program}.${shell}`);
        fs.writeFileSync(file, r.stdout);
        if (has(shell)) execFileSync(shell, ['-n', file]);
        expect(r.stdout).toContain(shell === 'zsh' ? `compdef _${program} ${program}` : `complete -c ${program} -f`);
        expect(r.stdout).toContain('completion');
        expect(r.stdout).toMatch(/json text/);
      }
      if (has('fish')) {
        const out = execFileSync(
          'fish',
          ['-c', `source ${path.join(dir, `${program}.fish`)}; complete -C "${program} completion "`],
          {
            encoding: 'utf8',
          },
        );
        expect(out.split('\n').map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
      }
    },
  );

  test('an unknown shell is a usage error naming the shells', async () => {
    const r = await run('worker', ['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('worker: unknown shell "tcsh" (expected one of bash, zsh, fish)\n');
  });
});
