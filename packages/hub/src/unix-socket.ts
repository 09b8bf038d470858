import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { inspectSocketPath } from '@baaaht/proto';
import { HubError, HubListenError } from './errors';

/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const STAGE_SUFFIX = '/.bind-XXXXXX/s'.length;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Connects once: `live` when something accepts, `stale` on ECONNREFUSED (a
 * socket file nobody listens on), `unknown` for anything else (permission
 * denied, timeout with a full backlog): treated as live, never unlinked.
 */
export function probeSocket(path: string, timeoutMs: number): Promise<'live' | 'stale' | 'absent' | 'unknown'> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (verdict: 'live' | 'stale' | 'absent' | 'unknown'): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => done('unknown'), timeoutMs);
    socket.once('connect', () => done('live'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' ? 'stale' : err.code === 'ENOENT' ? 'absent' : 'unknown'),
    );
  });
}

/**
 * Makes `path` free for a new socket: nothing there is fine; a stale socket
 * (nobody answers) is removed; a live socket is ADDRESS_IN_USE; anything that
 * is not a socket is NOT_A_SOCKET and left untouched.
 */
export async function clearSocketPath(path: string, probeTimeoutMs: number): Promise<void> {
  const before = lstatOrUndefined(path);
  if (before === undefined) return;
  if (!before.isSocket())
    throw new HubListenError(
      'NOT_A_SOCKET',
      path,
      `address: ${path} exists and is not a socket (owner uid ${before.uid}); refusing to touch it: remove it or choose another --listen path`,
    );
  const probe = await probeSocket(path, probeTimeoutMs);
  if (probe === 'absent') return;
  if (probe !== 'stale')
    throw new HubListenError(
      'ADDRESS_IN_USE',
      path,
      `address in use: ${path} answers (owner uid ${before.uid})${probe === 'unknown' ? ' or cannot be probed' : ''}; stop that orchestrator or choose another --listen path`,
    );
  // Remove only the stale file we probed, not one a new server bound in the meantime.
  const now = lstatOrUndefined(path);
  if (now && now.ino === before.ino && now.dev === before.dev) unlinkSync(path);
}

/**
 * Creates a missing socket directory (0700, or 0710 with the socket's group so
 * its members can reach the socket), then insists that the directory, as
 * workers will see it, is controlled by this user or root.
 */
export function ensureSocketDirectory(dir: string, gid: number | undefined): void {
  if (lstatOrUndefined(dir) === undefined) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, gid === undefined ? 0o700 : 0o710);
    if (gid !== undefined) chownSync(dir, -1, gid);
  }
  const placement = inspectSocketPath(dir, { expect: 'directory' });
  if (placement.verdict !== 'trusted')
    throw new HubListenError(
      'UNTRUSTED_SOCKET_DIR',
      dir,
      `socket directory ${dir}: ${placement.problem ?? 'does not exist'}; workers would refuse a socket there; fix: ${placement.fix ?? `create ${dir}`}`,
    );
}

/** A socket we published: removed at close only if the path still names this very inode. */
export interface PublishedSocket {
  path: string;
  dev: number;
  ino: number;
}

/**
 * Binding in place would leave the socket at `0777 & ~umask` until a chmod,
 * reachable by anyone in that window. Instead the server binds inside a fresh
 * 0700 directory next to the target (unreachable to others whatever the
 * socket's mode), the socket is chmod-ed (and chown-ed to the group), and only
 * then hard-linked to the real path. link(2), unlike rename(2), never replaces
 * an existing file, so a server that appeared meanwhile is not clobbered.
 *
 * State: `staged` (the server binds `bindPath`), then `published` (`publish()`: linked into place) or
 * `discarded` (`discard()`); the staging directory is gone in both final states.
 */
export class StagedSocket {
  readonly bindPath: string;
  private readonly tempDir: string;

  constructor(readonly path: string) {
    if (path.length > MAX_SOCKET_PATH - STAGE_SUFFIX)
      throw new HubError(
        'INVALID_ARGUMENT',
        `address: unix socket path ${path} is too long (at most ${MAX_SOCKET_PATH - STAGE_SUFFIX} characters, so it can be bound safely)`,
      );
    this.tempDir = mkdtempSync(join(dirname(path), '.bind-'));
    this.bindPath = join(this.tempDir, 's');
  }

  /** Sets the final mode (and group), links the socket into place, removes the staging directory. */
  publish(mode: number, gid: number | undefined): PublishedSocket {
    try {
      chmodSync(this.bindPath, mode);
      if (gid !== undefined) chownSync(this.bindPath, -1, gid);
      try {
        linkSync(this.bindPath, this.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        throw new HubListenError(
          'ADDRESS_IN_USE',
          this.path,
          `address in use: ${this.path} appeared while binding (owner uid ${lstatSync(this.path).uid})`,
          { cause: err },
        );
      }
      const st = lstatSync(this.path);
      return { path: this.path, dev: st.dev, ino: st.ino };
    } finally {
      this.discard();
    }
  }

  discard(): void {
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** Unlinks our socket unless something else has taken the path since. */
export function removePublishedSocket(socket: PublishedSocket): void {
  const st = lstatOrUndefined(socket.path);
  if (st && st.isSocket() && st.ino === socket.ino && st.dev === socket.dev) unlinkSync(socket.path);
}
