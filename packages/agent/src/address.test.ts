import { DEFAULT_HUB_ADDRESS, parseAddress } from './address';

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

  test('the default is the seed socket', () => {
    expect(parseAddress(DEFAULT_HUB_ADDRESS).kind).toBe('unix');
  });

  test.each(['', 'unix:relative.sock', 'no-port', 'host:0', 'host:70000', 'http://x:1'])('rejects %p', (input) => {
    expect(() => parseAddress(input)).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }));
  });
});
