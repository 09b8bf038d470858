import { optInRefusal, usesDescriptorMounts } from '@baaaht/executor';
import type { Executor, PolicyEnforcer, ToolProbeResult } from '@baaaht/executor';
import type { Policy, PolicyMode } from '@baaaht/policy';
import type { ToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { envName } from './config-schema';
import type { WorkerConfig } from './config-schema';
import type { Logger } from './logger';
import { runtimeUnavailableTools } from './runtime-availability';
import { OFFLINE_BUILD_COMMAND, OFFLINE_BUILD_HINT, isOfflineImage } from './offline-images';

/** How long the start-up check of one image may take; past it the image's tools are offered unchecked. */
export const TOOL_PROBE_TIMEOUT_MS = 10_000;

/**
 * The catalog tools this configuration cannot run, each with why and how to enable it. The worker does
 * not offer them to the orchestrator, `worker run` refuses them up front, and `worker doctor` lists them.
 * `probe` is the image check (`Executor.probeTools`): a missing image under pull policy `never` and an
 * image without a program the tool calls make the tool unavailable.
 */
export function unavailableTools(
  config: Pick<WorkerConfig, 'searchBackendUrl'> & Partial<Pick<WorkerConfig, 'offlineImages'>>,
  probe: readonly ToolProbeResult[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const unavailable = new Map<string, string>();
  for (const result of probe) {
    if (result.status !== 'unavailable') continue;
    const { reason, fix } = probeAdvice(result, config.offlineImages, env);
    unavailable.set(result.tool, `${reason}; ${fix}`);
  }
  if (config.searchBackendUrl === undefined && !unavailable.has('web_search')) {
    unavailable.set(
      'web_search',
      'web_search needs a search backend (a SearXNG-compatible JSON endpoint): ' +
        `pass --search-backend-url URL or set ${envName('search-backend-url')}`,
    );
  }
  return unavailable;
}

/**
 * The opt-in tools (exec) the policy does not enable, each with the setting that would. The worker does
 * not offer them and `worker run` refuses them with the executor's own message. Judged when the worker
 * starts: enabling exec by a policy reload takes a restart to be offered, disabling it denies at once.
 */
export function disabledOptInTools(
  specs: readonly Pick<ToolSpec, 'name' | 'enabledBy'>[],
  policy: Pick<PolicyEnforcer, 'toolGrant'>,
): Map<string, string> {
  const disabled = new Map<string, string>();
  for (const spec of specs) {
    if (spec.enabledBy === undefined) continue;
    if (policy.toolGrant?.(spec.name)?.enabled !== true)
      disabled.set(spec.name, optInRefusal(spec.name, spec.enabledBy));
  }
  return disabled;
}

/** Why the probe found a tool unusable, and what to do about it. */
export function probeAdvice(
  result: ToolProbeResult,
  offlineImages = false,
  env: NodeJS.ProcessEnv = process.env,
): { reason: string; fix: string } {
  const reason = result.reason ?? `image ${result.image} cannot run ${result.tool}`;
  if (result.missing !== undefined)
    return {
      reason,
      fix: `point ${result.tool} at an image that has them (--tool-image ${result.tool}=IMAGE, or --offline-images)`,
    };
  if (offlineImages && isOfflineImage(result.image, env))
    return { reason: `offline image ${result.image} is not present`, fix: OFFLINE_BUILD_HINT };
  return {
    reason,
    fix: `docker pull ${result.image}, or without a registry run \`${OFFLINE_BUILD_COMMAND}\` and pass --offline-images`,
  };
}

/**
 * The start-up image check: one bounded probe per distinct image, in parallel (see `Executor.probeTools`).
 * Logs what will be pulled later and what could not be checked; the caller logs what is not offered.
 */
export async function probeWorkerTools(
  executor: Pick<Executor, 'probeTools'>,
  tools: readonly string[],
  logger: Logger,
  timeoutMs = TOOL_PROBE_TIMEOUT_MS,
): Promise<ToolProbeResult[]> {
  const started = Date.now();
  const results = await executor.probeTools(tools, { timeoutMs });
  for (const r of results) {
    const meta = { component: 'worker', tool: r.tool, image: r.image };
    if (r.status === 'will-pull') logger.info(`${r.tool} is offered: ${r.reason ?? ''}`, meta);
    else if (r.status === 'unchecked') logger.warn(`${r.tool} is offered unchecked: ${r.reason ?? ''}`, meta);
  }
  logger.info('checked tool images', {
    component: 'worker',
    images: new Set(results.map((r) => r.image)).size,
    durationMs: Date.now() - started,
    ready: results.filter((r) => r.status === 'ready').map((r) => r.tool),
    unavailable: results.filter((r) => r.status === 'unavailable').map((r) => r.tool),
  });
  return results;
}

/**
 * What this worker cannot run and why: the image check, the configuration (no search backend) and the
 * policy's opt-in tools together, each logged as `not offering <tool>: <why>`. The worker offers the rest
 * to its orchestrator, `worker mcp` lists the rest to its client.
 */
export async function checkToolAvailability(options: {
  executor: Pick<Executor, 'probeTools'> & Partial<Pick<Executor, 'descriptorMountProblem'>>;
  catalog: Pick<ToolCatalog, 'all'>;
  config: Parameters<typeof unavailableTools>[0];
  policy: Pick<PolicyEnforcer, 'toolGrant'>;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The policy snapshot, `--runtime` and the engine's runtimes: tools their runtime keeps from running are not offered. */
  runtime?: { policy: { policy: Policy; mode: PolicyMode }; workerRuntime: string; engineRuntimes: readonly string[] };
}): Promise<Map<string, string>> {
  const { catalog, logger, runtime } = options;
  const names = catalog.all().map((s) => s.name);
  const probe = await probeWorkerTools(options.executor, names, logger);
  const unavailable = unavailableTools(options.config, probe, options.env);
  for (const [tool, reason] of disabledOptInTools(catalog.all(), options.policy)) unavailable.set(tool, reason);
  if (runtime !== undefined) {
    const judge = (problem: (r: string) => string | undefined): Map<string, string> =>
      runtimeUnavailableTools(catalog.all(), runtime.policy, runtime.workerRuntime, runtime.engineRuntimes, problem);
    // First pass: which gVisor runtimes workspace tools run under; each is probed once for descriptor mounts.
    const problems = new Map<string, string | undefined>();
    judge((r) => {
      if (usesDescriptorMounts(r)) problems.set(r, undefined);
      return undefined;
    });
    for (const r of problems.keys())
      problems.set(r, await (options.executor.descriptorMountProblem?.(r) ?? Promise.resolve('it was not probed')));
    for (const [tool, reason] of judge((r) => problems.get(r))) unavailable.set(tool, reason);
  }
  for (const [tool, reason] of unavailable) logger.warn(`not offering ${tool}: ${reason}`, { component: 'worker' });
  return unavailable;
}
