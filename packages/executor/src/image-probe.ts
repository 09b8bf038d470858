/**
 * Which tools an image can actually run, checked once per image before any task: is the image there
 * (or may it be pulled later), and does it have every program the tool calls? One short, hardened
 * container per distinct image runs a constant script that looks each program up on the image's PATH.
 */
import { randomBytes } from 'node:crypto';
import { buildCreateBody, NOBODY_USER } from './container-config';
import type { DockerClient } from './docker-client';
import type { PullPolicy } from './executor-options';
import { quietLogger, shortId } from './logger';
import type { Logger } from './logger';
import { mountPinSupport } from './mount-gate';
import { StreamDemuxer } from './output-demux';
import type { ToolSpec } from '@baaaht/tool-specs';

/** One tool to check: the image it runs in and the programs it needs there. */
export interface ToolImageNeed {
  tool: string;
  image: string;
  /** Names looked up on PATH, or absolute paths (`/bin/sh`). */
  programs: readonly string[];
}

/**
 * - `ready`: the image is present and has every program.
 * - `will-pull`: the image is missing; the pull policy pulls it on first use (not checked further).
 * - `unavailable`: the image is missing under pull policy `never`, or lacks a program (`missing`).
 * - `unchecked`: the check could not finish (timeout, Docker error); the tool is left offered.
 */
export type ToolProbeStatus = 'ready' | 'will-pull' | 'unavailable' | 'unchecked';

export interface ToolProbeResult {
  tool: string;
  image: string;
  status: ToolProbeStatus;
  /** Programs the image lacks (status `unavailable`). */
  missing?: string[];
  /** Why, in words, for every status but `ready`. */
  reason?: string;
}

export interface ProbeToolImagesOptions {
  docker: DockerClient;
  tools: readonly ToolImageNeed[];
  pullPolicy: PullPolicy;
  /** OCI runtime of the probe containers (the tools' own). */
  runtime: string;
  /** Labels the probe containers carry, so the owner's reaper can always remove them. */
  workerId: string;
  instanceId: string;
  version: string;
  /** Bound on each image's check; past it the image's tools are `unchecked`. @default 10000 */
  timeoutMs?: number;
  /** @default quietLogger */
  logger?: Logger;
  /** Told about each probe container while it exists (the executor keeps its reaper off it). */
  onContainer?: (id: string, phase: 'created' | 'removed') => void;
}

/**
 * What must be on a tool's image: the spec's own programs, plus the mount identity gate's `/bin/sh`
 * and `stat` for a tool that mounts the workspace (see mount-gate.ts).
 */
export function toolPrograms(spec: Pick<ToolSpec, 'programs' | 'workspace'>, runtime: string): string[] {
  const programs = [...(spec.programs ?? [])];
  if (spec.workspace !== 'none' && mountPinSupport(runtime) === 'gate') {
    for (const p of ['/bin/sh', 'stat']) if (!programs.includes(p)) programs.push(p);
  }
  return programs;
}

/** Label value of `org.baaaht.tool` on probe containers. */
export const PROBE_TOOL_LABEL = 'image-probe';
const DONE_MARKER = 'baaaht-probe-done';

/**
 * Prints each argument that is not an executable file on PATH (or, when absolute, at that path), then
 * the done marker. Program names arrive as positional arguments, never inside the script.
 */
export const PROBE_SCRIPT = [
  'for p; do',
  '  found=',
  '  case $p in',
  '    /*) if [ -f "$p" ] && [ -x "$p" ]; then found=1; fi ;;',
  '    *) IFS=:; for d in $PATH; do if [ -f "$d/$p" ] && [ -x "$d/$p" ]; then found=1; break; fi; done; unset IFS ;;',
  '  esac',
  '  [ -n "$found" ] || echo "missing $p"',
  'done',
  `echo ${DONE_MARKER}`,
].join('\n');

type ImageVerdict =
  | { kind: 'present'; missing: Set<string> }
  | { kind: 'absent' }
  | { kind: 'no-shell' }
  | { kind: 'failed'; reason: string };

/** Checks every tool's image, distinct images in parallel, each bounded by `timeoutMs`. Never throws. */
export async function probeToolImages(options: ProbeToolImagesOptions): Promise<ToolProbeResult[]> {
  const logger = options.logger ?? quietLogger;
  const byImage = new Map<string, Set<string>>();
  for (const t of options.tools) {
    const set = byImage.get(t.image) ?? new Set<string>();
    for (const p of t.programs) set.add(p);
    byImage.set(t.image, set);
  }
  const verdicts = new Map<string, ImageVerdict>();
  await Promise.all(
    [...byImage].map(async ([image, programs]) => {
      const verdict = await probeImage(options, image, [...programs].sort()).catch((err: unknown): ImageVerdict => ({
        kind: 'failed',
        reason: errorText(err),
      }));
      verdicts.set(image, verdict);
      logger.debug('probed image', { component: 'executor', image, verdict: verdict.kind });
    }),
  );
  return options.tools.map((t) => toolResult(t, verdicts.get(t.image) as ImageVerdict, options.pullPolicy));
}

