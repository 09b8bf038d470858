import { RecordingMeter } from '@baaaht/test-utils';
import type { AgentSession } from './agent-connection';
import { AgentInstruments } from './agent-instruments';
import { Heartbeat } from './heartbeat';
import { quietLogger } from './logger';
import { ManualClock } from '@baaaht/test-utils';

type Answer = { err: { code: number; details: string; message: string } | null; reregister?: boolean };

/** A connection whose client answers heartbeats as the test says, recording each request. */
function fakeConnection(answers: Answer[]) {
  const session: AgentSession = { agentId: 'a1', token: 'secret' };
  const requests: Record<string, unknown>[] = [];
  const forgotten: AgentSession[] = [];
  let connected = true;
  const client = {
    heartbeat: (req: Record<string, unknown>, _md: unknown, _opts: unknown, cb: (e: unknown, r?: unknown) => void) => {
      requests.push(req);
      const answer = answers.shift() ?? { err: null };
      if (answer.err) cb(answer.err);
      else cb(null, { timestamp: new Date(), pendingTasks: [], reregister: answer.reregister ?? false });
    },
  };
  const connection = {
    current: () => (connected ? { client: client as never, session } : undefined),
    callOptions: () => [undefined as never, { deadline: 0 }] as never,
    forgetSession: (s: AgentSession) => void forgotten.push(s),
  };
  return { connection, requests, forgotten, session, disconnect: () => (connected = false) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('Heartbeat', () => {
  test('beats on the clock with the status and token, counts failures, drops the session on reregister, stops on abort', async () => {
    const clock = new ManualClock();
    const meter = new RecordingMeter();
    const fake = fakeConnection([
      { err: null },
      { err: { code: 14, details: 'unavailable', message: 'unavailable' } },
      { err: null, reregister: true },
    ]);
    const heartbeat = new Heartbeat({
      clock,
      intervalMs: 1000,
      logger: quietLogger,
      connection: fake.connection,
      status: () => ({ activeTasks: ['t1'], freeSlots: 3, draining: false }),
      failures: new AgentInstruments(meter).heartbeatFailures,
    });
    const stop = new AbortController();
    heartbeat.start(stop.signal);
    expect(heartbeat.lastAt).toBeUndefined();

    expect(clock.fire((ms) => ms === 1000)).toBe(1000);
    await flush();
    expect(fake.requests[0]).toMatchObject({ agentId: 'a1', token: 'secret', activeTasks: ['t1'], freeSlots: 3 });
    expect(heartbeat.lastAt).toBe(1000);

    clock.fire((ms) => ms === 1000);
    await flush();
    expect(meter.total('baaaht_agent_heartbeat_failures_total')).toBe(1);
    expect(heartbeat.lastAt).toBe(1000);

    clock.fire((ms) => ms === 1000);
    await flush();
    expect(fake.forgotten).toEqual([fake.session]);

    // Disconnected: no request, no failure, but still scheduled.
    fake.disconnect();
    clock.fire((ms) => ms === 1000);
    await flush();
    expect(fake.requests).toHaveLength(3);
    expect(meter.total('baaaht_agent_heartbeat_failures_total')).toBe(1);
    expect(clock.timers.size).toBe(1);

    stop.abort();
    expect(clock.timers.size).toBe(0);
  });
});
