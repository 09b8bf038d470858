import type { CommandSpec } from './args';
import { SHELLS, completionScript } from './completion';
import { OPTIONS } from './config-schema';
import { workerCommand } from './worker-cli';

const leaf = (name: string, extra: Partial<CommandSpec> = {}): CommandSpec => ({
  name: `demo ${name}`,
  usage: `demo ${name}`,
  summary: `Does ${name}.`,
  flags: {},
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
  ...extra,
});

const demo: CommandSpec = {
  ...leaf(''),
  name: 'demo',
  usage: 'demo <command>',
  flags: { verbose: { type: 'boolean', short: 'v', description: "say what's going on" } },
  commands: {
    serve: leaf('serve', {
      flags: {
        'log-format': { type: 'string', valueName: 'FORMAT', description: 'format', choices: ['json', 'text'] },
        data: { type: 'string', valueName: 'DIR', description: 'data [dir]: here' },
      },
    }),
    run: leaf('run', { minPositionals: 1, maxPositionals: 1, positionalChoices: () => ['grep', 'find'] }),
  },
};

describe('completionScript', () => {
  it.each(SHELLS)('%s: every command, flag and enum choice of the table is in the script', (shell) => {
    const script = completionScript(shell, 'demo', demo);
    for (const word of ['serve', 'run', 'log-format', 'data', 'verbose', 'json text', 'grep find'])
      expect(script).toContain(word);
  });

  it('bash: flag values complete per command (choices, directories), commands and positionals as words', () => {
    const script = completionScript('bash', 'demo', demo);
    expect(script).toContain(`'serve --log-format') COMPREPLY=($(compgen -W 'json text' -- "$cur")); return ;;`);
    expect(script).toContain(`'serve --data') COMPREPLY=($(compgen -d -- "$cur")); return ;;`);
    expect(script).toContain(`compgen -W 'serve run' -- "$cur"`);
    expect(script).toContain(`compgen -W 'grep find' -- "$cur"`);
    expect(script).toMatch(/complete -o default -F _demo demo\n$/);
  });

  it('zsh: _arguments specs escape brackets and colons, short flags pair with their long form', () => {
    const script = completionScript('zsh', 'demo', demo);
    expect(script.startsWith('#compdef demo\n')).toBe(true);
    expect(script).toContain(`'--data=[data \\[dir\\]\\: here]:DIR:_files -/'`);
    expect(script).toContain(`'(-v --verbose)'{-v,--verbose}'[say what'\\''s going on]'`);
    expect(script).toContain(`'--log-format=[format]:FORMAT:(json text)'`);
    expect(script).toContain(`'1:run:(grep find)'`);
  });

  it('fish: subcommands only before one is given, options only after theirs', () => {
    const script = completionScript('fish', 'demo', demo);
    expect(script).toContain(`complete -c demo -n __fish_use_subcommand -a serve -d 'Does serve.'`);
    expect(script).toContain(
      `complete -c demo -n '__fish_seen_subcommand_from serve' -l log-format -x -a 'json text' -d 'format'`,
    );
    expect(script).toContain(`complete -c demo -n '__fish_seen_subcommand_from run' -a 'grep find'`);
  });

  it('refuses a name that would not be a plain word in a script', () => {
    const bad: CommandSpec = { ...demo, commands: { 'x;rm': leaf('x') } };
    expect(() => completionScript('bash', 'demo', bad)).toThrow(/unexpected character/);
  });

  it('covers the real worker table: every subcommand, every option, enum choices, tool names', () => {
    const commands = Object.keys(workerCommand.commands ?? {});
    expect(commands).toEqual(
      expect.arrayContaining(['run', 'mcp', 'tools', 'policy', 'doctor', 'config', 'completion']),
    );
    for (const shell of SHELLS) {
      const script = completionScript(shell, 'worker', workerCommand);
      for (const c of commands) expect(script).toContain(c);
      for (const o of OPTIONS) {
        expect(script).toContain(`--${o.flag}`.slice(shell === 'fish' ? 2 : 0));
        if (o.choices) expect(script).toContain(o.choices.join(' '));
      }
      expect(script).toContain('file_read');
    }
  });

  it('picks up a command added to the table without any change here', () => {
    const extended: CommandSpec = {
      ...workerCommand,
      commands: { ...workerCommand.commands, images: leaf('images', { brief: 'build the offline images' }) },
    };
    for (const shell of SHELLS) expect(completionScript(shell, 'worker', extended)).toContain('images');
  });
});
