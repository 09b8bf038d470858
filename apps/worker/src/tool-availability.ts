import { envName } from './config-schema';
import type { WorkerConfig } from './config-schema';

/**
 * The catalog tools this configuration cannot run, each with why and how to enable it. The worker does
 * not offer them to the orchestrator, `worker run` refuses them up front, and `worker doctor` lists them.
 */
export function unavailableTools(config: Pick<WorkerConfig, 'searchBackendUrl'>): Map<string, string> {
  const unavailable = new Map<string, string>();
  if (config.searchBackendUrl === undefined) {
    unavailable.set(
      'web_search',
      'web_search needs a search backend (a SearXNG-compatible JSON endpoint): ' +
        `pass --search-backend-url URL or set ${envName('search-backend-url')}`,
    );
  }
  return unavailable;
}
