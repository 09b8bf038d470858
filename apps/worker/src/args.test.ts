import { listValue, parseCommand, renderHelp, stringValue, unknownCommand } from './args';
import type { CommandSpec } from './args';
import { usageMessage } from './test-support/usage-error';

const spec: CommandSpec = {
  name: 'worker run',
  usage: 'worker run <tool>',
  summary: 'Runs a tool.',
  flags: {
    param: { type: 'string', multiple: true, valueName: 'KEY=VALUE', description: 'a parameter' },
    json: { type: 'boolean', description: 'JSON' },
  },
  configFlags: true,
  minPositionals: 1,
  maxPositionals: 1,
};

describe('parseCommand', () => {
  it('parses command flags, config flags and positionals', () => {
    const p = parseCommand(spec, [
      'grep',
      '--param',
      'a=1',
      '--param',
      'b=2',
      '--json',
      '--tool-image',
      'x=y',
      '--log-level',
      'debug',
    ]);
    expect(p.positionals).toEqual(['grep']);
    expect(listValue(p.values, 'param')).toEqual(['a=1', 'b=2']);
    expect(p.values['json']).toBe(true);
    expect(listValue(p.values, 'tool-image')).toEqual(['x=y']);
    expect(stringValue(p.values, 'log-level')).toBe('debug');
  });

  it('refuses unknown flags, missing and extra positionals as usage errors', () => {
    expect(usageMessage(() => parseCommand(spec, ['grep', '--nope']))).toBe(
      'unknown option --nope (see worker run --help)',
    );
    expect(usageMessage(() => parseCommand(spec, []))).toBe('missing argument: usage: worker run <tool>');
    expect(usageMessage(() => parseCommand(spec, ['a', 'b']))).toBe(
      'unexpected argument "b": usage: worker run <tool>',
    );
  });

  it('accepts --help without positionals and renders every flag', () => {
    expect(parseCommand(spec, ['--help']).help).toBe(true);
    // Wide enough that no description wraps (wrapping has its own test below).
    const help = renderHelp(spec, { width: 200 });
    expect(help).toContain('Usage: worker run <tool>');
    expect(help).toMatch(/--param KEY=VALUE\s+a parameter \[repeatable\]/);
    expect(help).toMatch(
      /--dial-timeout DURATION\s+timeout for connecting to the orchestrator \(default 30s; env WORKER_DIAL_TIMEOUT\)/,
    );
    expect(help).toContain('-h, --help');
  });
});

describe('unknown flags and commands', () => {
  it('suggests the nearest flag of the command', () => {
    expect(usageMessage(() => parseCommand(spec, ['grep', '--orchestrator-adr', 'x']))).toBe(
      'unknown option --orchestrator-adr; did you mean --orchestrator-addr? (see worker run --help)',
    );
    expect(usageMessage(() => parseCommand(spec, ['grep', '--parma', 'a=1']))).toBe(
      'unknown option --parma; did you mean --param? (see worker run --help)',
    );
    expect(usageMessage(() => parseCommand(spec, ['grep', '-x']))).toBe('unknown option -x (see worker run --help)');
  });

  it('suggests only flags this command has', () => {
    const bare: CommandSpec = { ...spec, configFlags: false };
    expect(usageMessage(() => parseCommand(bare, ['grep', '--log-levl', 'x']))).toBe(
      'unknown option --log-levl (see worker run --help)',
    );
  });

  it('suggests the nearest command', () => {
    const root: CommandSpec = { ...spec, name: 'worker', commands: { run: spec, tools: spec } };
    expect(unknownCommand(root, 'tols').message).toBe(
      'unknown command "tols"; did you mean tools? (see worker --help)',
    );
    expect(unknownCommand(root, 'zzz').message).toBe('unknown command "zzz" (see worker --help)');
    expect(unknownCommand(root, 'x').exitCode).toBe(2);
  });
});

describe('renderHelp', () => {
  it("lists the command's own options first, then the daemon options under their heading", () => {
    const help = renderHelp(spec);
    const lines = help.split('\n');
    const options = lines.indexOf('Options:');
    const daemon = lines.findIndex((l) => l.startsWith('Daemon options'));
    expect(options).toBeGreaterThan(0);
    expect(daemon).toBeGreaterThan(options);
    const at = (flag: string): number => lines.findIndex((l) => l.includes(`--${flag} `) || l.endsWith(`--${flag}`));
    for (const own of ['param', 'json', 'help']) {
      expect(at(own)).toBeGreaterThan(options);
      expect(at(own)).toBeLessThan(daemon);
    }
    for (const shared of ['config', 'orchestrator-addr', 'log-format', 'status-addr'])
      expect(at(shared)).toBeGreaterThan(daemon);
  });

  it('wraps every line to the width asked for, descriptions in their own column', () => {
    for (const width of [40, 60, 80, 120]) {
      const help = renderHelp(spec, { width });
      // Only a single word too long for its column (a path) may overflow, alone on its line.
      for (const line of help.split('\n')) if (line.length > width) expect(line.trim()).toMatch(/^\S+$/);
    }
    const narrow = renderHelp(spec, { width: 72 }).split('\n');
    const start = narrow.findIndex((l) => l.includes('--dial-timeout DURATION'));
    const column = (narrow[start] ?? '').indexOf('timeout for');
    expect(column).toBeGreaterThan(0);
    expect((narrow[start + 1] ?? '').slice(0, column).trim()).toBe('');
    expect(narrow.slice(start, start + 3).join(' ')).toMatch(/timeout for connecting to the\s+orchestrator/);
  });

  it('lists subcommands from the table with their positionals and briefs, and enum choices', () => {
    const root: CommandSpec = {
      name: 'worker',
      usage: 'worker [command]',
      summary: 'Root.',
      flags: {},
      configFlags: false,
      minPositionals: 0,
      maxPositionals: 0,
      commands: {
        run: { ...spec, usage: 'worker run <tool> [--json]', brief: 'run one tool' },
        tools: { ...spec, usage: 'worker tools', summary: 'Lists tools. More words.' },
      },
    };
    const help = renderHelp(root);
    expect(help).toMatch(/Commands:\n {2}run <tool> +run one tool\n {2}tools +Lists tools\.\n/);
    expect(renderHelp(spec, { width: 200 })).toMatch(
      /--log-format FORMAT +log format \(default text; env WORKER_LOG_FORMAT\)\s+\[json\|text\]/,
    );
  });
});
