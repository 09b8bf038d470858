// Issue 11 items 6 and 7 on the real engine: nothing planted in .git through the workspace (refused
// by name and through symlinks before any container, and a read-only nested bind in the container),
// and no hard-linked inode from outside the workspace read or rewritten.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToolCatalog, fileWrite } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { OFFLINE_BUSYBOX_IMAGE } from '@baaaht/test-utils';
import type { Executor } from './executor';
import { hostileTool, openTestExecutor, testRuntime, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

/** file_write without its declared targets: the host-side checks never see its path, only the mount can stop it. */
const uncheckedWrite: ToolSpec = { ...(fileWrite as unknown as ToolSpec), name: 'unchecked_write' };
delete uncheckedWrite.workspaceTargets;

const workerId = testWorkerId('protected');
let ex: Executor;
let tmp: string;
let ws: string;

const catalog = createToolCatalog({ custom: [hostileTool, uncheckedWrite] });

beforeAll(async () => {
  ex = await openTestExecutor(workerId, {
    catalog,
    imageOverrides: {
      file_read: OFFLINE_BUSYBOX_IMAGE,
      file_write: OFFLINE_BUSYBOX_IMAGE,
      file_edit: OFFLINE_BUSYBOX_IMAGE,
      unchecked_write: OFFLINE_BUSYBOX_IMAGE,
    },
  });
});

afterAll(async () => {
  await ex.close();
  expect(workerContainers(workerId)).toEqual([]);
});

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-protect-')));
  ws = path.join(tmp, 'ws');
  fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.git', 'config'), '[core]\n\tbare = false\n');
  fs.writeFileSync(path.join(ws, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  fs.writeFileSync(path.join(ws, 'README.md'), 'hello\n');
  // Tools run as the workspace owner: a non-root owner, so a refused write is the mount, not permissions.
  own(ws);
});

const OWNER = 4242;
function own(p: string): void {
  fs.lchownSync(p, OWNER, OWNER);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) own(path.join(p, e));
}

afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const gitConfig = (): string => fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8');

