import { formatDoctor, toolAvailabilityChecks } from './commands/doctor-command';
import { unavailableTools } from './tool-availability';

describe('tool availability', () => {
  it('web_search without a backend is unavailable, and the reason names the flag and the env var', () => {
    const reason = unavailableTools({ searchBackendUrl: undefined }).get('web_search');
    expect(reason).toContain('--search-backend-url');
    expect(reason).toContain('WORKER_SEARCH_BACKEND_URL');
    expect(reason).not.toContain('ctx.');
    expect(unavailableTools({ searchBackendUrl: 'http://127.0.0.1:8888' }).size).toBe(0);
  });

  it('doctor lists it as a notice, not a failure, and says when it is offered', () => {
    const missing = toolAvailabilityChecks({ searchBackendUrl: undefined });
    expect(missing).toEqual([expect.objectContaining({ name: 'tool web_search', ok: true, notice: true })]);
    expect(formatDoctor(missing)).toMatch(/^! tool web_search: not offered: .*--search-backend-url/m);
    expect(formatDoctor(missing)).toMatch(/all checks passed\n$/);
    expect(toolAvailabilityChecks({ searchBackendUrl: 'http://s:1' })).toEqual([
      { name: 'tool web_search', ok: true, detail: 'offered, search backend http://s:1' },
    ]);
  });
});