function toolResult(t: ToolImageNeed, verdict: ImageVerdict, pullPolicy: PullPolicy): ToolProbeResult {
  const base = { tool: t.tool, image: t.image };
  switch (verdict.kind) {
    case 'absent':
      return pullPolicy === 'never'
        ? { ...base, status: 'unavailable', reason: `image ${t.image} is not present and the pull policy is never` }
        : { ...base, status: 'will-pull', reason: `image ${t.image} is not present; it is pulled on first use` };
    case 'failed':
      return { ...base, status: 'unchecked', reason: `could not check image ${t.image}: ${verdict.reason}` };
    case 'no-shell':
      if (t.programs.some((p) => p === 'sh' || p === '/bin/sh'))
        return { ...base, status: 'unavailable', missing: ['sh'], reason: `image ${t.image} lacks sh` };
      return { ...base, status: 'unchecked', reason: `image ${t.image} has no sh to check its programs with` };
    case 'present': {
      const missing = t.programs.filter((p) => verdict.missing.has(p));
      if (missing.length === 0) return { ...base, status: 'ready' };
      return {
        ...base,
        status: 'unavailable',
        missing,
        reason: `image ${t.image} lacks ${missing.join(', ')} (${t.tool} needs ${t.programs.join(', ')})`,
      };
    }
  }
}

async function probeImage(options: ProbeToolImagesOptions, image: string, programs: string[]): Promise<ImageVerdict> {
  const { docker } = options;
  if (!(await docker.imageExists(image))) return { kind: 'absent' };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const taskId = `probe-${randomBytes(4).toString('hex')}`;
  const body = buildCreateBody(
    {
      workerId: options.workerId,
      instanceId: options.instanceId,
      version: options.version,
      taskId,
      tool: PROBE_TOOL_LABEL,
      image,
      user: NOBODY_USER,
      workspaceMode: 'readonly',
      protectedPaths: [],
      allowHardlinks: false,
      cpus: 0.2,
      memoryBytes: 32 * 1024 * 1024,
      pidsLimit: 16,
      tmpfsBytes: 1024 * 1024,
      readOnlyRootfs: true,
      runtime: options.runtime,
      deadlineMs: Date.now() + timeoutMs,
    },
    { argv: ['sh', '-c', PROBE_SCRIPT, 'probe', ...programs] },
    `baaaht-probe-${randomBytes(3).toString('hex')}`,
  );
  let stdout = '';
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let id: string | undefined;
  const run = async (): Promise<ImageVerdict> => {
    id = await docker.createContainer(body);
    options.onContainer?.(id, 'created');
    const demux = new StreamDemuxer((which, chunk) => {
      if (which === 'stdout' && stdout.length < 64 * 1024) stdout += chunk.toString('utf8');
    });
    const stream = await docker.attachContainer(id, { stdin: false, onData: (c) => demux.push(c) });
    try {
      try {
        await docker.startContainer(id);
      } catch (err) {
        // The engine refuses to start a command it cannot find: the image has no sh.
        if (/executable file not found|no such file or directory/i.test(errorText(err))) return { kind: 'no-shell' };
        throw err;
      }
      await docker.waitContainer(id);
      await Promise.race([stream.ended, new Promise((r) => setTimeout(r, 1000).unref())]);
    } finally {
      stream.destroy();
    }
    if (!stdout.includes(DONE_MARKER)) return { kind: 'failed', reason: 'the probe script did not finish' };
    const missing = new Set(
      stdout
        .split('\n')
        .filter((l) => l.startsWith('missing '))
        .map((l) => l.slice('missing '.length)),
    );
    return { kind: 'present', missing };
  };
  let removed = false;
  const cleanup = async (): Promise<void> => {
    if (id === undefined || removed) return;
    removed = true;
    const created = id;
    await docker.removeContainer(created).catch((err: unknown) =>
      (options.logger ?? quietLogger).warn('could not remove probe container; the reaper will retry', {
        component: 'executor',
        containerId: shortId(created),
        error: errorText(err),
      }),
    );
    options.onContainer?.(created, 'removed');
  };
  const running = run();
  try {
    const outcome = await Promise.race([running, timedOut]);
    if (outcome === 'timeout') return { kind: 'failed', reason: `no answer within ${timeoutMs}ms` };
    return outcome;
  } finally {
    clearTimeout(timer);
    // Removing (forced) also ends a probe that hangs; one still being created is removed once it exists.
    await cleanup();
    void running.catch(() => undefined).then(cleanup);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
