import { realpathSync } from 'node:fs';
import { AuditLog, type AuditRecord, type AuditTarget } from './audit-log';
import { evaluateContainer, type ContainerEvaluation } from './container-rules';
import type { ContainerRequest, EgressDecision, EgressRequest } from './contract';
import { evaluateEgress } from './egress-rules';
import { PolicyDeniedError, PolicyValidationError } from './errors';
import { systemIdentity, type HostIdentity, type IdentityProvider } from './identity';
import { policyIssues } from './load-policy';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import { optInGrant, type OptInGrant } from './opt-in-tools';
import { mergePolicies, policyForTool } from './merge-policies';
import type { MountAllowlistEntry, Policy, PolicyMode, Violation } from './model';
import { compileAllowlist } from './mount-rules';
import type { AllowlistCompiler, CompiledEntry, RealPath } from './mount-rules';

export interface PolicyEnforcerOptions {
  /** Where every decision is written; an `AuditLog` is shared, a path or stream gets its own. @default none */
  auditLog?: AuditLog | AuditTarget;
  /** @default quiet */
  logger?: Logger;
  /** Who mount allowlist `user`/`group` entries are matched against. @default systemIdentity() (the process's user) */
  identity?: HostIdentity | IdentityProvider;
  /** Symlink resolution for mount sources; injectable for tests only. @default fs.realpathSync.native */
  realpath?: RealPath;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * An immutable snapshot of one policy. Satisfies the executor's
 * `PolicyEnforcer` contract structurally: `enforce` and `checkEgress`.
 */
export class PolicyEnforcer {
  readonly policy: Readonly<Policy>;
  readonly mode: PolicyMode;
  private readonly options: PolicyEnforcerOptions;
  private readonly audit: AuditLog | undefined;
  private readonly logger: Logger;
  private identityCache: HostIdentity | undefined;
  /**
   * The mount allowlist compiled once per snapshot (its patterns, and each entry's literal prefix resolved
   * through symlinks), not on every request: ~15 realpath calls per call otherwise. Safe because what it
   * depends on is fixed for the snapshot's life: the (frozen) policy and the identity, which is cached the
   * same way. Each mount source is still resolved on every request. A symlink inside an allowlist path that
   * is re-pointed later is seen at the next snapshot (a reload, SIGHUP in the worker).
   */
  private readonly compiledAllowlists = new WeakMap<readonly MountAllowlistEntry[], CompiledEntry[]>();
  private readonly compileAllowlist: AllowlistCompiler = (entries, identity, realpath) => {
    let compiled = this.compiledAllowlists.get(entries);
    if (compiled === undefined) {
      compiled = compileAllowlist(entries, identity, realpath);
      this.compiledAllowlists.set(entries, compiled);
    }
    return compiled;
  };

  /** Throws `PolicyValidationError` for a policy built in code that the schema would reject: never enforce garbage. */
  constructor(policy: Policy, options: PolicyEnforcerOptions = {}) {
    const issues = policyIssues(policy);
    if (issues.length > 0) throw new PolicyValidationError('<policy object>', issues);
    // A snapshot must not change under a running task, whatever the caller does with its object later.
    this.policy = deepFreeze(structuredClone(policy));
    this.mode = policy.mode ?? 'strict';
    this.options = options;
    const audit = options.auditLog;
    this.audit =
      audit === undefined || audit instanceof AuditLog ? audit : new AuditLog(audit, { logger: options.logger });
    this.logger = options.logger ?? quietLogger;
  }

  private identity = (): HostIdentity => {
    if (!this.identityCache) {
      const id = this.options.identity;
      this.identityCache = id === undefined ? systemIdentity() : typeof id === 'function' ? id() : id;
    }
    return this.identityCache;
  };

  /** Every rule the request breaks, with the request as it would be after clamping. */
  evaluate(request: ContainerRequest): ContainerEvaluation {
    return evaluateContainer(
      request,
      policyForTool(this.policy, request.tool),
      this.identity,
      this.options.realpath ?? realpathSync.native,
      this.compileAllowlist,
    );
  }

  /** Every violation (`rule`, `message`, `severity`, `hard`); empty means the request is fine as is. */
  validate(request: ContainerRequest): Violation[] {
    return this.evaluate(request).violations;
  }

