import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyFileNotFoundError, type PolicyError } from './errors';
import type { Logger } from './logger';
import type { Policy } from './model';
import { PolicyStore, type DirectoryWatcher, type PolicyStoreClock } from './policy-store';
import { containerRequest } from './test-helpers';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-store-'));
  file = join(dir, 'policy.yaml');
  writeFileSync(file, 'mode: strict\nquotas: { max_pids: 100 }\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Timers that fire only when the test says so. */
function manualClock(): PolicyStoreClock & { fire(): void; pending(): number } {
  const timers = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (fn) => {
      timers.set(++next, fn);
      return next;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    fire: () => {
      const fns = [...timers.values()];
      timers.clear();
      fns.forEach((f) => f());
    },
    pending: () => timers.size,
  };
}

function fakeWatcher(): DirectoryWatcher & { emit(name: string | null): void; closed: boolean; dir?: string } {
  let listener: ((f: string | null) => void) | undefined;
  const w = ((d: string, onChange: (f: string | null) => void) => {
    w.dir = d;
    listener = onChange;
    return { close: () => void (w.closed = true) };
  }) as DirectoryWatcher & { emit(name: string | null): void; closed: boolean; dir?: string };
  w.closed = false;
  w.emit = (name) => listener?.(name);
  return w;
}

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const noop = (): void => {};
  return {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: (m, meta) => errors.push(`${m} ${JSON.stringify(meta)}`),
    errors,
  };
}

const pidsOf = (store: PolicyStore): number | undefined => store.current().policy.quotas?.max_pids;

describe('PolicyStore', () => {
  it('an invalid edit is rejected and the old policy stays; a valid one takes effect for the next snapshot', () => {
    const logger = recordingLogger();
    const store = PolicyStore.create({ file, env: {}, logger, enforcer: { identity: { user: 'u', groups: [] } } });
    const rejected: PolicyError[] = [];
    const reloaded: Policy[] = [];
    store.on('rejected', (e) => rejected.push(e));
    store.on('reloaded', (p) => reloaded.push(p));
    const runningTask = store.current();

    writeFileSync(file, 'mode: strict\nquotas: { max_pids: lots }\n');
    const bad = store.reload();
    expect(bad.ok).toBe(false);
    expect(rejected[0]?.code).toBe('POLICY_INVALID');
    expect(rejected[0]?.message).toContain('quotas.max_pids: expected integer');
    expect(logger.errors[0]).toContain('previous policy stays in force');
    expect(store.current()).toBe(runningTask);

    writeFileSync(file, 'mode: strict\nquotas: { max_pids: 10 }\n');
    expect(store.reload().ok).toBe(true);
    expect(reloaded).toHaveLength(1);
    expect(pidsOf(store)).toBe(10);
    // The task that started before the reload keeps its policy.
    expect(runningTask.policy.quotas?.max_pids).toBe(100);
    expect(() =>
      store.current().enforce(containerRequest({ resources: { ...containerRequest().resources, pidsLimit: 64 } })),
    ).toThrow(/quotas\.max_pids/);
  });

  it('a deleted file is rejected on reload too', () => {
    const store = PolicyStore.create({ file, env: {} });
    rmSync(file);
    const result = store.reload();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBeInstanceOf(PolicyFileNotFoundError);
    expect(pidsOf(store)).toBe(100);
  });

  it('a missing or invalid file at creation throws', () => {
    expect(() => PolicyStore.create({ file: join(dir, 'missing.yaml') })).toThrow(PolicyFileNotFoundError);
    writeFileSync(file, 'mode: nope');
    expect(() => PolicyStore.create({ file, env: {} })).toThrow(/mode: expected one of/);
  });

  it('rejects bad options with a TypeError naming the field', () => {
    expect(() => PolicyStore.create({})).toThrow(TypeError);
    expect(() => PolicyStore.create({ policy: {}, debounceMs: -1 })).toThrow(/debounceMs/);
  });

  it('serves a given policy when there is no file', () => {
    const store = PolicyStore.create({ policy: { quotas: { max_pids: 7 } } });
    expect(store.reload().ok).toBe(true);
    expect(pidsOf(store)).toBe(7);
  });

  it('watches the directory and debounces bursts of events', () => {
    const clock = manualClock();
    const watcher = fakeWatcher();
    const store = PolicyStore.create({ file, env: {}, watch: true, clock, watcher, debounceMs: 100 });
    expect(store.state).toBe('watching');
    expect(watcher.dir).toBe(dir);

    writeFileSync(file, 'quotas: { max_pids: 20 }\n');
    watcher.emit('policy.yaml');
    watcher.emit('other.yaml');
    watcher.emit('policy.yaml');
    expect(clock.pending()).toBe(1);
    expect(pidsOf(store)).toBe(100);
    clock.fire();
    expect(pidsOf(store)).toBe(20);

    writeFileSync(file, '{{{');
    watcher.emit(null);
    clock.fire();
    expect(pidsOf(store)).toBe(20);

    store.close();
    expect(store.state).toBe('closed');
    expect(watcher.closed).toBe(true);
    watcher.emit('policy.yaml');
    expect(clock.pending()).toBe(0);
  });

  it('shares one audit log across snapshots', () => {
    const audit = join(dir, 'audit.jsonl');
    const store = PolicyStore.create({
      file,
      env: {},
      enforcer: { auditLog: audit, identity: { user: 'u', groups: [] } },
    });
    store.current().checkEgress({ host: 'example.com', port: 443 });
    writeFileSync(file, 'quotas: { max_pids: 5 }\n');
    store.reload();
    store.current().checkEgress({ host: '10.0.0.1', port: 443 });
    expect(readFileSync(audit, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
