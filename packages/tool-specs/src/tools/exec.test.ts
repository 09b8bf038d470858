import { exec, EXEC_CWD_EXIT, EXEC_WRAPPER_SCRIPT, envNameDenial, signalOfExitCode, validateToolCall } from '../index';
import type { ExecParams } from '../index';
import { ctx, fakeRunner, HOSTILE, ok, validParams } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): ExecParams => validParams<ExecParams>('exec', params);
const refusal = (params: Record<string, unknown>): string[] => {
  const v = validateToolCall('exec', params);
  return v.ok ? [] : v.errors.map((e) => `${e.path}: ${e.message}`);
};
const noProxy = { ...ctx, egressProxy: undefined };

describe('exec parameters', () => {
  it('takes exactly one of command and argv', () => {
    expect(refusal({ command: 'ls' })).toEqual([]);
    expect(refusal({ argv: ['ls', '-l'] })).toEqual([]);
    expect(refusal({})).toEqual([': give exactly one of command (a shell command line) and argv (no shell)']);
    expect(refusal({ command: 'ls', argv: ['ls'] })).toHaveLength(1);
    // OpenAI strict mode sends null for the one it leaves out.
    expect(refusal({ command: null, argv: ['ls'] })).toEqual([]);
    expect(refusal({ command: '' })).toEqual(['/command: must not be empty']);
    expect(refusal({ argv: [] })).toEqual(['/argv: must have at least 1 items']);
    expect(refusal({ argv: ['a\0b'] })).toEqual(['/argv/0: must not contain NUL bytes']);
    expect(refusal({ command: 'echo \0' })).toEqual(['/command: must not contain NUL bytes']);
  });

  it('keeps cwd inside the workspace, normalised like every other path', () => {
    expect(validated({ command: 'ls', cwd: 'src/../lib/' }).cwd).toBe('lib');
    expect(validated({ command: 'ls', cwd: '/workspace/a' }).cwd).toBe('a');
    expect(validated({ command: 'ls' }).cwd).toBe('.');
    expect(refusal({ command: 'ls', cwd: '../x' })[0]).toMatch(/^\/cwd: must stay inside the workspace/);
    expect(refusal({ command: 'ls', cwd: 'a/../../x' })[0]).toMatch(/^\/cwd: must stay inside the workspace/);
    expect(refusal({ command: 'ls', cwd: '/etc' })[0]).toMatch(/^\/cwd: absolute paths must be inside \/workspace/);
  });

  it('validates env names and values, refusing the deny-list', () => {
    expect(refusal({ command: 'env', env: { FOO_1: 'x y', _a: '', lower: 'ok' } })).toEqual([]);
    expect(refusal({ command: 'env', env: { '1X': 'a' } })).toEqual([
      '/env/1X: name must match /^[A-Za-z_][A-Za-z0-9_]*$/',
    ]);
    expect(refusal({ command: 'env', env: { 'A-B': 'a', 'A=B': 'c' } })).toHaveLength(2);
    expect(refusal({ command: 'env', env: { A: 'a\0b' } })).toEqual(['/env/A: must not contain NUL bytes']);
    expect(refusal({ command: 'env', env: { A: 1 } })).toEqual(['/env/A: must be a string (got number)']);
    for (const name of [
      'PATH',
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'ld_audit',
      'BAAAHT_PIN_IDS',
      'IFS',
      'BASH_ENV',
      'ENV',
    ])
      expect(refusal({ command: 'env', env: { [name]: '/x' } })).toEqual([
        `/env/${name}: ${envNameDenial(name) ?? 'not denied'}`,
      ]);
    expect(envNameDenial('LD_PRELOAD')).toMatch(/dynamic loader/);
    expect(envNameDenial('BAAAHT_X')).toMatch(/reserved for the executor/);
    expect(envNameDenial('PATHS')).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, '']));
    expect(refusal({ command: 'env', env: many })).toEqual(['/env: must have at most 64 entries']);
    expect(refusal({ command: 'env', env: { A: 'x'.repeat(32 * 1024 + 1) } })).toEqual([
      '/env/A: must be at most 32768 bytes (UTF-8)',
    ]);
  });

  it('bounds sizes: command, argv items, stdin, timeout', () => {
    expect(refusal({ command: 'x'.repeat(64 * 1024) })).toEqual([]);
    expect(refusal({ command: 'x'.repeat(64 * 1024 + 1) })).toEqual(['/command: must be at most 65536 bytes (UTF-8)']);
    expect(refusal({ argv: Array.from({ length: 1025 }, () => 'a') })).toEqual(['/argv: must have at most 1024 items']);
    expect(refusal({ command: 'cat', stdin: 'é'.repeat(512 * 1024) })).toEqual([]);
    expect(refusal({ command: 'cat', stdin: `${'é'.repeat(512 * 1024)}x` })).toEqual([
      '/stdin: must be at most 1048576 bytes (UTF-8)',
    ]);
    expect(refusal({ command: 'ls', timeout_seconds: 0 })).toEqual(['/timeout_seconds: must be >= 1']);
    expect(refusal({ command: 'ls', timeout_seconds: 601 })).toEqual(['/timeout_seconds: must be <= 600']);
    expect(refusal({ command: 'ls', timeout_seconds: 1.5 })).toHaveLength(1);
    expect(exec.timeoutMsOf?.(validated({ command: 'ls', timeout_seconds: 5 }))).toBe(5000);
    expect(exec.timeoutMsOf?.(validated({ command: 'ls' }))).toBeUndefined();
  });
});

