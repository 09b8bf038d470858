import { lstatSync, unlinkSync } from 'node:fs';
import { HubError } from './errors';

/** A parsed listen address: grpc-js bind target plus how to report the bound address. */
export type ListenAddress =
  { kind: 'unix'; path: string; bindTarget: string } | { kind: 'tcp'; host: string; port: number; bindTarget: string };

/** Accepts `unix:///abs/path`, `unix:/abs/path` or `host:port` (port 0 picks a free one). */
export function parseListenAddress(address: string): ListenAddress {
  if (address.startsWith('unix:')) {
    const path = address.slice(5).replace(/^\/\/(?=\/)/, '');
    if (!path.startsWith('/'))
      throw new HubError('INVALID_ARGUMENT', `address: unix socket path must be absolute: ${address}`);
    return { kind: 'unix', path, bindTarget: `unix:${path}` };
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535)
    throw new HubError('INVALID_ARGUMENT', `address: expected unix:///path or host:port: ${address}`);
  return { kind: 'tcp', host: m[1] as string, port: Number(m[2]), bindTarget: `${m[1] as string}:${m[2] as string}` };
}

/** Removes a socket file left by a hub that died without cleaning up; refuses to touch anything else. */
export function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new HubError('INVALID_ARGUMENT', `address: ${path} exists and is not a socket`);
  unlinkSync(path);
}
