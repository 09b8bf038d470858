import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { createExecutor } from './executor';
import type { Executor } from './executor';
import { FakeDocker } from './test-support/fake-docker';
import type { FakeContainer } from './test-support/fake-docker';

/** A search-like tool (as grep is) whose run() reports a file-system error with the shared code. */
const probe: ToolSpec<{ code: string }> = {
  name: 'probe',
  displayName: 'Probe',
  description: 'Test tool: fails with the given code.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: { code: { type: 'string' } },
    required: ['code'],
    additionalProperties: false,
  },
  image: 'img:any',
  workspace: 'readonly',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pidsLimit: 10 },
  timeoutMs: 10_000,
  command: () => ({ argv: ['true'] }),
  async run(params, ctx, exec) {
    const r = await exec({ argv: ['true'] });
    if (params.code === 'none') return { ...r, structured: { from: 'run' } };
    return { ...r, exitCode: 1, error: { code: params.code, message: 'src is what it is' } };
  },
};

let tmp: string;
let ex: Executor;
let docker: FakeDocker;

beforeEach(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'exec-fs-errors-')));
  docker = new FakeDocker();
  docker.images.add('img:any');
  ex = await createExecutor({
    docker,
    workerId: 'w-fs-errors',
    reapIntervalMs: 0,
    imageOverrides: { '*': 'img:any' },
    catalog: createToolCatalog({ custom: [probe] }),
    // Counts the fresh path's containers on the fake engine; the pool is tested in pooled-container-runtime.test.ts.
    pool: { enabled: false },
  });
});
afterEach(async () => {
  await ex.close({ force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

const failWith = (stderr: string) => (c: FakeContainer) => {
  c.stderr(stderr);
  c.exit(1);
};

describe('file-system errors are the result’s own code (status failed)', () => {
  it('a missing file is NOT_FOUND naming the workspace path, not TOOL_FAILED', async () => {
    docker.program = failWith('/workspace/nope.txt: No such file or directory\n');
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'nope.txt' }, mountSource: tmp });
    expect(r).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_FOUND', message: 'nope.txt does not exist in the workspace' },
    });
    expect(r.error?.detail).toBeUndefined();
  });

  it('PERMISSION_DENIED in a root-owned workspace names uid 65534, why, and the fix', async () => {
    fs.chownSync(tmp, 0, 0);
    docker.program = failWith("sh: line 0: can't open /workspace/secret: Permission denied\n");
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'secret' }, mountSource: tmp });
    expect(r).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED' } });
    expect(r.error?.message).toMatch(/^permission denied on secret: the tool ran as uid 65534 \(nobody\)/);
    expect(r.error?.message).toContain('the workspace is owned by root');
    expect(r.error?.message).toMatch(/fix: chown the workspace/);
  });

  it('PERMISSION_DENIED in a user-owned workspace names that uid as the owner', async () => {
    fs.chownSync(tmp, 1234, 1234);
    docker.program = failWith("sh: line 0: can't create /workspace/ro.txt: Permission denied\n");
    const r = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'ro.txt', content: 'x' },
      mountSource: tmp,
    });
    expect(r).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED' } });
    expect(r.error?.message).toContain('the tool ran as uid 1234, the workspace owner');
    expect(r.error?.message).toContain('chown or chmod');
  });

  it('is generic: any tool whose run() reports an fs code gets it promoted; other codes stay under TOOL_FAILED', async () => {
    docker.program = (c) => c.exit(0);
    for (const code of ['NOT_FOUND', 'IS_A_DIRECTORY', 'NOT_A_DIRECTORY', 'NOT_A_REGULAR_FILE']) {
      const r = await ex.executeTask({ tool: 'probe', params: { code }, mountSource: tmp });
      expect(r).toMatchObject({ status: 'failed', error: { code, message: 'src is what it is' } });
    }
    const other = await ex.executeTask({ tool: 'probe', params: { code: 'EDIT_NO_MATCH' }, mountSource: tmp });
    expect(other).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED', detail: 'EDIT_NO_MATCH' } });
  });

  it('a structured result from run() is the result’s structured', async () => {
    docker.program = (c) => c.exit(0);
    const r = await ex.executeTask({ tool: 'probe', params: { code: 'none' }, mountSource: tmp });
    expect(r).toMatchObject({ status: 'completed', structured: { from: 'run' } });
  });
});

describe('host check of declared targets: not a regular file fails at once, before any container', () => {
  it.each(['file_read', 'file_write', 'file_edit'])(
    '%s of a FIFO, a symlink to one, a socket, a directory',
    async (tool) => {
      execFileSync('mkfifo', [path.join(tmp, 'fifo')]);
      fs.mkdirSync(path.join(tmp, 'dir'));
      fs.symlinkSync('fifo', path.join(tmp, 'to-fifo'));
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(path.join(tmp, 'sock'), resolve));
      try {
        const params = (p: string) =>
          tool === 'file_read'
            ? { path: p }
            : tool === 'file_write'
              ? { path: p, content: 'x' }
              : { path: p, old_string: 'a', new_string: 'b' };
        const run = (p: string) => ex.executeTask({ tool, params: params(p), mountSource: tmp });
        expect(await run('fifo')).toMatchObject({
          status: 'failed',
          error: { code: 'NOT_A_REGULAR_FILE', message: expect.stringMatching(/^fifo is a FIFO, not a regular file/) },
        });
        expect((await run('to-fifo')).error?.message).toMatch(/^to-fifo \(fifo\) is a FIFO/);
        expect((await run('sock')).error).toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: /^sock is a socket/ });
        expect((await run('dir')).error).toEqual({ code: 'IS_A_DIRECTORY', message: 'dir is a directory, not a file' });
        expect(docker.containers).toHaveLength(0);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );

  it('a symlink leaving the workspace (to /dev/zero) is left to the in-container guard', async () => {
    fs.symlinkSync('/dev/zero', path.join(tmp, 'zero'));
    docker.program = (c) => c.exit(0);
    await ex.executeTask({ tool: 'file_read', params: { path: 'zero' }, mountSource: tmp });
    expect(docker.containers).toHaveLength(1);
  });
});