  /**
   * The request with defaults and clamps applied, or a `PolicyDeniedError`
   * (code `POLICY_DENIED`). strict: any error denies. permissive: only hard
   * rules deny, the rest is clamped. disabled: allowed as requested, still audited.
   */
  enforce(request: ContainerRequest): ContainerRequest {
    const { violations, adjusted } = this.evaluate(request);
    const errors = violations.filter((v) => v.severity === 'error');
    const denying = this.mode === 'disabled' ? [] : this.mode === 'permissive' ? errors.filter((v) => v.hard) : errors;
    const meta = { component: 'policy', tool: request.tool, taskId: request.taskId };
    const record = {
      kind: 'container' as const,
      session: request.sessionId,
      task: request.taskId,
      tool: request.tool,
      mode: this.mode,
      policyId: this.policy.id,
      violations: violations.length > 0 ? violations : undefined,
      details: {
        image: request.image,
        mounts: adjusted.mounts.map((m) => `${m.source}:${m.target}:${m.mode}`),
        protectedPaths: adjusted.protectedPaths,
        ...(adjusted.runtime === undefined ? {} : { runtime: adjusted.runtime }),
      },
    };
    if (denying.length > 0) {
      this.writeAudit({ ...record, rule: denying[0]?.rule ?? 'policy', outcome: 'denied' });
      this.logger.warn('policy denied container', { ...meta, rules: denying.map((v) => v.rule) });
      throw new PolicyDeniedError(denying, {
        tool: request.tool,
        taskId: request.taskId,
        sessionId: request.sessionId,
      });
    }
    const rule = this.mode === 'disabled' ? 'mode.disabled' : violations.length > 0 ? 'policy.clamped' : 'policy.allow';
    this.writeAudit({ ...record, rule, outcome: 'allowed' });
    if (violations.length > 0)
      this.logger.info('policy adjusted container', { ...meta, rules: violations.map((v) => v.rule) });
    return this.mode === 'disabled' ? request : adjusted;
  }

  /** Decides one outbound connection; the decision is audited. */
  checkEgress(request: EgressRequest): EgressDecision {
    const tool = request.tool;
    const policy = tool === undefined ? this.policy : policyForTool(this.policy, tool);
    let decision: EgressDecision =
      tool !== undefined && policy.tools?.[tool]?.disabled === true
        ? { allowed: false, rule: 'tools.disabled', reason: `tool ${tool} is disabled by policy` }
        : evaluateEgress(request, policy.network ?? {});
    if (this.mode === 'disabled' && !decision.allowed) {
      decision = {
        allowed: true,
        rule: 'mode.disabled',
        reason: `policy disabled (would deny: ${decision.rule}: ${decision.reason})`,
      };
    }
    this.writeAudit({
      kind: 'egress',
      session: request.sessionId,
      task: request.taskId,
      tool,
      rule: decision.rule,
      outcome: decision.allowed ? 'allowed' : 'denied',
      mode: this.mode,
      policyId: this.policy.id,
      details: { host: request.host, port: request.port, address: request.address, reason: decision.reason },
    });
    return decision;
  }

  /**
   * What the policy grants an opt-in tool (exec), for the executor's `toolGrant`: enabled only when
   * `tools.<tool>.enabled` is true, whatever the mode. Undefined for tools that need no opting in.
   */
  toolGrant(tool: string): OptInGrant | undefined {
    return optInGrant(this.policy, tool);
  }

  /** A new snapshot with a session policy merged in (tighten-only, see `mergePolicies`). */
  forSession(session: Policy | undefined): PolicyEnforcer {
    if (!session) return this;
    return new PolicyEnforcer(mergePolicies(this.policy, session, { logger: this.logger }), {
      ...this.options,
      auditLog: this.audit,
    });
  }

  private writeAudit(record: Omit<AuditRecord, 'time'>): void {
    this.audit?.write(record);
  }
}

/** Creates an enforcer snapshot for `policy`; hand it to the executor as its `PolicyEnforcer`. */
export function createPolicyEnforcer(policy: Policy, options: PolicyEnforcerOptions = {}): PolicyEnforcer {
  return new PolicyEnforcer(policy, options);
}
