import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileEdit, fileRead, fileWrite } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import type { ContainerPlan } from './container-config';
import { checkHardlink } from './hardlink-check';
import { checkProtectedWrite, resolveProtectedMounts } from './protected-paths';
import { guardWorkspace } from './workspace-guards';
import { hostRealRelative, resolveInWorkspace } from './workspace-resolve';

let tmp: string;
let ws: string;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-guards-')));
  ws = path.join(tmp, 'ws');
  fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.git', 'config'), '');
  fs.mkdirSync(path.join(ws, 'src'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const plan = (over: Partial<ContainerPlan> = {}): ContainerPlan => ({
  workerId: 'w',
  instanceId: 'i',
  version: '0',
  taskId: 't',
  tool: 'file_write',
  image: 'i',
  user: '1:1',
  workspaceSource: ws,
  workspaceMode: 'readwrite',
  cpus: 1,
  memoryBytes: 1,
  pidsLimit: 1,
  tmpfsBytes: 1,
  readOnlyRootfs: true,
  runtime: 'runc',
  deadlineMs: 0,
  protectedPaths: ['.git'],
  allowHardlinks: false,
  ...over,
});

describe('resolveInWorkspace (the container view)', () => {
  it('follows relative and /workspace symlinks, keeps a missing tail, and reports escapes', () => {
    fs.symlinkSync('.git', path.join(ws, 'rel'));
    fs.symlinkSync('/workspace/.git/hooks', path.join(ws, 'abs'));
    fs.symlinkSync('/etc', path.join(ws, 'etc'));
    fs.symlinkSync('../..', path.join(ws, 'src', 'up'));
    expect(resolveInWorkspace(ws, 'rel/config')).toEqual({ inside: true, relative: '.git/config', exists: true });
    expect(resolveInWorkspace(ws, 'abs/new/x')).toEqual({ inside: true, relative: '.git/hooks/new/x', exists: false });
    expect(resolveInWorkspace(ws, 'etc/passwd')).toMatchObject({ inside: false });
    expect(resolveInWorkspace(ws, 'src/up/x')).toMatchObject({ inside: false });
  });

  it('stops on a symlink loop', () => {
    fs.symlinkSync('b', path.join(ws, 'a'));
    fs.symlinkSync('a', path.join(ws, 'b'));
    expect(resolveInWorkspace(ws, 'a/x')).toMatchObject({ inside: false, reason: expect.stringContaining('too many') });
  });

  it('hostRealRelative resolves the deepest existing ancestor on the host', () => {
    fs.symlinkSync(path.join(ws, '.git'), path.join(ws, 'hostabs'));
    expect(hostRealRelative(ws, 'hostabs/hooks/x')).toBe('.git/hooks/x');
    expect(hostRealRelative(ws, 'src/missing/x')).toBe('src/missing/x');
  });
});

describe('checkProtectedWrite', () => {
  it.each(['.git', '.git/config', '.GIT/config', '.git/new/deep'])('refuses %j', (rel) => {
    expect(checkProtectedWrite(ws, rel, ['.git'])).toMatchObject({ code: 'PROTECTED_PATH' });
  });

  it('refuses through a host-absolute symlink, and allows everything with an empty list', () => {
    fs.symlinkSync(path.join(ws, '.git'), path.join(ws, 'hostabs'));
    expect(checkProtectedWrite(ws, 'hostabs/config', ['.git'])?.message).toContain('resolves to .git/config');
    expect(checkProtectedWrite(ws, '.git/config', [])).toBeUndefined();
    expect(checkProtectedWrite(ws, 'src/a.ts', ['.git'])).toBeUndefined();
  });
});

describe('resolveProtectedMounts', () => {
  it('mounts an existing directory or file with its lstat identity, skips a missing one', () => {
    const st = fs.lstatSync(path.join(ws, '.git'));
    expect(resolveProtectedMounts(ws, ['.git', 'nope', './.git/'])).toEqual({
      mounts: [{ source: path.join(ws, '.git'), target: '/workspace/.git', dev: st.dev, ino: st.ino }],
    });
  });

  it('refuses a protected path that is, or passes through, a symlink', () => {
    fs.rmSync(path.join(ws, '.git'), { recursive: true });
    fs.symlinkSync('/etc', path.join(ws, '.git'));
    expect(resolveProtectedMounts(ws, ['.git'])).toMatchObject({
      refusal: { code: 'PROTECTED_PATH', message: expect.stringContaining('.git is a symlink') },
    });
    fs.symlinkSync('src', path.join(ws, 'conf'));
    expect(resolveProtectedMounts(ws, ['conf/secrets'])).toMatchObject({ refusal: { code: 'PROTECTED_PATH' } });
  });
});

describe('checkHardlink', () => {
  it('refuses a regular file with more than one link, named, also through a symlink', () => {
    fs.writeFileSync(path.join(tmp, 'outside'), 'x');
    fs.linkSync(path.join(tmp, 'outside'), path.join(ws, 'src', 'linked'));
    fs.symlinkSync('src/linked', path.join(ws, 'via'));
    expect(checkHardlink(ws, 'src/linked')).toMatchObject({
      code: 'HARDLINK_REFUSED',
      message: expect.stringContaining('src/linked'),
    });
    expect(checkHardlink(ws, 'via')).toMatchObject({ code: 'HARDLINK_REFUSED' });
    fs.writeFileSync(path.join(ws, 'solo'), 'x');
    expect(checkHardlink(ws, 'solo')).toBeUndefined();
    expect(checkHardlink(ws, 'missing')).toBeUndefined();
    expect(checkHardlink(ws, 'src')).toBeUndefined();
  });
});

describe('guardWorkspace', () => {
  it('refuses writes to protected paths and hard links, and adds the nested binds for read-write tasks', () => {
    const spec = fileWrite as unknown as ToolSpec;
    expect(guardWorkspace(spec, { path: './.git/config', content: '' }, plan())).toMatchObject({
      refusal: { code: 'PROTECTED_PATH' },
    });
    const ok = guardWorkspace(spec, { path: 'src/a', content: '' }, plan());
    expect(ok).toMatchObject({ plan: { protectedMounts: [{ target: '/workspace/.git' }] } });
    expect(guardWorkspace(spec, { path: '.git/config', content: '' }, plan({ protectedPaths: [] }))).toMatchObject({
      plan: { protectedPaths: [] },
    });
  });

  it('a read of .git is fine; read-only tasks get no nested binds; allowHardlinks lets links through', () => {
    fs.writeFileSync(path.join(tmp, 'outside'), 'x');
    fs.linkSync(path.join(tmp, 'outside'), path.join(ws, 'linked'));
    const read = fileRead as unknown as ToolSpec;
    const ro = guardWorkspace(read, { path: '.git/config' }, plan({ workspaceMode: 'readonly' }));
    expect(ro).toEqual({ plan: plan({ workspaceMode: 'readonly' }) });
    expect(guardWorkspace(read, { path: 'linked' }, plan({ workspaceMode: 'readonly' }))).toMatchObject({
      refusal: { code: 'HARDLINK_REFUSED' },
    });
    const edit = fileEdit as unknown as ToolSpec;
    expect(
      guardWorkspace(edit, { path: 'linked', old_string: 'x', new_string: 'y' }, plan({ allowHardlinks: true })),
    ).toMatchObject({
      plan: { allowHardlinks: true },
    });
  });

  it('resolves each target once for its type and its link count (one lstat per component, one of the file)', () => {
    fs.writeFileSync(path.join(tmp, 'outside'), 'x');
    fs.linkSync(path.join(tmp, 'outside'), path.join(ws, 'src', 'linked'));
    fs.writeFileSync(path.join(ws, 'src', 'solo'), 'x');
    const read = fileRead as unknown as ToolSpec;
    const ro = plan({ workspaceMode: 'readonly' });
    const lstat = jest.spyOn(fs, 'lstatSync');
    try {
      expect(guardWorkspace(read, { path: 'src/solo' }, ro)).toEqual({ plan: ro });
      expect(lstat).toHaveBeenCalledTimes(3);
      lstat.mockClear();
      expect(guardWorkspace(read, { path: 'src/linked' }, ro)).toMatchObject({ refusal: { code: 'HARDLINK_REFUSED' } });
      expect(lstat).toHaveBeenCalledTimes(3);
      expect(guardWorkspace(read, { path: 'src' }, ro)).toMatchObject({ failure: { code: 'IS_A_DIRECTORY' } });
    } finally {
      lstat.mockRestore();
    }
  });
});
