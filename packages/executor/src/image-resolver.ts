import type { DockerClient } from './docker-client';
import { dockerError, ExecutorError } from './errors';
import type { PullPolicy } from './executor-options';
import type { Logger } from './logger';

/** The error for an image that is missing and cannot be pulled: says what to do without a registry. */
export function imageNotFound(tool: string, image: string, why: string, cause?: unknown): ExecutorError {
  return new ExecutorError(
    'IMAGE_NOT_FOUND',
    `image '${image}' for tool '${tool}' is not available: ${why}. Without a registry, build the offline images with ` +
      `scripts/build-offline-images.sh (pnpm images:offline) and point the tool at one with --tool-image ${tool}=IMAGE ` +
      `(imageOverrides: { ${tool}: IMAGE }).`,
    { tool, cause },
  );
}

/** Makes sure a tool's image is present according to the pull policy, remembering images it has seen. */
export class ImageResolver {
  private readonly known = new Set<string>();

  constructor(
    private readonly docker: DockerClient,
    private readonly pullPolicy: PullPolicy,
    private readonly logger: Logger,
  ) {}

  /** Called when the engine reports an image missing after all (removed behind our back). */
  forget(image: string): void {
    this.known.delete(image);
  }

  /** Resolves when the image can be used; the pull, if any, is aborted with `signal` (the task's timeout or cancel). */
  async ensure(image: string, task: { taskId: string; tool: string; signal: AbortSignal }): Promise<void> {
    if (this.pullPolicy !== 'always' && this.known.has(image)) return;
    const meta = { component: 'executor', taskId: task.taskId, tool: task.tool, image };
    let exists: boolean;
    try {
      exists = await this.docker.imageExists(image);
    } catch (err) {
      throw dockerError(`inspecting image ${image}`, err, { taskId: task.taskId, tool: task.tool });
    }
    if (exists && this.pullPolicy !== 'always') {
      this.known.add(image);
      return;
    }
    if (this.pullPolicy === 'never')
      throw imageNotFound(task.tool, image, 'it is not present locally and pullPolicy is never');
    this.logger.info('pulling image', meta);
    try {
      await this.docker.pullImage(image, task.signal);
      this.known.add(image);
    } catch (err) {
      if (task.signal.aborted) throw err;
      if (exists) {
        this.logger.warn('pull failed; using the local image', { ...meta, error: String(err) });
        return;
      }
      throw imageNotFound(
        task.tool,
        image,
        `it is not present locally and the pull failed: ${err instanceof Error ? err.message : String(err)}`,
        err,
      );
    }
  }
}
