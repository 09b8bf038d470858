import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pinWorkspace } from './workspace-source';

let dir: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-pin-')));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function pinned(source: string): Exclude<ReturnType<typeof pinWorkspace>, { error: string }> {
  const p = pinWorkspace(source);
  if ('error' in p) throw new Error(p.error);
  return p;
}

it('reads the real path back from the open descriptor and identifies the directory by device and inode', () => {
  const ws = path.join(dir, 'ws');
  fs.mkdirSync(ws);
  const p = pinned(ws);
  const st = fs.statSync(ws);
  expect({ path: p.path, dev: p.dev, ino: p.ino, uid: p.uid }).toEqual({
    path: ws,
    dev: st.dev,
    ino: st.ino,
    uid: st.uid,
  });
  p.close();
  p.close();
});

it('a symlinked or dotted source pins its target', () => {
  const ws = path.join(dir, 'real');
  fs.mkdirSync(ws);
  fs.symlinkSync(ws, path.join(dir, 'link'));
  expect(pinned(path.join(dir, 'link')).path).toBe(ws);
  expect(pinned(`${dir}/link/../real`).path).toBe(ws);
});

it('the path reported is the one the directory has now, not the one it was given', () => {
  const ws = path.join(dir, 'ws');
  fs.mkdirSync(ws);
  const p = pinned(ws);
  fs.renameSync(ws, path.join(dir, 'moved'));
  // Identity stays with the object: what the gate checks is the inode, not the name.
  expect(fs.statSync(path.join(dir, 'moved')).ino).toBe(p.ino);
  p.close();
});

it.each([
  ['missing', (d: string) => path.join(d, 'nope'), /cannot be used/],
  ['relative', () => 'relative/dir', /absolute/],
  ['empty', () => '', /required/],
  ['NUL', (d: string) => `${d}/a\0b`, /NUL/],
  [
    'a regular file',
    (d: string) => {
      fs.writeFileSync(path.join(d, 'f'), 'x');
      return path.join(d, 'f');
    },
    /not a directory/,
  ],
  [
    'a FIFO',
    (d: string) => {
      execFileSync('mkfifo', [path.join(d, 'fifo')]);
      return path.join(d, 'fifo');
    },
    /not a directory/,
  ],
])('refuses %s with a clear error', (_name, make, message) => {
  const p = pinWorkspace(make(dir));
  expect(p).toEqual({ error: expect.stringMatching(message) });
});