describe('item 6: protected paths (.git by default)', () => {
  it.each([
    ['.git/hooks/pre-commit'],
    ['./.git/config'],
    ['a/../.git/config'],
    ['.GIT/config'],
    ['.git/'],
    ['/workspace/.git/config'],
  ])('file_write %j is denied with PROTECTED_PATH before any container', async (target) => {
    const r = await ex.executeTask({
      tool: 'file_write',
      params: { path: target, content: '[core]\n\tfsmonitor = touch /tmp/pwned\n' },
      mountSource: ws,
    });
    expect(r).toMatchObject({
      status: 'denied',
      containerId: null,
      error: { code: 'PROTECTED_PATH', detail: 'mounts.protected_paths' },
    });
    expect(r.error?.message).toContain('.git is protected by mounts.protected_paths');
    expect(gitConfig()).toBe('[core]\n\tbare = false\n');
    expect(fs.readFileSync(path.join(ws, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe('#!/bin/sh\nexit 0\n');
  });

  it('the refusal names the file: "refusing to write .git/hooks/pre-commit: .git is protected..."', async () => {
    const r = await ex.executeTask({
      tool: 'file_write',
      params: { path: '.git/hooks/pre-commit', content: 'x' },
      mountSource: ws,
    });
    expect(r.error?.message).toBe(
      'refusing to write .git/hooks/pre-commit: .git is protected by mounts.protected_paths',
    );
  });

  it('file_edit of .git/config is denied', async () => {
    const r = await ex.executeTask({
      tool: 'file_edit',
      params: { path: '.git/config', old_string: 'bare = false', new_string: 'pager = touch /tmp/pwned' },
      mountSource: ws,
    });
    expect(r).toMatchObject({ status: 'denied', containerId: null, error: { code: 'PROTECTED_PATH' } });
    expect(gitConfig()).toBe('[core]\n\tbare = false\n');
  });

  it('a write through a symlink to .git is denied (relative and absolute /workspace targets)', async () => {
    fs.symlinkSync('.git', path.join(ws, 'link'));
    fs.symlinkSync('/workspace/.git/hooks', path.join(ws, 'abs'));
    for (const target of ['link/config', 'abs/post-checkout']) {
      const r = await ex.executeTask({ tool: 'file_write', params: { path: target, content: 'x' }, mountSource: ws });
      expect(r).toMatchObject({ status: 'denied', error: { code: 'PROTECTED_PATH' } });
      expect(r.error?.message).toContain('resolves to .git/');
    }
    expect(gitConfig()).toBe('[core]\n\tbare = false\n');
  });

  it('a dangling symlink to a .git that does not exist yet is denied too', async () => {
    fs.rmSync(path.join(ws, '.git'), { recursive: true });
    fs.symlinkSync('.git', path.join(ws, 'link'));
    const r = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'link/config', content: 'x' },
      mountSource: ws,
    });
    expect(r).toMatchObject({ status: 'denied', error: { code: 'PROTECTED_PATH' } });
    expect(fs.existsSync(path.join(ws, '.git'))).toBe(false);
  });

  it('a .git symlink refuses write tools, naming the path; reads still work', async () => {
    fs.rmSync(path.join(ws, '.git'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'elsewhere'));
    fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(ws, '.git'));
    const w = await ex.executeTask({ tool: 'file_write', params: { path: 'ok.txt', content: 'x' }, mountSource: ws });
    expect(w).toMatchObject({ status: 'denied', containerId: null, error: { code: 'PROTECTED_PATH' } });
    expect(w.error?.message).toContain('.git is a symlink');
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'README.md' }, mountSource: ws });
    expect(r).toMatchObject({ status: 'completed', stdout: 'hello\n' });
  });

  it('ordinary writes beside .git still work', async () => {
    const ok = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'src/a.txt', content: 'fine\n' },
      mountSource: ws,
    });
    expect(ok.status).toBe('completed');
    expect(fs.readFileSync(path.join(ws, 'src', 'a.txt'), 'utf8')).toBe('fine\n');
  });

  it('the nested read-only bind: a tool with no host-side checks gets EROFS on /workspace/.git while /workspace is rw', async () => {
    const hook = await ex.executeTask({
      tool: 'unchecked_write',
      params: { path: '.git/hooks/pre-commit', content: '#!/bin/sh\ntouch /tmp/pwned\n', create_dirs: false },
      mountSource: ws,
    });
    expect(hook).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED', detail: 'WRITE_FAILED' } });
    expect(hook.stderr).toMatch(/Read-only file system/);
    const fresh = await ex.executeTask({
      tool: 'unchecked_write',
      params: { path: '.git/new-file', content: 'x', create_dirs: false },
      mountSource: ws,
    });
    expect(fresh.stderr).toMatch(/Read-only file system/);
    expect(fs.existsSync(path.join(ws, '.git', 'new-file'))).toBe(false);
    expect(fs.readFileSync(path.join(ws, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    const rw = await ex.executeTask({
      tool: 'unchecked_write',
      params: { path: 'beside.txt', content: 'rw\n' },
      mountSource: ws,
    });
    expect(rw.status).toBe('completed');
    expect(fs.readFileSync(path.join(ws, 'beside.txt'), 'utf8')).toBe('rw\n');
  });

  it('a .git worktree FILE is refused by name and bind-mounted read-only as a file', async () => {
    fs.rmSync(path.join(ws, '.git'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.git'), 'gitdir: /elsewhere/.git/worktrees/ws\n');
    own(ws);
    const named = await ex.executeTask({
      tool: 'file_write',
      params: { path: '.git', content: 'gitdir: /tmp/evil\n' },
      mountSource: ws,
    });
    expect(named).toMatchObject({ status: 'denied', error: { code: 'PROTECTED_PATH' } });
    const raw = await ex.executeTask({
      tool: 'unchecked_write',
      params: { path: '.git', content: 'gitdir: /tmp/evil\n', create_dirs: false },
      mountSource: ws,
    });
    // Under gVisor a file cannot be mounted from a descriptor, so no write tool runs at all there.
    if (testRuntime() === 'runsc')
      expect(raw).toMatchObject({
        status: 'denied',
        error: { code: 'PROTECTED_PATH', detail: 'mounts.protected_paths' },
      });
    else expect(raw.stderr).toMatch(/Read-only file system/);
    expect(fs.readFileSync(path.join(ws, '.git'), 'utf8')).toBe('gitdir: /elsewhere/.git/worktrees/ws\n');
  });

  it('protectedPaths: [] allows writing .git', async () => {
    const open = await openTestExecutor(`${workerId}-open`, { catalog, protectedPaths: [] });
    try {
      const r = await open.executeTask({
        tool: 'file_write',
        params: { path: '.git/config', content: 'changed\n' },
        mountSource: ws,
      });
      expect(r.status).toBe('completed');
      expect(gitConfig()).toBe('changed\n');
    } finally {
      await open.close();
    }
    expect(workerContainers(`${workerId}-open`)).toEqual([]);
  });
});

describe('item 7: hard links', () => {
  let outside: string;
  beforeEach(() => {
    outside = path.join(tmp, 'outside-secret');
    fs.writeFileSync(outside, 'TOP-SECRET\n');
    fs.linkSync(outside, path.join(ws, 'linked.txt'));
    own(ws);
  });

  it.each([
    ['file_read', { path: 'linked.txt' }],
    ['file_write', { path: 'linked.txt', content: 'overwritten\n' }],
    ['file_edit', { path: 'linked.txt', old_string: 'TOP', new_string: 'NOT' }],
  ])(
    '%s of a hard-linked file is denied with HARDLINK_REFUSED and the outside file is unchanged',
    async (tool, params) => {
      const r = await ex.executeTask({ tool, params, mountSource: ws });
      expect(r).toMatchObject({ status: 'denied', containerId: null, error: { code: 'HARDLINK_REFUSED' } });
      expect(r.error?.message).toContain('linked.txt');
      expect(r.stdout).toBe('');
      expect(fs.readFileSync(outside, 'utf8')).toBe('TOP-SECRET\n');
    },
  );

  it('the in-container guard refuses a link that appears after the host check (argv guard, no shell interpolation)', async () => {
    // The host check passes (one link), then a link is made before the container runs: the same race.
    fs.rmSync(path.join(ws, 'linked.txt'));
    fs.writeFileSync(path.join(ws, 'late.txt'), 'late\n');
    own(ws);
    const r = await ex.executeTask({
      tool: 'file_read',
      params: { path: 'late.txt' },
      mountSource: ws,
      onEvent: (e) => void (e.type === 'queued' && fs.linkSync(path.join(ws, 'late.txt'), outside + '-2')),
    });
    expect(r).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED', detail: 'HARDLINK_REFUSED' } });
    expect(r.stdout).toBe('');
  });

  it('allowHardlinks: true reads and writes through the link', async () => {
    const open = await openTestExecutor(`${workerId}-links`, { catalog, allowHardlinks: true });
    try {
      const read = await open.executeTask({ tool: 'file_read', params: { path: 'linked.txt' }, mountSource: ws });
      expect(read).toMatchObject({ status: 'completed', stdout: 'TOP-SECRET\n' });
      const w = await open.executeTask({
        tool: 'file_write',
        params: { path: 'linked.txt', content: 'allowed\n' },
        mountSource: ws,
      });
      expect(w.status).toBe('completed');
      expect(fs.readFileSync(outside, 'utf8')).toBe('allowed\n');
    } finally {
      await open.close();
    }
    expect(workerContainers(`${workerId}-links`)).toEqual([]);
  });
});
