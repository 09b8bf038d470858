import { TaskAssignment } from '@baaaht/proto';
import { toAgentTask } from './to-agent-task';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('toAgentTask', () => {
  it('carries every field of the wire assignment', () => {
    const assignment = TaskAssignment.fromPartial({
      taskId: 't1',
      sessionId: 's1',
      tool: 'file_read',
      params: { path: 'a.txt' },
      args: ['a.txt'],
      mountSource: '/srv/ws',
      timeoutMs: 5000,
      limits: { nanoCpus: 250_000_000, memoryBytes: 64 * 2 ** 20, memorySwap: 128 * 2 ** 20, pidsLimit: 8 },
      labels: { team: 'search' },
      attempt: 2,
      leaseMs: 30_000,
      traceContext: { traceparent: TRACEPARENT },
    });
    expect(toAgentTask(assignment)).toEqual({
      taskId: 't1',
      sessionId: 's1',
      tool: 'file_read',
      params: { path: 'a.txt' },
      args: ['a.txt'],
      mountSource: '/srv/ws',
      timeoutMs: 5000,
      limits: { nanoCpus: 250_000_000, memoryBytes: 64 * 2 ** 20, memorySwapBytes: 128 * 2 ** 20, pidsLimit: 8 },
      labels: { team: 'search' },
      attempt: 2,
      leaseMs: 30_000,
      traceContext: { traceparent: TRACEPARENT },
    });
    // Every wire field was set above, so each must have left a trace.
    expect(Object.keys(toAgentTask(assignment)).length).toBe(Object.keys(assignment).length);
  });

  it("leaves the wire's zero values out", () => {
    expect(
      toAgentTask(TaskAssignment.fromPartial({ taskId: 't', tool: 'x', limits: { memoryBytes: 0, pidsLimit: 3 } })),
    ).toEqual({
      taskId: 't',
      sessionId: '',
      tool: 'x',
      mountSource: '',
      labels: {},
      attempt: 1,
      limits: { pidsLimit: 3 },
    });
  });
});
