import type { TaskFinished } from '@baaaht/proto';

/** Hub-level events, for hosts and test fixtures. */
export interface HubCoreEvents {
  'task-finished': [taskId: string, finished: TaskFinished, agentId: string];
  'task-requeued': [taskId: string, reason: string, attempt: number];
  'worker-connected': [agentId: string];
  'worker-disconnected': [agentId: string];
  'worker-unregistered': [agentId: string];
}

/** How the hub's parts raise those events (HubCore's `emit`). */
export type EmitHubEvent = <K extends keyof HubCoreEvents>(event: K, ...args: HubCoreEvents[K]) => void;
