import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where workers and the dev orchestrator meet when nobody names an address, and
 * whether a Unix socket path can be trusted. Both sides use these helpers so
 * they agree on the default and on the rule.
 */

/** The seed's address. Still accepted explicitly; it lives in world-writable /tmp, so it is no longer the default. */
export const SEED_SOCKET_ADDRESS = 'unix:///tmp/baaaht-grpc.sock';

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

/**
 * The default socket path: `/run/baaaht/grpc.sock` for root, else
 * `$XDG_RUNTIME_DIR/baaaht/grpc.sock`, else `$TMPDIR/baaaht-<uid>/grpc.sock`
 * (the tmux scheme: a per-user private directory, checked like any other).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env, uid: number = currentUid()): string {
  if (uid === 0) return '/run/baaaht/grpc.sock';
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime.startsWith('/')) return join(runtime, 'baaaht', 'grpc.sock');
  const tmp = env['TMPDIR'] !== undefined && env['TMPDIR'].startsWith('/') ? env['TMPDIR'] : '/tmp';
  return join(tmp, `baaaht-${uid}`, 'grpc.sock');
}

/** `unix://` + `defaultSocketPath()`. */
export function defaultSocketAddress(env: NodeJS.ProcessEnv = process.env, uid: number = currentUid()): string {
  return `unix://${defaultSocketPath(env, uid)}`;
}

export interface SocketPlacementOptions {
  /** The uid the check is made for. @default process.getuid() */
  uid?: number;
  /** Owners trusted besides the caller and root (e.g. a dedicated orchestrator user). @default [] */
  trustedUids?: readonly number[];
  /** What the path must name. @default 'socket' */
  expect?: 'socket' | 'directory';
}

/** The verdict on one path. `absent` is not a failure of trust: there is nothing to talk to yet. */
export interface SocketPlacement {
  verdict: 'trusted' | 'untrusted' | 'absent';
  /** The path as given. */
  path: string;
  /** The path after following symlinks, as far as the walk got. */
  resolvedPath: string;
  /** For `untrusted`: what is wrong, naming the offending path, owner and mode. */
  problem?: string;
  /** For `untrusted`: how to fix it. */
  fix?: string;
  /** The offending entry (or, when trusted, the final one). */
  entry?: string;
  ownerUid?: number;
  ownerName?: string;
  /** Mode of the directory holding `entry`, octal (e.g. `1777`). */
  directoryMode?: string;
  /** True when the directory holding `entry` is shared (group/other writable, sticky, like /tmp). */
  shared: boolean;
}

/** A user name for a uid from /etc/passwd (Node has no getpwuid); `uid N` when unknown. */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && Number(id) === uid) return name;
    }
  } catch {
    // No passwd file (distroless images): the uid alone will do.
  }
  return `uid ${uid}`;
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');
const MAX_SYMLINKS = 40;

/**
 * Decides whether a Unix socket path is safe to talk to (or, with `expect:
 * 'directory'`, to create a socket in). Walks every component from `/`,
 * following symlinks: each directory must be owned by the caller or root and
 * not writable by group or others unless it is sticky; in a sticky shared
 * directory the next entry must be owned by the caller or root (others cannot
 * rename or unlink it then). The final entry must be a socket (or directory)
 * owned by the caller or root. Because nobody else can replace any entry on a
 * trusted path, the answer stays true between the check and the connect.
 */
