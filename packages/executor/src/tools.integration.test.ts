import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTempWorkspace, notCompletedLines } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { Executor } from './executor';
import { fileRead, fileWrite, listFiles } from './helpers';
import { openTestExecutor, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const workerId = testWorkerId('tools');
let ex: Executor;
let ws: TempWorkspace;
let secretDir: string;

beforeAll(async () => {
  ex = await openTestExecutor(workerId);
  // A host secret outside the workspace, and symlinks inside the workspace pointing at it.
  secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-secret-'));
  fs.writeFileSync(path.join(secretDir, 'secret.txt'), 'TOPSECRET-HOST-VALUE\n');
  fs.writeFileSync(path.join(secretDir, 'host-only-entry.txt'), 'TOPSECRET-HOST-VALUE\n');
  ws = createTempWorkspace({
    files: {
      'a.txt': 'line1\nline2\nline3\nline4\n',
      'src/main.ts': 'const x = 1; // TODO fix\nexport default x;\n',
      'src/util.ts': 'export const y = 2; // TODO later\n',
      'docs/readme.md': 'nothing to see\n',
      'edit.txt': 'alpha beta\ngamma beta\n',
    },
    owner: OWNER,
  });
  fs.symlinkSync(path.join(secretDir, 'secret.txt'), ws.path('leak.txt'));
  fs.symlinkSync(secretDir, ws.path('leakdir'));
  fs.lchownSync(ws.path('leak.txt'), OWNER.uid, OWNER.gid);
  fs.lchownSync(ws.path('leakdir'), OWNER.uid, OWNER.gid);
});

afterAll(async () => {
  await ex.close();
  ws.cleanup();
  fs.rmSync(secretDir, { recursive: true, force: true });
  expect(workerContainers(workerId)).toEqual([]);
});

describe('file_read', () => {
  it('reads a whole file', async () => {
    expect(await fileRead(ex, ws.dir, 'a.txt')).toBe('line1\nline2\nline3\nline4\n');
  });

  it('pages with offset and limit', async () => {
    const r = await ex.executeTask({
      tool: 'file_read',
      params: { path: 'a.txt', offset: 2, limit: 2 },
      mountSource: ws.dir,
    });
    expect(r).toMatchObject({ status: 'completed', stdout: 'line2\nline3\n' });
    const tail = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt', offset: 4 }, mountSource: ws.dir });
    expect(tail.stdout).toBe('line4\n');
  });

  // Issue 12: a missing file is NOT_FOUND naming the workspace path (was TOOL_FAILED).
  it('reports a missing file as failed', async () => {
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'nope.txt' }, mountSource: ws.dir });
    expect(r).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_FOUND', message: 'nope.txt does not exist in the workspace' },
    });
    expect(r.exitCode).not.toBe(0);
  });

  it('mounts the target of a symlinked mount source', async () => {
    const link = `${ws.dir}-link`;
    fs.symlinkSync(ws.dir, link);
    try {
      expect(await fileRead(ex, link, 'a.txt')).toContain('line1');
    } finally {
      fs.rmSync(link);
    }
  });
});

describe('file_write', () => {
  it('creates parent directories and leaves files owned by the workspace owner', async () => {
    const out = await fileWrite(ex, ws.dir, 'new/deep/file.txt', 'written by a tool\n');
    expect(out).toContain('wrote 18 bytes');
    expect(ws.read('new/deep/file.txt')).toBe('written by a tool\n');
    for (const p of ['new', 'new/deep', 'new/deep/file.txt']) {
      const st = fs.statSync(ws.path(p));
      expect([st.uid, st.gid]).toEqual([OWNER.uid, OWNER.gid]);
    }
  });

  it('fails without create_dirs when the directory is missing, and honours fail_if_exists', async () => {
    const r = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'missing/x.txt', content: 'x', create_dirs: false },
      mountSource: ws.dir,
    });
    // Issue 12: NOT_FOUND naming the missing directory (was TOOL_FAILED).
    expect(r).toMatchObject({
      status: 'failed',
      error: {
        code: 'NOT_FOUND',
        message: 'missing does not exist in the workspace (the parent directory of missing/x.txt)',
      },
    });
    const exists = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'a.txt', content: 'x', fail_if_exists: true },
      mountSource: ws.dir,
    });
    expect(exists).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED', detail: 'FILE_EXISTS' } });
    expect(ws.read('a.txt')).toContain('line1');
  });

  it('carries content on stdin byte for byte (shell metacharacters stay data)', async () => {
    const content = '$(touch /workspace/pwned) `id` ; rm -rf / \n\u00e9\u4e2d\n';
    await fileWrite(ex, ws.dir, 'meta.txt', content);
    expect(ws.read('meta.txt')).toBe(content);
    expect(fs.existsSync(ws.path('pwned'))).toBe(false);
  });
});

