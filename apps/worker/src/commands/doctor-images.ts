import { randomBytes } from 'node:crypto';
import { createDockerClient, probeToolImages, toolPrograms } from '@baaaht/executor';
import type { DockerClient, ToolProbeResult } from '@baaaht/executor';
import type { WorkerConfig } from '../config-schema';
import { TOOL_PROBE_TIMEOUT_MS, probeAdvice } from '../tool-availability';
import { workerCatalog } from '../tool-catalog';
import { workerVersion } from '../version';
import { noWorkspaceWarning } from '../workspace-check';
import type { DoctorCheck } from './doctor-command';

/**
 * The same image check the worker runs at start-up, with the configuration's images. Its probe containers
 * carry the worker's name and a fresh instance id, so that worker's reaper removes one a killed doctor left.
 */
export async function probeCatalogImages(
  config: WorkerConfig,
  env: NodeJS.ProcessEnv,
  docker: DockerClient = createDockerClient({ env }),
): Promise<ToolProbeResult[]> {
  const { catalog } = workerCatalog(config.toolImages);
  return probeToolImages({
    docker,
    tools: catalog.all().map((spec) => ({
      tool: spec.name,
      image: spec.image,
      programs: toolPrograms(spec, config.runtime),
    })),
    pullPolicy: config.pullPolicy,
    runtime: config.runtime,
    workerId: config.name,
    instanceId: `doctor-${process.pid}-${randomBytes(4).toString('hex')}`,
    version: workerVersion(),
    timeoutMs: TOOL_PROBE_TIMEOUT_MS,
  });
}

/** One check per image: present (and what it was checked for), will be pulled, missing, or not checkable. */
export function imageChecks(
  config: Pick<WorkerConfig, 'pullPolicy' | 'offlineImages'>,
  probe: readonly ToolProbeResult[],
  env: NodeJS.ProcessEnv = process.env,
): DoctorCheck[] {
  const byImage = new Map<string, ToolProbeResult[]>();
  for (const r of probe) byImage.set(r.image, [...(byImage.get(r.image) ?? []), r]);
  const checks: DoctorCheck[] = [];
  for (const [image, results] of byImage) {
    const tools = results.map((r) => r.tool).join(', ');
    const name = `image ${image}`;
    const first = results[0] as ToolProbeResult;
    if (first.status === 'will-pull') {
      checks.push({
        name,
        ok: true,
        notice: true,
        detail: `missing; available, will be pulled on first use (pull policy ${config.pullPolicy}, needs a registry) for ${tools}`,
      });
    } else if (first.status === 'unavailable' && first.missing === undefined) {
      checks.push({
        name,
        ok: false,
        detail: `missing (needed by ${tools}; not offered: pull policy ${config.pullPolicy})`,
        fix: probeAdvice(first, config.offlineImages, env).fix,
      });
    } else if (first.status === 'unchecked') {
      checks.push({ name, ok: true, notice: true, detail: `${first.reason ?? 'not checked'}; offered unchecked` });
    } else {
      const lacking = results.filter((r) => r.missing !== undefined).map((r) => r.tool);
      const runs = results.filter((r) => r.status === 'ready').map((r) => r.tool);
      checks.push({
        name,
        ok: true,
        detail: `present, runs ${runs.join(', ') || 'none of its tools'}${lacking.length > 0 ? ` (not ${lacking.join(', ')})` : ''}`,
      });
    }
  }
  return checks;
}

/** A warning when nothing can be mounted (see `noWorkspaceWarning`). */
export function workspaceChecks(
  config: Pick<WorkerConfig, 'policy' | 'workspaceRoots'>,
  env: NodeJS.ProcessEnv,
): DoctorCheck[] {
  const warning = noWorkspaceWarning(config, env);
  if (warning === undefined) return [];
  return [
    {
      name: 'workspace',
      ok: true,
      warning: true,
      detail: `warning: ${warning}`,
    },
  ];
}
