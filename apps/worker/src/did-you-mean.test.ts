import { closest, didYouMean, editDistance } from './did-you-mean';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['orchestrator-adr', 'orchestrator-addr', 1],
    ['paarm', 'param', 1],
    ['ab', 'ba', 1],
    ['same', 'same', 0],
  ])('%j -> %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  const flags = ['orchestrator-addr', 'log-level', 'log-format', 'log-output', 'mount', 'json'];

  it('finds a near miss, a transposition and a unique prefix', () => {
    expect(closest('orchestrator-adr', flags)).toBe('orchestrator-addr');
    expect(closest('log-fromat', flags)).toBe('log-format');
    expect(closest('mout', flags)).toBe('mount');
    expect(closest('orch', flags)).toBe('orchestrator-addr');
  });

  it('stays quiet when nothing is close or a prefix is ambiguous', () => {
    expect(closest('nope', flags)).toBeUndefined();
    expect(closest('log', flags)).toBeUndefined();
    expect(closest('x', flags)).toBeUndefined();
    expect(closest('anything', [])).toBeUndefined();
  });

  it('renders the hint', () => {
    expect(didYouMean('jsn', flags, (f) => `--${f}`)).toBe('; did you mean --json?');
    expect(didYouMean('zzzzzz', flags)).toBe('');
  });
});
