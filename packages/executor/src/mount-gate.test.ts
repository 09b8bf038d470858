import { gatedCommand, gateRefused, GATE_EXIT_CODE, mountPinRefusal, mountPinSupport } from './mount-gate';

describe('gatedCommand', () => {
  const pins = [
    { target: '/workspace', dev: 65024, ino: 42 },
    { target: '/workspace/.git', dev: 65024, ino: 43 },
  ];

  it('runs a constant script and passes the tool argv through unchanged, element by element', () => {
    const argv = ['grep', '-e', '$(rm -rf /)', '--', "a'b\nc", '*'];
    const g = gatedCommand(argv, pins, 'n0nce');
    expect(g.argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(g.argv[3]).toBe('baaaht-gate');
    expect(g.argv.slice(4)).toEqual(argv);
    // The script is the same whatever the argv: no parameter ever reaches it.
    expect(gatedCommand(['cat', 'x'], pins, 'other').argv[2]).toBe(g.argv[2]);
    expect(g.argv[2]).toContain('exec "$@"');
  });

  it('carries the targets, identities and nonce in the environment', () => {
    expect(gatedCommand(['true'], pins, 'n0nce').env).toEqual([
      'BAAAHT_PIN_PATHS=/workspace\n/workspace/.git',
      'BAAAHT_PIN_IDS=65024:42\n65024:43',
      'BAAAHT_GATE_NONCE=n0nce',
    ]);
  });
});

describe('gateRefused', () => {
  it('needs both the exit code and the nonce, so a tool cannot forge a refusal', () => {
    expect(gateRefused(GATE_EXIT_CODE, 'baaaht-gate:abc\n', 'abc')).toBe(true);
    expect(gateRefused(GATE_EXIT_CODE, 'baaaht-gate:xyz\n', 'abc')).toBe(false);
    expect(gateRefused(1, 'baaaht-gate:abc\n', 'abc')).toBe(false);
  });
});

it('mountPinSupport: gVisor hides host inode numbers (descriptor mounts there), runc does not (the gate)', () => {
  expect(mountPinSupport('runc')).toBe('gate');
  expect(mountPinSupport('io.containerd.runc.v2')).toBe('gate');
  expect(mountPinSupport('runsc')).toBe('descriptor');
  expect(mountPinSupport('runsc-debug')).toBe('descriptor');
});

it('mountPinRefusal: only under gVisor, and only when the descriptor-mount probe found a problem', () => {
  expect(mountPinRefusal('file_read', 'runc', 'whatever')).toBeUndefined();
  expect(mountPinRefusal('file_read', 'runsc', undefined)).toBeUndefined();
  expect(mountPinRefusal('file_read', 'runsc', 'the engine is remote')).toMatch(
    /^file_read mounts a workspace, and runtime 'runsc' hides host inode numbers.*; the engine is remote\. Run file tools with runc/,
  );
});
