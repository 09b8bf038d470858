import { parseHostPort, startStatusServer } from './status-server';
import { WorkerMetrics } from './worker-metrics';

async function get(port: number, path: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('status server', () => {
  it('answers health, readiness, metrics and status on 127.0.0.1', async () => {
    let t = 1_000;
    const metrics = new WorkerMetrics({ name: 'w1', version: '1.2.3', now: () => t });
    const server = await startStatusServer({
      address: '127.0.0.1:0',
      snapshot: () => metrics.snapshot(),
      ready: () => metrics.ready,
    });
    try {
      const { port } = server.address;
      expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
      expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: 'not ready: connection idle\n' });

      metrics.setConnection('connecting');
      metrics.setConnection('ready');
      metrics.setRegistered('wid-1');
      expect((await get(port, '/readyz')).status).toBe(200);

      metrics.taskStarted('grep');
      metrics.taskStarted('grep');
      metrics.taskFinished('completed');
      metrics.setEgress({ allowed: 2, denied: 1 });
      t += 5_000;
      const m = await get(port, '/metrics');
      expect(m.type).toContain('text/plain');
      expect(m.body).toContain('baaaht_worker_tasks_total{status="completed"} 1');
      expect(m.body).toContain('baaaht_worker_tasks_total{status="failed"} 0');
      expect(m.body).toContain('baaaht_worker_running_tasks 1');
      expect(m.body).toContain('baaaht_worker_connection_state{state="ready"} 1');
      expect(m.body).toContain('baaaht_worker_connection_state{state="idle"} 0');
      expect(m.body).toContain('baaaht_worker_egress_decisions_total{decision="denied"} 1');
      expect(m.body).toContain('baaaht_worker_uptime_seconds 5');
      expect(m.body).toMatch(/# TYPE baaaht_worker_reconnects_total counter\nbaaaht_worker_reconnects_total 0\n/);

      const status = JSON.parse((await get(port, '/status.json')).body);
      expect(status).toMatchObject({
        ready: true,
        name: 'w1',
        workerId: 'wid-1',
        runningTasks: 1,
        tasksByStatus: { completed: 1 },
        tasksByTool: { grep: 2 },
      });

      metrics.setConnection('transient_failure');
      metrics.setConnection('connecting');
      expect(metrics.snapshot().reconnects).toBe(1);
      expect((await get(port, '/readyz')).status).toBe(503);
      expect((await get(port, '/nope')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('names --status-addr when the port is taken', async () => {
    const first = await startStatusServer({
      address: '127.0.0.1:0',
      snapshot: () => new WorkerMetrics({ name: 'w', version: '0' }).snapshot(),
      ready: () => false,
    });
    try {
      await expect(
        startStatusServer({
          address: `127.0.0.1:${first.address.port}`,
          snapshot: () => new WorkerMetrics({ name: 'w', version: '0' }).snapshot(),
          ready: () => false,
        }),
      ).rejects.toThrow(/^--status-addr: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('parses host:port and refuses junk', () => {
    expect(parseHostPort('127.0.0.1:9090')).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(parseHostPort(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseHostPort('9090')).toThrow('--status-addr: invalid address "9090" (expected host:port)');
  });
});
