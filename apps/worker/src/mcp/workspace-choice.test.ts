import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chooseWorkspace, effectiveRoots } from './workspace-choice';

let base: string;
let a: string;
let b: string;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-ws-')));
  a = path.join(base, 'a');
  b = path.join(base, 'b');
  for (const dir of [a, path.join(a, 'sub'), path.join(a, 'other'), b]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(a, 'file.txt'), 'x');
  fs.symlinkSync(b, path.join(a, 'escape'));
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('chooseWorkspace', () => {
  it('defaults to the single root and accepts a directory below it, absolute or relative', () => {
    expect(chooseWorkspace(undefined, [a], undefined)).toEqual({ ok: true, path: a });
    expect(chooseWorkspace(path.join(a, 'sub'), [a], undefined)).toEqual({ ok: true, path: path.join(a, 'sub') });
    expect(chooseWorkspace('sub', [a], undefined)).toEqual({ ok: true, path: path.join(a, 'sub') });
  });

  it('with several roots and no argument, says so and lists them', () => {
    const choice = chooseWorkspace(undefined, [a, b], undefined);
    expect(choice).toEqual({
      ok: false,
      code: 'INVALID_PARAMS',
      message: `workspace is required: there are several workspace roots, name one of them (or a directory below one): ${a}, ${b}`,
    });
    expect(chooseWorkspace(b, [a, b], undefined)).toEqual({ ok: true, path: b });
    expect(chooseWorkspace('sub', [a, b], undefined)).toMatchObject({ ok: false, code: 'INVALID_PARAMS' });
  });

  it('refuses a directory outside the roots, also through a symlink or ..', () => {
    for (const outside of [b, path.join(a, 'escape'), path.join(a, '..', 'b'), '../b', '/'])
      expect(chooseWorkspace(outside, [a], undefined)).toMatchObject({ ok: false, code: 'POLICY_DENIED' });
  });

  it('refuses what does not exist or is not a directory, and what is not a string', () => {
    expect(chooseWorkspace('missing', [a], undefined)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(chooseWorkspace('file.txt', [a], undefined)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(chooseWorkspace(42, [a], undefined)).toMatchObject({ ok: false, code: 'INVALID_PARAMS' });
  });

  it("lets the client's roots narrow, never widen", () => {
    // Narrow: the client names a directory below the root; it becomes the default and the only choice.
    expect(chooseWorkspace(undefined, [a], [path.join(a, 'sub')])).toEqual({ ok: true, path: path.join(a, 'sub') });
    expect(chooseWorkspace(path.join(a, 'other'), [a], [path.join(a, 'sub')])).toMatchObject({
      ok: false,
      code: 'POLICY_DENIED',
    });
    // Never widen: a client root outside every configured root allows nothing.
    expect(chooseWorkspace(b, [a], [b])).toMatchObject({ ok: false, code: 'POLICY_DENIED' });
    expect(chooseWorkspace(undefined, [a], [b])).toMatchObject({ ok: false, code: 'POLICY_DENIED' });
    // A client root above the configured one leaves the configured one as it is.
    expect(chooseWorkspace(undefined, [a], [base])).toEqual({ ok: true, path: a });
  });

  it('without configured roots needs an absolute directory, judged later by the policy', () => {
    expect(chooseWorkspace(undefined, [], undefined)).toMatchObject({ ok: false, code: 'INVALID_PARAMS' });
    expect(chooseWorkspace(b, [], undefined)).toEqual({ ok: true, path: b });
    expect(chooseWorkspace('b', [], undefined)).toMatchObject({ ok: false, code: 'INVALID_PARAMS' });
  });
});

describe('chooseWorkspace for directories on other hosts (the fleet door)', () => {
  const far = { onThisHost: false };
  it('compares paths as written, without touching this host', () => {
    expect(chooseWorkspace(undefined, ['/srv/ws'], undefined, far)).toEqual({ ok: true, path: '/srv/ws' });
    expect(chooseWorkspace('app', ['/srv/ws'], undefined, far)).toEqual({ ok: true, path: '/srv/ws/app' });
    expect(chooseWorkspace('/srv/ws/../etc', ['/srv/ws'], undefined, far)).toMatchObject({ code: 'POLICY_DENIED' });
    expect(chooseWorkspace('/srv/elsewhere', [], undefined, far)).toEqual({ ok: true, path: '/srv/elsewhere' });
  });
});

describe('effectiveRoots', () => {
  it('intersects the configured roots with the client roots', () => {
    expect(effectiveRoots([a, b], undefined)).toEqual([a, b]);
    expect(effectiveRoots([a, b], [path.join(a, 'sub')])).toEqual([path.join(a, 'sub')]);
    expect(effectiveRoots([a, b], [path.join(a, 'sub'), base])).toEqual([a, b]);
    expect(effectiveRoots([a, path.join(a, 'sub')], undefined)).toEqual([a]);
    expect(effectiveRoots([a], [b])).toEqual([]);
    expect(effectiveRoots([], [b])).toEqual([b]);
  });
});
