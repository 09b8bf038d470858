import { PolicyError, PolicyStore, PolicyValidationError, defaultPolicy, formatIssue } from '@baaaht/policy';
import type { PolicyEnforcer } from '@baaaht/executor';
import { WorkerCliError } from './errors';
import type { Logger } from './logger';

export interface WorkerPolicyOptions {
  /** Policy file; absent means `defaultPolicy({ workspaceRoots })`. */
  file: string | undefined;
  workspaceRoots: readonly string[];
  /** Audit log file for every decision. @default none */
  auditLog?: string | undefined;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** The policy store plus an enforcer whose per-task snapshot is the policy in force when the task starts. */
export interface WorkerPolicy {
  store: PolicyStore;
  enforcer: PolicyEnforcer;
}

/** Loads the policy; a missing or invalid file is `POLICY_INVALID` (exit 2) naming the file. */
export function createWorkerPolicy(options: WorkerPolicyOptions): WorkerPolicy {
  let store: PolicyStore;
  try {
    const enforcer = options.auditLog !== undefined ? { auditLog: options.auditLog } : {};
    store = PolicyStore.create(
      options.file !== undefined
        ? { file: options.file, env: options.env, logger: options.logger, enforcer }
        : {
            policy: defaultPolicy({ workspaceRoots: options.workspaceRoots }),
            env: options.env,
            logger: options.logger,
            enforcer,
          },
    );
  } catch (err) {
    if (err instanceof PolicyValidationError) {
      // One line, like every other configuration error; `worker policy check` lists them one per line.
      const problems = err.issues.map((i) => formatIssue(i)).join('; ');
      throw new WorkerCliError('POLICY_INVALID', `invalid policy ${err.source}: ${problems}`, {
        source: '--policy',
        cause: err,
      });
    }
    if (err instanceof PolicyError) {
      throw new WorkerCliError('POLICY_INVALID', err.message, { source: '--policy', cause: err });
    }
    throw err;
  }
  // Reloads reach the next task, never a running one: the executor takes one
  // snapshot per task and keeps it for all of that task's checks.
  const enforcer: PolicyEnforcer = {
    enforce: (request) => store.current().enforce(request),
    checkEgress: (request) => store.current().checkEgress(request),
    snapshot: () => store.current(),
    toolGrant: (tool) => store.current().toolGrant(tool),
  };
  return { store, enforcer };
}
