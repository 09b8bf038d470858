import { AGENT_STATES } from './agent-lifecycle';
import type { AgentState } from './agent-lifecycle';
import type { MetricCounter, MetricGauge, MetricMeter } from './metric-meter';
import type { TaskOutcomeStatus } from './task-handler';

/** The agent's metrics, created once per agent on the injected meter. Names are a contract with the embedders. */
export class AgentInstruments {
  readonly reconnects: MetricCounter;
  readonly heartbeatFailures: MetricCounter;
  private readonly state: MetricGauge;
  private readonly tasksReceived: MetricCounter;
  private readonly resultsReported: MetricCounter;

  constructor(meter: MetricMeter) {
    this.state = meter.gauge({
      name: 'baaaht_agent_connection_state',
      help: "The agent's lifecycle state: 1 for the current one, 0 for the others.",
      labelNames: ['state'],
    });
    this.reconnects = meter.counter({
      name: 'baaaht_agent_reconnects_total',
      help: 'Successful connections to the hub after the first one.',
    });
    this.tasksReceived = meter.counter({
      name: 'baaaht_agent_tasks_received_total',
      help: 'Assignments the hub pushed, accepted or rejected, by tool.',
      labelNames: ['tool'],
    });
    this.resultsReported = meter.counter({
      name: 'baaaht_agent_results_reported_total',
      help: 'Task outcomes reported to the hub (once per task, not per re-send), by status.',
      labelNames: ['status'],
    });
    this.heartbeatFailures = meter.counter({
      name: 'baaaht_agent_heartbeat_failures_total',
      help: 'Heartbeats the hub did not answer.',
    });
    this.setState('idle');
  }

  /** Every series of the union, so a dashboard sees 0s rather than gaps. */
  setState(current: AgentState): void {
    for (const state of AGENT_STATES) this.state.set(state === current ? 1 : 0, { state });
  }

  taskReceived(tool: string): void {
    this.tasksReceived.add(1, { tool });
  }

  resultReported(status: TaskOutcomeStatus): void {
    this.resultsReported.add(1, { status });
  }
}
