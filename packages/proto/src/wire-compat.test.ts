import { HeartbeatRequest, RegisterRequest, TaskAssignment, WorkerMessage } from './index';

// The seed's orchestrator decodes Register and Heartbeat by field number: these
// bytes must not change when the protocol grows.
describe('wire compatibility with the seed', () => {
  it('encodes HeartbeatRequest with the seed field numbers', () => {
    const bytes = HeartbeatRequest.encode({
      agentId: 'a',
      resources: undefined,
      activeTasks: ['t'],
      freeSlots: 0,
      draining: false,
      // The added token is empty here, so it adds no bytes: a seed heartbeat encodes as before.
      token: '',
    }).finish();
    // field 1 (agent_id, length-delimited) then field 3 (active_tasks)
    expect(Array.from(bytes)).toEqual([0x0a, 1, 0x61, 0x1a, 1, 0x74]);
  });

  it('encodes RegisterRequest name as field 1 and type as field 2', () => {
    const bytes = RegisterRequest.encode(
      RegisterRequest.fromPartial({ name: 'w', type: 3 /* AGENT_TYPE_WORKER */ }),
    ).finish();
    expect(Array.from(bytes)).toEqual([0x0a, 1, 0x77, 0x10, 3]);
  });

  it('round-trips a task assignment with typed params through a Work message', () => {
    const msg = WorkerMessage.fromPartial({
      payload: { $case: 'finished', value: { taskId: 't1', exitCode: 2, stdout: Buffer.from('hi') } },
    });
    const decoded = WorkerMessage.decode(WorkerMessage.encode(msg).finish());
    expect(decoded.payload?.$case).toBe('finished');
    const assignment = TaskAssignment.fromPartial({
      taskId: 't1',
      tool: 'file_read',
      params: { path: 'src/main.ts', offset: 10, nested: { ok: true } },
    });
    const back = TaskAssignment.decode(TaskAssignment.encode(assignment).finish());
    expect(back.params).toEqual({ path: 'src/main.ts', offset: 10, nested: { ok: true } });
  });
});
