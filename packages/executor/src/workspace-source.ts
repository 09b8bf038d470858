import fs from 'node:fs';
import path from 'node:path';

/**
 * A workspace directory held open for the life of a task. `path` is read back from the open descriptor
 * (`/proc/self/fd/N`), so it names the object that was opened, whatever happened to the path given; `dev`
 * and `ino` identify that object, and the in-container identity gate (`mount-gate.ts`) proves the container
 * got exactly it. Holding the descriptor keeps the inode from being freed and reused until `close()`.
 */
export interface PinnedWorkspace {
  /** Real path of the opened directory: the one the policy judges and Docker is given. */
  path: string;
  uid: number;
  gid: number;
  dev: number;
  ino: number;
  /**
   * Opens and holds a directory under the workspace until `close()`: its descriptor, or why not (not a
   * directory, a symlink in its last component, or no longer the inode `dev`/`ino` that was judged).
   */
  hold(hostPath: string, dev: number, ino: number): { fd: number } | { error: string };
  /** Idempotent: closes the workspace and everything `hold` opened. */
  close(): void;
}

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

/**
 * Opens the mount source without following a symlink in its last component (intermediate ones were
 * resolved by realpath; whatever was opened, its true path is read back from the descriptor).
 */
export function pinWorkspace(mountSource: string | undefined): PinnedWorkspace | { error: string } {
  if (mountSource === undefined || mountSource === '')
    return { error: 'mountSource is required for this tool (the host directory mounted at /workspace)' };
  if (!path.isAbsolute(mountSource)) return { error: `mountSource must be an absolute path (got '${mountSource}')` };
  if (mountSource.includes('\0')) return { error: 'mountSource must not contain a NUL byte' };
  let fd: number;
  try {
    fd = fs.openSync(fs.realpathSync(mountSource), OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return { error: `mountSource '${mountSource}' is not a directory` };
    if (code === 'ELOOP')
      return { error: `mountSource '${mountSource}' changed while it was being resolved (it became a symlink)` };
    return {
      error: `mountSource '${mountSource}' cannot be used: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  try {
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    const st = fs.fstatSync(fd);
    // A deleted directory reads back as "/x (deleted)"; nothing sensible can be mounted from it.
    if (!path.isAbsolute(real) || !st.isDirectory() || st.nlink === 0)
      throw new Error('it was removed while being opened');
    let open = true;
    const held: number[] = [];
    return {
      path: real,
      uid: st.uid,
      gid: st.gid,
      dev: st.dev,
      ino: st.ino,
      hold: (hostPath, dev, ino) => {
        if (!open) return { error: 'the workspace was released' };
        let nested: number;
        try {
          nested = fs.openSync(hostPath, OPEN_FLAGS);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOTDIR') return { error: 'it is not a directory' };
          if (code === 'ELOOP') return { error: 'it became a symlink' };
          return { error: err instanceof Error ? err.message : String(err) };
        }
        const got = fs.fstatSync(nested);
        if (got.dev !== dev || got.ino !== ino) {
          fs.closeSync(nested);
          return { error: 'it was replaced after it was checked' };
        }
        held.push(nested);
        return { fd: nested };
      },
      close: () => {
        if (open) for (const n of [fd, ...held.splice(0)]) fs.closeSync(n);
        open = false;
      },
    };
  } catch (err) {
    fs.closeSync(fd);
    return {
      error: `mountSource '${mountSource}' cannot be used: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
