import { EventEmitter } from 'node:events';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AuditLog } from './audit-log';
import { PolicyError } from './errors';
import { loadPolicyFile } from './load-policy';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import type { Policy } from './model';
import { PolicyEnforcer, type PolicyEnforcerOptions } from './policy-enforcer';

/** `active`: serving a policy; `watching`: also reloading on file changes; `closed`: watcher stopped, still serving the last policy. */
export type PolicyStoreState = 'active' | 'watching' | 'closed';

/** Timers, injectable so tests can drive the debounce without sleeping. */
export interface PolicyStoreClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Watches a directory and reports changed file names; `fs.watch` by default. */
export type DirectoryWatcher = (dir: string, onChange: (filename: string | null) => void) => { close(): void };

export interface PolicyStoreOptions {
  /** Policy file to load now and on `reload()`. Missing or invalid at creation is an error. */
  file?: string;
  /** The policy when there is no `file` (typically `defaultPolicy({ workspaceRoots })`). */
  policy?: Policy;
  /** For `${VAR}` expansion on every (re)load. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Passed to every snapshot; an audit path or stream is opened once and shared. */
  enforcer?: PolicyEnforcerOptions;
  /** @default quiet */
  logger?: Logger;
  /** Reload when the file changes. @default false */
  watch?: boolean;
  /** Editors write files in bursts; wait this long after the last event. @default 250 */
  debounceMs?: number;
  /** @default global setTimeout/clearTimeout */
  clock?: PolicyStoreClock;
  /** @default fs.watch on the file's directory (editors replace files by rename, which a file watch would miss) */
  watcher?: DirectoryWatcher;
}

export type ReloadResult = { ok: true; policy: Policy } | { ok: false; error: PolicyError };

export interface PolicyStoreEvents {
  reloaded: [policy: Policy, previous: Policy];
  rejected: [error: PolicyError];
}

const defaultWatcher: DirectoryWatcher = (dir, onChange) =>
  watch(dir, { persistent: false }, (_event, filename) => onChange(filename));

const defaultClock: PolicyStoreClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Holds the policy in force. `reload()` (the CLI calls it on SIGHUP) and the
 * optional watcher validate the new file first; an invalid file keeps the old
 * policy and is reported via the logger and the `rejected` event. Tasks take a
 * `current()` snapshot when they start, so a reload never changes a running task.
 */
export class PolicyStore extends EventEmitter<PolicyStoreEvents> {
  private snapshot: PolicyEnforcer;
  private stateValue: PolicyStoreState = 'active';
  private readonly options: PolicyStoreOptions;
  private readonly enforcerOptions: PolicyEnforcerOptions;
  private readonly logger: Logger;
  private readonly clock: PolicyStoreClock;
  private watcherHandle: { close(): void } | undefined;
  private pending: unknown;

  private constructor(options: PolicyStoreOptions, initial: Policy) {
    super();
    this.options = options;
    this.logger = options.logger ?? quietLogger;
    this.clock = options.clock ?? defaultClock;
    const audit = options.enforcer?.auditLog;
    const sharedAudit =
      audit === undefined || audit instanceof AuditLog ? audit : new AuditLog(audit, { logger: this.logger });
    this.enforcerOptions = { logger: this.logger, ...options.enforcer, auditLog: sharedAudit };
    this.snapshot = new PolicyEnforcer(initial, this.enforcerOptions);
  }

  /** Loads the file (throwing on a missing or invalid one) and starts the watcher if asked. */
  static create(options: PolicyStoreOptions): PolicyStore {
    if (!options.file && !options.policy) throw new TypeError('PolicyStoreOptions: set `file` or `policy`');
    const debounce = options.debounceMs;
    if (debounce !== undefined && !(Number.isFinite(debounce) && debounce >= 0)) {
      throw new TypeError(`PolicyStoreOptions.debounceMs must be a non-negative number, got ${debounce}`);
    }
    const initial = options.file
      ? loadPolicyFile(options.file, { env: options.env ?? process.env })
      : (options.policy as Policy);
    const store = new PolicyStore(options, initial);
    if (options.watch) store.startWatching();
    return store;
  }

  get state(): PolicyStoreState {
    return this.stateValue;
  }

  /** The enforcer snapshot in force now; keep it for the whole task. */
  current(): PolicyEnforcer {
    return this.snapshot;
  }

  /** Re-reads the file. On failure the previous policy stays in force. Without a file there is nothing to reload. */
  reload(): ReloadResult {
    const file = this.options.file;
    if (!file) return { ok: true, policy: this.snapshot.policy };
    const meta = { component: 'policy', file };
    try {
      const next = loadPolicyFile(file, { env: this.options.env ?? process.env });
      const previous = this.snapshot.policy;
      this.snapshot = new PolicyEnforcer(next, this.enforcerOptions);
      this.logger.info('policy reloaded', { ...meta, policyId: next.id, mode: next.mode ?? 'strict' });
      this.emit('reloaded', this.snapshot.policy, previous);
      return { ok: true, policy: this.snapshot.policy };
    } catch (err) {
      const error = PolicyError.fromUnknown(err);
      this.logger.error('policy reload rejected; previous policy stays in force', {
        ...meta,
        code: error.code,
        error: error.message,
      });
      this.emit('rejected', error);
      return { ok: false, error };
    }
  }

  /** Stops the watcher. The last policy keeps being served. */
  close(): void {
    if (this.pending !== undefined) this.clock.clearTimeout(this.pending);
    this.pending = undefined;
    this.watcherHandle?.close();
    this.watcherHandle = undefined;
    this.stateValue = 'closed';
  }

  private startWatching(): void {
    const file = this.options.file as string;
    const name = basename(file);
    const watcher = this.options.watcher ?? defaultWatcher;
    this.watcherHandle = watcher(dirname(file), (filename) => {
      if (filename === null || filename === name) this.scheduleReload();
    });
    this.stateValue = 'watching';
  }

  private scheduleReload(): void {
    if (this.stateValue !== 'watching') return;
    if (this.pending !== undefined) this.clock.clearTimeout(this.pending);
    this.pending = this.clock.setTimeout(() => {
      this.pending = undefined;
      this.reload();
    }, this.options.debounceMs ?? 250);
  }
}
