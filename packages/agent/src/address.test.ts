import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HUB_ADDRESS, assertTrustedSocket, defaultHubAddress, parseAddress } from './address';

describe('parseAddress', () => {
  test.each([
    [
      'unix:///tmp/baaaht-grpc.sock',
      { kind: 'unix', path: '/tmp/baaaht-grpc.sock', target: 'unix:///tmp/baaaht-grpc.sock' },
    ],
    ['unix:/run/hub.sock', { kind: 'unix', path: '/run/hub.sock', target: 'unix:///run/hub.sock' }],
    ['127.0.0.1:7443', { kind: 'tcp', host: '127.0.0.1', port: 7443, target: '127.0.0.1:7443' }],
    ['localhost:1', { kind: 'tcp', host: 'localhost', port: 1, target: 'localhost:1' }],
    ['[::1]:50051', { kind: 'tcp', host: '[::1]', port: 50051, target: '[::1]:50051' }],
    ['dns:hub.internal:443', { kind: 'tcp', host: 'hub.internal', port: 443, target: 'hub.internal:443' }],
  ])('%s', (input, expected) => {
    expect(parseAddress(input)).toEqual(expected);
  });

  test('the seed socket still parses; the default is the private one', () => {
    expect(parseAddress(DEFAULT_HUB_ADDRESS).kind).toBe('unix');
    expect(defaultHubAddress({ XDG_RUNTIME_DIR: '/run/user/1000' })).toMatch(
      /^unix:\/\/\/run\/(user\/1000\/)?baaaht\/grpc\.sock$/,
    );
  });

  test.each(['', 'unix:relative.sock', 'no-port', 'host:0', 'host:70000', 'http://x:1'])('rejects %p', (input) => {
    expect(() => parseAddress(input)).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }));
  });
});

describe('assertTrustedSocket', () => {
  test('UNTRUSTED_SOCKET names the socket, its owner (uid and name), the directory mode and the fix', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test chowns a socket to another uid: run it as root');
    const dir = mkdtempSync(join(tmpdir(), 'baaaht-agent-sock-'));
    const path = join(dir, 'grpc.sock');
    const server = createServer();
    try {
      await new Promise<void>((resolve) => server.listen(path, resolve));
      expect(() => assertTrustedSocket(path)).not.toThrow();
      chownSync(path, 65534, 65534);
      let caught: unknown;
      try {
        assertTrustedSocket(path);
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ name: 'AgentError', code: 'UNTRUSTED_SOCKET' });
      const message = (caught as Error).message;
      expect(message).toContain(`refusing orchestrator socket ${path}`);
      expect(message).toContain('owner nobody (uid 65534)');
      expect(message).toContain('directory mode 0700');
      expect(message).toMatch(/fix: /);
      expect(() => assertTrustedSocket(path, [65534])).not.toThrow();
      expect(() => assertTrustedSocket(join(dir, 'absent.sock'))).not.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