export function inspectSocketPath(path: string, options: SocketPlacementOptions = {}): SocketPlacement {
  const uid = options.uid ?? currentUid();
  const extra = options.trustedUids ?? [];
  const trusted = (owner: number): boolean => owner === 0 || owner === uid || extra.includes(owner);
  const expect = options.expect ?? 'socket';
  const selfName = uid === 0 ? 'root' : `${userName(uid)} (uid ${uid}) or root`;

  const refuse = (entry: string, st: Stats, dirMode: number, problem: string, fix: string): SocketPlacement => ({
    verdict: 'untrusted',
    path,
    resolvedPath: entry,
    problem,
    fix,
    entry,
    ownerUid: st.uid,
    ownerName: userName(st.uid),
    directoryMode: octal(dirMode),
    shared: (dirMode & 0o022) !== 0,
  });

  if (!path.startsWith('/')) throw new TypeError(`socket path must be absolute: ${path}`);
  let dir = '/';
  let dirStat = lstatSync('/');
  let pending = path.split('/');
  let hops = 0;
  for (;;) {
    const name = pending.shift();
    if (name === undefined) break;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      dir = dirname(dir);
      dirStat = lstatSync(dir);
      continue;
    }
    const entry = join(dir, name);
    let st: Stats;
    try {
      st = lstatSync(entry);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { verdict: 'absent', path, resolvedPath: join(entry, ...pending), shared: (dirStat.mode & 0o022) !== 0 };
      throw err;
    }
    const sharedDir = (dirStat.mode & 0o022) !== 0;
    const ownerText = `${userName(st.uid)} (uid ${st.uid})`;
    if (sharedDir && !trusted(st.uid))
      return refuse(
        entry,
        st,
        dirStat.mode,
        `${entry} is owned by ${ownerText} in shared directory ${dir} (mode ${octal(dirStat.mode)}), so that user controls it`,
        `use a private directory (the default: a 0700 directory under $XDG_RUNTIME_DIR or /run), or remove ${entry} and let ${selfName} create it`,
      );
    const last = pending.every((p) => p === '' || p === '.');
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINKS)
        return refuse(entry, st, dirStat.mode, `${path}: too many symlinks`, 'point the address at the socket itself');
      const target = readlinkSync(entry);
      if (target.startsWith('/')) {
        dir = '/';
        dirStat = lstatSync('/');
      }
      pending = [...target.split('/'), ...pending];
      continue;
    }
    if (last) {
      const wanted = expect === 'socket' ? st.isSocket() : st.isDirectory();
      if (!wanted)
        return refuse(
          entry,
          st,
          dirStat.mode,
          `${entry} is not a ${expect === 'socket' ? 'socket' : 'directory'}`,
          `check the address; nothing but the orchestrator's ${expect} belongs at ${entry}`,
        );
      if (!trusted(st.uid))
        return refuse(
          entry,
          st,
          dirStat.mode,
          `${entry} is owned by ${ownerText}, not by ${selfName}`,
          `run the orchestrator as ${selfName}, or trust its owner explicitly`,
        );
      if (expect === 'directory' && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
        return refuse(
          entry,
          st,
          st.mode,
          `${entry} (mode ${octal(st.mode)}) is writable by others and not sticky: anyone may replace the socket`,
          `chmod go-w ${entry}`,
        );
      return {
        verdict: 'trusted',
        path,
        resolvedPath: entry,
        entry,
        ownerUid: st.uid,
        ownerName: userName(st.uid),
        directoryMode: octal(dirStat.mode),
        shared: sharedDir,
      };
    }
    if (!st.isDirectory())
      return refuse(entry, st, dirStat.mode, `${entry} is not a directory`, `check the address ${path}`);
    if (!trusted(st.uid))
      return refuse(
        entry,
        st,
        dirStat.mode,
        `directory ${entry} is owned by ${ownerText}, not by ${selfName}, so that user can replace the socket`,
        `put the socket in a directory owned by ${selfName} (the default is private)`,
      );
    const writable = (st.mode & 0o022) !== 0;
    if (writable && (st.mode & 0o1000) === 0)
      return refuse(
        entry,
        st,
        st.mode,
        `directory ${entry} (mode ${octal(st.mode)}) is writable by group or others without the sticky bit, so anyone there can replace the socket`,
        `chmod go-w ${entry} (or chmod +t), or use the private default directory`,
      );
    dir = entry;
    dirStat = st;
  }
  // The path named `/` (or only `.`/`..`): never a socket.
  return refuse(dir, dirStat, dirStat.mode, `${path} is not a ${expect}`, `check the address ${path}`);
}
