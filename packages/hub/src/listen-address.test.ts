import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseListenAddress, removeStaleSocket } from './listen-address';
import { resolveHubOptions } from './hub-options';

describe('parseListenAddress', () => {
  test.each([
    ['unix:///tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock', bindTarget: 'unix:/tmp/x.sock' }],
    ['unix:/tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock', bindTarget: 'unix:/tmp/x.sock' }],
    ['127.0.0.1:0', { kind: 'tcp', host: '127.0.0.1', port: 0, bindTarget: '127.0.0.1:0' }],
  ])('%s', (input, expected) => expect(parseListenAddress(input)).toEqual(expected));

  test.each(['unix:rel.sock', 'nohost', 'h:99999'])('rejects %p', (input) => {
    expect(() => parseListenAddress(input)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test('never removes a regular file in place of a stale socket', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-addr-'));
    try {
      const file = join(dir, 'not-a-socket');
      writeFileSync(file, 'x');
      expect(() => removeStaleSocket(file)).toThrow(/not a socket/);
      expect(() => removeStaleSocket(join(dir, 'absent'))).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resolveHubOptions', () => {
  test('defaults', () => {
    expect(resolveHubOptions()).toMatchObject({
      leaseMs: 30000,
      maxReceiveMessageBytes: 104857600,
      dataDir: undefined,
    });
  });
  test.each([
    [{ leaseMs: 0 }, /leaseMs/],
    [{ dataDir: '' }, /dataDir/],
    [{ bearerToken: ' ' }, /bearerToken/],
    [{ shutdownGraceMs: -5 }, /shutdownGraceMs/],
  ])('rejects %p with a TypeError naming the field', (bad, field) => {
    expect(() => resolveHubOptions(bad)).toThrow(TypeError);
    expect(() => resolveHubOptions(bad)).toThrow(field);
  });
});
