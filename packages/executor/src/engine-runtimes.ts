import type { DockerClient } from './docker-client';
import { runtimeRegistrationHint } from './runtime-profile';

/**
 * The OCI runtimes the engine has registered, as read when the executor opened (`docker info`). A task
 * whose policy asks for one not in the list reads it again once (an operator may have registered it and
 * restarted dockerd since), sharing one read between concurrent tasks; a runtime still missing refuses
 * the task, never falling back to a weaker one.
 */
export class EngineRuntimes {
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly docker: Pick<DockerClient, 'runtimes'>,
    private names: readonly string[],
  ) {}

  /** What the engine had at the last read. */
  get known(): readonly string[] {
    return this.names;
  }

  /** Whether the engine has `runtime`, reading its list again when the last read did not have it. */
  async has(runtime: string): Promise<boolean> {
    if (this.names.includes(runtime)) return true;
    this.refreshing ??= this.docker
      .runtimes()
      .then(
        (names) => void (this.names = names),
        () => undefined,
      )
      .finally(() => (this.refreshing = undefined));
    await this.refreshing;
    return this.names.includes(runtime);
  }
}

/** The RUNTIME_UNAVAILABLE message: which runtime, who asked, what the engine has, and how to register it. */
export function runtimeUnavailableMessage(runtime: string, askedBy: string, known: readonly string[]): string {
  return (
    `OCI runtime '${runtime}' is not available on this Docker engine (it has: ${known.join(', ') || 'none'}); ` +
    `${askedBy} asks for it. To register it, ${runtimeRegistrationHint(runtime)}. ` +
    'The executor never falls back to a weaker runtime.'
  );
}
