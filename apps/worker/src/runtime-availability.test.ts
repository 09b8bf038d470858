import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runtimeChecks } from './commands/doctor-command';
import { runtimeUnavailableTools } from './runtime-availability';

const specs = [
  { name: 'file_read', workspace: 'readonly' as const },
  { name: 'fetch_url', workspace: 'none' as const },
];

describe('runtimeUnavailableTools', () => {
  it('a tool moved to a runtime the engine lacks is not offered, with the daemon.json entry that registers it', () => {
    const out = runtimeUnavailableTools(
      specs,
      { mode: 'strict', policy: { tools: { fetch_url: { security: { runtime: 'runsc' } } } } },
      'runc',
      ['runc'],
    );
    expect([...out.keys()]).toEqual(['fetch_url']);
    expect(out.get('fetch_url')).toContain("OCI runtime 'runsc' (policy tools.fetch_url.security.runtime)");
    expect(out.get('fetch_url')).toContain('"runtimeArgs": ["--network=none", "--host-uds=open"]');
  });

  it('under a global runsc the engine has: every tool is offered when the engine mounts held descriptors', () => {
    const asked: string[] = [];
    const out = runtimeUnavailableTools(
      specs,
      { mode: 'strict', policy: { security: { runtime: 'runsc' } } },
      'runc',
      ['runc', 'runsc'],
      (r) => void asked.push(r),
    );
    expect(out.size).toBe(0);
    expect(asked).toEqual(['runsc']);
  });

  it('under a global runsc on an engine that cannot mount held descriptors: workspace tools are not offered (MOUNT_PIN_UNAVAILABLE)', () => {
    const out = runtimeUnavailableTools(
      specs,
      { mode: 'strict', policy: { security: { runtime: 'runsc' } } },
      'runc',
      ['runc', 'runsc'],
      () => 'the engine runs in another pid namespace',
    );
    expect([...out.keys()]).toEqual(['file_read']);
    expect(out.get('file_read')).toMatch(
      /hides host inode numbers.*the engine runs in another pid namespace.*\(policy security\.runtime\)$/,
    );
  });

  it('nothing when the policy names no runtime or is disabled (the worker on runc)', () => {
    expect(runtimeUnavailableTools(specs, { mode: 'strict', policy: {} }, 'runc', ['runc']).size).toBe(0);
    const runsc = { security: { runtime: 'runsc' } };
    expect(runtimeUnavailableTools(specs, { mode: 'disabled', policy: runsc }, 'runc', ['runc']).size).toBe(0);
  });

  it('a worker on --runtime runsc whose engine fails the descriptor probe does not offer workspace tools, whatever the policy', () => {
    for (const mode of ['strict', 'disabled'] as const) {
      const out = runtimeUnavailableTools(
        specs,
        { mode, policy: {} },
        'runsc',
        ['runc', 'runsc'],
        () => 'remote engine',
      );
      expect([...out.keys()]).toEqual(['file_read']);
      expect(out.get('file_read')).toMatch(/hides host inode numbers.*\(--runtime\)$/);
    }
  });
});

describe('doctor runtimeChecks', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-rt-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("checks --runtime and every runtime the policy requires; a missing one's fix is the daemon.json entry", () => {
    const file = path.join(dir, 'policy.yaml');
    fs.writeFileSync(file, 'tools:\n  fetch_url: { security: { runtime: runsc } }\n');
    const checks = runtimeChecks({ runtime: 'runc', policy: file }, ['runc'], {});
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['runtime runc', true],
      ['runtime runsc', false],
    ]);
    expect(checks[1]?.detail).toContain('needed by policy tools.fetch_url.security.runtime');
    expect(checks[1]?.fix).toContain('apt-get install runsc');
    expect(checks[1]?.fix).toContain(
      '{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none", "--host-uds=open"]}}}',
    );
    expect(runtimeChecks({ runtime: 'runc', policy: file }, ['runc', 'runsc'], {})[1]).toMatchObject({
      ok: true,
      detail: 'registered (for policy tools.fetch_url.security.runtime)',
    });
  });

  it('one check per runtime, naming everything that needs it; an unreadable policy adds nothing', () => {
    const file = path.join(dir, 'policy.yaml');
    fs.writeFileSync(file, 'security: { runtime: runsc }\n');
    expect(runtimeChecks({ runtime: 'runsc', policy: file }, ['runc'], {})).toEqual([
      expect.objectContaining({
        name: 'runtime runsc',
        ok: false,
        detail: expect.stringContaining('needed by --runtime, policy security.runtime'),
      }),
    ]);
    expect(runtimeChecks({ runtime: 'runc', policy: path.join(dir, 'missing.yaml') }, ['runc'], {})).toHaveLength(1);
  });
});
