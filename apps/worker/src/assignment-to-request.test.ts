import { toAgentTask } from '@baaaht/agent';
import type { AgentTask } from '@baaaht/agent';
import { TaskAssignment } from '@baaaht/proto';
import { IGNORED_ASSIGNMENT_FIELDS, assignmentToRequest } from './assignment-to-request';

const MiB = 2 ** 20;
const ctx = { signal: new AbortController().signal, onEvent: () => undefined };

describe('assignmentToRequest', () => {
  const full: AgentTask = {
    taskId: 't1',
    sessionId: 'sess-1',
    tool: 'file_read',
    params: { path: 'a.txt' },
    args: ['a.txt'],
    mountSource: '/srv/ws',
    timeoutMs: 5000,
    limits: { nanoCpus: 250_000_000, memoryBytes: 64 * MiB, memorySwapBytes: 128 * MiB, pidsLimit: 8 },
    labels: { team: 'search' },
    attempt: 3,
    leaseMs: 30_000,
    traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  };

  it('maps every field the container needs: limits, session id, labels, timeout, workspace', () => {
    expect(assignmentToRequest(full, ctx)).toEqual({
      tool: 'file_read',
      taskId: 't1',
      sessionId: 'sess-1',
      params: { path: 'a.txt' },
      args: ['a.txt'],
      mountSource: '/srv/ws',
      timeoutMs: 5000,
      limits: { cpus: 0.25, memoryBytes: 64 * MiB, pidsLimit: 8 },
      labels: { team: 'search' },
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    });
  });

  it('says why each field that does not reach the executor is ignored', () => {
    expect(Object.keys(IGNORED_ASSIGNMENT_FIELDS).sort()).toEqual([
      'attempt',
      'leaseMs',
      'limits.memorySwapBytes',
      'traceContext',
    ]);
    for (const reason of Object.values(IGNORED_ASSIGNMENT_FIELDS)) expect(reason.length).toBeGreaterThan(20);
  });

  it('every wire field is either in the request or ignored with a reason', () => {
    const wire = TaskAssignment.fromPartial({
      taskId: 't1',
      sessionId: 'sess-1',
      tool: 'file_read',
      params: { path: 'a.txt' },
      args: ['a.txt'],
      mountSource: '/srv/ws',
      timeoutMs: 5000,
      limits: { nanoCpus: 1e9, memoryBytes: MiB, memorySwap: 2 * MiB, pidsLimit: 4 },
      labels: { a: 'b' },
      attempt: 2,
      leaseMs: 1000,
      traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const request = assignmentToRequest(toAgentTask(wire), ctx) as unknown as Record<string, unknown>;
    const limits = request['limits'] as Record<string, unknown>;
    for (const key of Object.keys(wire)) {
      if (key === 'limits') continue;
      expect([key, key in request || key in IGNORED_ASSIGNMENT_FIELDS]).toEqual([key, true]);
    }
    expect(limits).toEqual({ cpus: 1, memoryBytes: MiB, pidsLimit: 4 });
    expect(IGNORED_ASSIGNMENT_FIELDS).toHaveProperty(['limits.memorySwapBytes']);
  });

  it("leaves out what the assignment did not set, so the executor's defaults apply", () => {
    const bare: AgentTask = { taskId: 't', sessionId: '', tool: 'x', mountSource: '', labels: {}, attempt: 1 };
    expect(assignmentToRequest(bare, ctx)).toEqual({
      tool: 'x',
      taskId: 't',
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    });
  });
});
