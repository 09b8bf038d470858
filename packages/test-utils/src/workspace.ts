import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempWorkspaceOptions {
  /** Files to create, relative path -> content. */
  files?: Record<string, string | Buffer>;
  /** chown the workspace (recursively) to this uid:gid. @default unchanged (the test runner's user) */
  owner?: { uid: number; gid: number };
}

export interface TempWorkspace {
  dir: string;
  path(rel: string): string;
  read(rel: string): string;
  cleanup(): void;
}

/** A throwaway workspace directory under the OS temp dir. */
export function createTempWorkspace(options: TempWorkspaceOptions = {}): TempWorkspace {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-ws-')));
  for (const [rel, content] of Object.entries(options.files ?? {})) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  if (options.owner) chownRecursive(dir, options.owner.uid, options.owner.gid);
  return {
    dir,
    path: (rel) => path.join(dir, rel),
    read: (rel) => fs.readFileSync(path.join(dir, rel), 'utf8'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function chownRecursive(p: string, uid: number, gid: number): void {
  fs.lchownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) {
    for (const entry of fs.readdirSync(p)) chownRecursive(path.join(p, entry), uid, gid);
  }
}
