import os from 'node:os';
import { parseCommand } from './args';
import { runCommand } from './commands/run-command';
import { execCommand } from './commands/exec-command';
import { prepareToolCall } from './tool-call';
import { usageMessage } from './test-support/usage-error';

const dir = os.tmpdir();
const prepare = (args: string[], spec = runCommand) => prepareToolCall(parseCommand(spec, args), {}, '--tool-image');

describe('exec shortcuts: --command and --argv', () => {
  it("--command is exec's command parameter, in worker run and orchestrator exec alike", () => {
    for (const spec of [runCommand, execCommand]) {
      const call = prepare(['exec', '--mount', dir, '--command', 'echo hi | tr a-z A-Z', '--param', 'cwd=.'], spec);
      expect(call.params).toEqual({ command: 'echo hi | tr a-z A-Z', cwd: '.' });
    }
  });

  it('--argv words make argv in order, verbatim; a word starting with a dash goes as --argv=-x', () => {
    const call = prepare(['exec', '--mount', dir, '--argv', 'printf', '--argv=-%s|', '--argv', 'a b', '--argv', '']);
    expect(call.params).toEqual({ argv: ['printf', '-%s|', 'a b', ''], cwd: '.' });
    expect(usageMessage(() => prepare(['exec', '--mount', dir, '--argv', 'ls', '--argv', '-l']))).toBe(
      '--argv needs a value; one starting with a dash goes as --argv=-VALUE (see worker run --help)',
    );
  });

  it('refuses both at once, either on another tool, and either beside a --param that gives the command', () => {
    expect(usageMessage(() => prepare(['exec', '--mount', dir, '--command', 'true', '--argv', 'true']))).toBe(
      '--command: not with --argv: give a shell command line or argv words, not both',
    );
    expect(usageMessage(() => prepare(['grep', '--mount', dir, '--command', 'x', '--param', 'pattern=x']))).toBe(
      '--command: only for the exec tool (grep takes --param)',
    );
    expect(usageMessage(() => prepare(['exec', '--mount', dir, '--argv', 'true', '--param', 'command=true']))).toBe(
      '--argv: not with --param command: give the command once',
    );
    expect(
      usageMessage(() => prepare(['exec', '--mount', dir, '--command', 'true', '--param-json', 'argv=["x"]'])),
    ).toBe('--command: not with --param argv: give the command once');
  });

  it('an empty --command is the catalog’s invalid parameter, like --param command=', () => {
    expect(() => prepare(['exec', '--mount', dir, '--command', ''])).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMS' }) as Error,
    );
  });
});
