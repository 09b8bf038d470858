import { listValue, parseCommand, renderHelp, stringValue } from './args';
import type { CommandSpec } from './args';
import { WorkerCliError } from './errors';

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

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerCliError);
    expect((err as WorkerCliError).exitCode).toBe(2);
    return (err as WorkerCliError).message;
  }
  throw new Error('expected a usage error');
}

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
    expect(usage(() => parseCommand(spec, ['grep', '--nope']))).toContain("Unknown option '--nope'");
    expect(usage(() => parseCommand(spec, []))).toBe('missing argument: usage: worker run <tool>');
    expect(usage(() => parseCommand(spec, ['a', 'b']))).toBe('unexpected argument "b": usage: worker run <tool>');
  });

  it('accepts --help without positionals and renders every flag', () => {
    expect(parseCommand(spec, ['--help']).help).toBe(true);
    const help = renderHelp(spec);
    expect(help).toContain('Usage: worker run <tool>');
    expect(help).toMatch(/--param KEY=VALUE\s+a parameter \[repeatable\]/);
    expect(help).toMatch(
      /--dial-timeout DURATION\s+timeout for connecting to the orchestrator \(default 30s; env WORKER_DIAL_TIMEOUT\)/,
    );
    expect(help).toContain('-h, --help');
  });
});
