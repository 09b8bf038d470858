import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import type { PolicyMode, Violation } from './model';

/** One decision, one JSON line. */
export interface AuditRecord {
  /** ISO 8601. */
  time: string;
  kind: 'container' | 'egress';
  session?: string;
  task?: string;
  tool?: string;
  /** The rule that decided (`policy.allow` when nothing objected). */
  rule: string;
  outcome: 'allowed' | 'denied';
  mode?: PolicyMode;
  policyId?: string;
  violations?: Violation[];
  details?: Record<string, unknown>;
}

export interface AuditLogOptions {
  /** fsync after every line so a decision survives a crash. Only for file targets. @default true */
  fsync?: boolean;
  /** @default () => new Date() */
  now?: () => Date;
  /** Told when a line cannot be written. @default quiet */
  logger?: Logger;
}

/** Where decisions go: a file path (appended, mode 0600) or any Writable stream. */
export type AuditTarget = string | Writable;

/**
 * Append-only JSON-lines audit log. A failed write is logged and does not
 * block enforcement: the decision itself has already been made fail-closed.
 *
 * States: `open` (each `write()` appends a line, fsynced for a file target), then `closed` after
 * `close()` (a file target's descriptor is released; later writes to it are dropped).
 */
export class AuditLog {
  private fd: number | undefined;
  private readonly stream: Writable | undefined;
  private readonly fsync: boolean;
  private readonly now: () => Date;
  private readonly logger: Logger;

  constructor(target: AuditTarget, options: AuditLogOptions = {}) {
    this.fsync = options.fsync ?? true;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger ?? quietLogger;
    if (typeof target === 'string') this.fd = openSync(target, 'a', 0o600);
    else this.stream = target;
  }

  write(record: Omit<AuditRecord, 'time'>): void {
    const line = `${JSON.stringify({ time: this.now().toISOString(), ...record })}\n`;
    try {
      if (this.fd !== undefined) {
        writeSync(this.fd, line);
        if (this.fsync) fsyncSync(this.fd);
      } else {
        this.stream?.write(line);
      }
    } catch (err) {
      this.logger.error('policy audit write failed', { component: 'policy', err: (err as Error).message });
    }
  }

  /** Closes a file target; a stream target is the caller's to end. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
