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
  /** Idempotent. */
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
    return {
      path: real,
      uid: st.uid,
      gid: st.gid,
      dev: st.dev,
      ino: st.ino,
      close: () => {
        if (open) fs.closeSync(fd);
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

/**
 * Opens a judged directory again (no symlink in its last component) and proves it is still the inode
 * `dev`/`ino` that was judged: its descriptor (the caller closes it), or why not, in words (not a directory,
 * a symlink, gone, or replaced). The gVisor tier mounts such descriptors (descriptor-mounts.ts).
 */
export function openJudgedDirectory(hostPath: string, dev: number, ino: number): { fd: number } | { error: string } {
  let fd: number;
  try {
    fd = fs.openSync(hostPath, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return { error: 'it is not a directory' };
    if (code === 'ELOOP') return { error: 'it became a symlink' };
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const st = fs.fstatSync(fd);
  if (st.dev !== dev || st.ino !== ino) {
    fs.closeSync(fd);
    return { error: 'it was replaced after it was checked (a path component was renamed or swapped for a symlink)' };
  }
  return { fd };
}
