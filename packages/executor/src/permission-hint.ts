import { NOBODY_USER } from './container-config';

/**
 * A tool's `PERMISSION_DENIED` says only what it saw. The executor knows who the tool ran as and why,
 * so the model (and the operator reading the result) gets the uid, the reason and the fix.
 *
 * @param message the tool's message, naming the workspace path
 * @param user the container's `uid:gid`
 * @param workspaceUid the owner of the workspace directory, when known
 */
export function permissionDeniedMessage(message: string, user: string, workspaceUid: number | undefined): string {
  const uid = user.split(':')[0] ?? user;
  if (user === NOBODY_USER && workspaceUid === 0) {
    return (
      `${message}: the tool ran as uid ${uid} (nobody), because the workspace is owned by root and tools never ` +
      'run as root; fix: chown the workspace (or this path) to the user the tools should act as, ' +
      'or use a workspace owned by that user'
    );
  }
  if (workspaceUid !== undefined && uid === String(workspaceUid)) {
    return (
      `${message}: the tool ran as uid ${uid}, the workspace owner, and this path does not grant it access; ` +
      `fix: chown or chmod the path so uid ${uid} may use it`
    );
  }
  return (
    `${message}: the tool ran as uid ${uid} (chosen by the policy), and this path does not grant it access; ` +
    `fix: chown or chmod the path so uid ${uid} may use it, or run the tools as the workspace owner`
  );
}