describe('file_edit', () => {
  it('replaces a unique string', async () => {
    const r = await ex.executeTask({
      tool: 'file_edit',
      params: { path: 'edit.txt', old_string: 'alpha', new_string: 'ALPHA' },
      mountSource: ws.dir,
    });
    expect(r).toMatchObject({ status: 'completed' });
    expect(ws.read('edit.txt')).toBe('ALPHA beta\ngamma beta\n');
    expect(fs.statSync(ws.path('edit.txt')).uid).toBe(OWNER.uid);
  });

  it('reports no match and ambiguity as tool failures without touching the file', async () => {
    const none = await ex.executeTask({
      tool: 'file_edit',
      params: { path: 'edit.txt', old_string: 'zeta', new_string: 'x' },
      mountSource: ws.dir,
    });
    expect(none).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED', detail: 'EDIT_NO_MATCH' } });
    const ambiguous = await ex.executeTask({
      tool: 'file_edit',
      params: { path: 'edit.txt', old_string: 'beta', new_string: 'x' },
      mountSource: ws.dir,
    });
    expect(ambiguous).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED', detail: 'EDIT_AMBIGUOUS' } });
    expect(ws.read('edit.txt')).toBe('ALPHA beta\ngamma beta\n');
  });
});

describe('grep, find, list', () => {
  it('grep finds matches and returns structured results', async () => {
    const r = await ex.executeTask({ tool: 'grep', params: { pattern: 'TODO', include: '*.ts' }, mountSource: ws.dir });
    expect(r.status).toBe('completed');
    const matches = (r.structured as { matches: Array<{ path: string; line: number }> }).matches;
    expect(matches.map((m) => m.path).sort()).toEqual(['src/main.ts', 'src/util.ts']);
  });

  it('grep with no match is completed with empty output', async () => {
    const r = await ex.executeTask({ tool: 'grep', params: { pattern: 'NO_SUCH_TEXT_ANYWHERE' }, mountSource: ws.dir });
    expect(r).toMatchObject({ status: 'completed', stdout: '' });
    expect(r.error).toBeUndefined();
  });

  it('find lists files by glob', async () => {
    const r = await ex.executeTask({ tool: 'find', params: { name: '*.ts', type: 'file' }, mountSource: ws.dir });
    expect(r.status).toBe('completed');
    expect((r.structured as { paths: string[] }).paths.sort()).toEqual(['src/main.ts', 'src/util.ts']);
  });

  it('list shows directory entries', async () => {
    const out = await listFiles(ex, ws.dir, '.');
    expect(out).toContain('a.txt');
    expect(out).toContain('src');
  });
});

describe('escapes', () => {
  it('refuses .. and absolute host paths at validation, before any container', async () => {
    const before = ex.metrics().containersCreated;
    for (const p of ['../etc/passwd', 'src/../../x', '/etc/passwd']) {
      const r = await ex.executeTask({ tool: 'file_read', params: { path: p }, mountSource: ws.dir });
      expect(r).toMatchObject({ status: 'error', error: { code: 'INVALID_PARAMS' } });
      expect(r.error?.message).toContain('/path');
    }
    expect(ex.metrics().containersCreated).toBe(before);
  });

  it('a symlink to a host file resolves inside the container: the host secret is never returned', async () => {
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'leak.txt' }, mountSource: ws.dir });
    expect(r.status).toBe('failed');
    expect(r.stdout + r.stderr).not.toContain('TOPSECRET');
  });

  it('grep through a planted symlink does not reach the host', async () => {
    for (const p of ['.', 'leak.txt', 'leakdir']) {
      const r = await ex.executeTask({ tool: 'grep', params: { pattern: 'TOPSECRET', path: p }, mountSource: ws.dir });
      expect(r.stdout + r.stderr).not.toContain('TOPSECRET-HOST-VALUE');
    }
  });

  it('list through a planted directory symlink does not show the host directory', async () => {
    const r = await ex.executeTask({ tool: 'list', params: { path: 'leakdir' }, mountSource: ws.dir });
    // The link's own target string may be printed; the host directory's entries must not be.
    expect(r.stdout).not.toContain('host-only-entry.txt');
    const rec = await ex.executeTask({ tool: 'list', params: { path: '.', recursive: true }, mountSource: ws.dir });
    expect(rec.stdout).not.toContain('host-only-entry.txt');
    const found = await ex.executeTask({ tool: 'find', params: { path: 'leakdir' }, mountSource: ws.dir });
    expect(found.stdout).not.toContain('host-only-entry.txt');
  });
});

describe('concurrency', () => {
  it('runs many tasks at once, each in its own container, all cleaned up', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ex.executeTask({
          tool: 'file_read',
          params: { path: 'a.txt', offset: (i % 4) + 1, limit: 1 },
          mountSource: ws.dir,
          taskId: `conc-${i}`,
        }),
      ),
    );
    expect(notCompletedLines(results)).toEqual([]);
    expect(results.map((r) => r.status)).toEqual(new Array(8).fill('completed'));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `line${(i % 4) + 1}\n`));
    expect(new Set(results.map((r) => r.containerId)).size).toBe(8);
    // The warm pool keeps a container waiting per key (labelled org.baaaht.pool=1): drop them, then count.
    ex.invalidatePool('test: count containers');
    await ex.idle();
    expect(workerContainers(workerId)).toEqual([]);
  });
});