describe('exec command', () => {
  it('runs command through /bin/sh -c inside the sandbox, after the constant cwd wrapper', () => {
    const c = exec.command(validated({ command: 'echo hi | wc -c', cwd: 'src' }), noProxy);
    expect(c.argv).toEqual([
      'sh',
      '-c',
      EXEC_WRAPPER_SCRIPT,
      'exec',
      '/workspace/src',
      '/bin/sh',
      '-c',
      'echo hi | wc -c',
    ]);
    expect(c.stdin).toBeUndefined();
    expect(c.env).toEqual({});
  });

  it('passes argv verbatim: hostile values stay single arguments, never shell code', () => {
    const c = exec.command(validated({ argv: ['printf', '%s\\n', ...HOSTILE] }), noProxy);
    expect(c.argv.slice(0, 5)).toEqual(['sh', '-c', EXEC_WRAPPER_SCRIPT, 'exec', '/workspace']);
    expect(c.argv.slice(5)).toEqual(['printf', '%s\\n', ...HOSTILE]);
  });

  it('passes env and stdin; egress adds the proxy variables', () => {
    const c = exec.command(validated({ command: 'cat', env: { A: '1' }, stdin: 'in' }), noProxy);
    expect(c.env).toEqual({ A: '1' });
    expect(c.stdin).toBe('in');
    expect(exec.command(validated({ command: 'curl x' }), ctx).env).toMatchObject({
      ALL_PROXY: ctx.egressProxy,
      https_proxy: ctx.egressProxy,
    });
  });

  it('re-checks unvalidated parameters', () => {
    expect(() => exec.command({ command: 'a', argv: ['b'] }, noProxy)).toThrow(/exactly one/);
    expect(() => exec.command({ command: 'ls', cwd: '../up' }, noProxy)).toThrow(/must stay inside the workspace/);
    expect(() => exec.command({ command: 'ls', env: { LD_PRELOAD: 'x' } }, noProxy)).toThrow(/dynamic loader/);
  });
});

describe('exec run', () => {
  it('reports a clean exit with the structured result', async () => {
    const { exec: run } = fakeRunner(ok('hi\n', { droppedBytes: { stdout: 0, stderr: 0 } }));
    const out = await exec.run?.(validated({ command: 'echo hi' }), noProxy, run);
    expect(out).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    expect(out).not.toHaveProperty('error');
    expect(out?.structured).toEqual({
      exitCode: 0,
      signal: null,
      stdout: { truncated: false, droppedBytes: 0 },
      stderr: { truncated: false, droppedBytes: 0 },
    });
  });

  it('fails a non-zero exit with its code, a signal exit with its name, keeping output', async () => {
    const three = await exec.run?.(
      validated({ command: 'exit 3' }),
      noProxy,
      fakeRunner(ok('o', { exitCode: 3 })).exec,
    );
    expect(three).toMatchObject({ exitCode: 3, stdout: 'o', error: { code: 'NONZERO_EXIT' } });
    expect(three?.error?.message).toBe('the command exited with code 3');
    const killed = await exec.run?.(
      validated({ command: 'kill -9 $$' }),
      noProxy,
      fakeRunner(ok('', { exitCode: 137, droppedBytes: { stdout: 10, stderr: 0 } })).exec,
    );
    expect(killed?.error).toEqual({
      code: 'KILLED_BY_SIGNAL',
      message: 'the command was killed by SIGKILL (exit code 137)',
    });
    expect(killed?.structured).toMatchObject({ signal: 'SIGKILL', stdout: { truncated: true, droppedBytes: 10 } });
  });

  it('turns the wrapper marker into a file-system code, and only the exact marker', async () => {
    const missing = ok('', { exitCode: EXEC_CWD_EXIT, stderr: 'baaaht-exec:cwd:NOT_FOUND\n' });
    const out = await exec.run?.(validated({ command: 'ls', cwd: 'nope' }), noProxy, fakeRunner(missing).exec);
    expect(out?.error).toEqual({ code: 'NOT_FOUND', message: 'cwd nope does not exist in the workspace' });
    const faked = ok('', { exitCode: EXEC_CWD_EXIT, stderr: 'noise\nbaaaht-exec:cwd:NOT_FOUND\n' });
    const real = await exec.run?.(validated({ command: 'x' }), noProxy, fakeRunner(faked).exec);
    expect(real?.error?.code).toBe('NONZERO_EXIT');
  });

  it('names signals from exit codes 129 to 159 only', () => {
    expect(signalOfExitCode(137)).toBe('SIGKILL');
    expect(signalOfExitCode(143)).toBe('SIGTERM');
    expect(signalOfExitCode(129)).toBe('SIGHUP');
    expect(signalOfExitCode(128)).toBeNull();
    expect(signalOfExitCode(3)).toBeNull();
    expect(signalOfExitCode(213)).toBeNull();
  });
});
