import type { ToolProbeResult } from '@baaaht/executor';
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

describe('tool availability from the image check', () => {
  const lacksCurl: ToolProbeResult = {
    tool: 'fetch_url',
    image: 'baaaht/tools-busybox:offline',
    status: 'unavailable',
    missing: ['curl'],
    reason: 'image baaaht/tools-busybox:offline lacks curl (fetch_url needs sh, curl, dd, cat)',
  };
  const absent: ToolProbeResult = {
    tool: 'grep',
    image: 'baaaht/tools-busybox:offline',
    status: 'unavailable',
    reason: 'image baaaht/tools-busybox:offline is not present and the pull policy is never',
  };
  const backend = { searchBackendUrl: 'http://s:1' };

  it('an image without the program is unavailable, named, with how to fix it; ready and will-pull are not', () => {
    const reasons = unavailableTools(backend, [
      lacksCurl,
      { tool: 'list', image: 'alpine:3.19', status: 'will-pull', reason: 'pulled on first use' },
      { tool: 'find', image: 'a', status: 'ready' },
      { tool: 'file_read', image: 'b', status: 'unchecked', reason: 'no answer within 10000ms' },
    ]);
    expect([...reasons.keys()]).toEqual(['fetch_url']);
    expect(reasons.get('fetch_url')).toMatch(/lacks curl .*--tool-image fetch_url=IMAGE/);
  });

  it('a missing image under pull policy never names the build command; with --offline-images only that', () => {
    expect(unavailableTools(backend, [absent]).get('grep')).toMatch(
      /not present and the pull policy is never; docker pull .*`pnpm images:offline` and pass --offline-images/,
    );
    const offline = unavailableTools({ ...backend, offlineImages: true }, [absent], {}).get('grep');
    expect(offline).toBe(
      'offline image baaaht/tools-busybox:offline is not present; build them with `pnpm images:offline` (or `worker images --build`)',
    );
  });

  it('doctor fails a tool whose image lacks its program and leaves a missing image to the image check', () => {
    const checks = toolAvailabilityChecks(backend, [lacksCurl, absent]);
    expect(checks).toEqual([
      expect.objectContaining({ name: 'tool fetch_url', ok: false, fix: expect.stringContaining('--tool-image') }),
      expect.objectContaining({ name: 'tool web_search', ok: true }),
    ]);
    expect(formatDoctor(checks)).toMatch(/^✗ tool fetch_url: not offered: image \S+ lacks curl/m);
  });

  it('a warning is not a pass: the summary counts it', () => {
    const warned = formatDoctor([{ name: 'workspace', ok: true, warning: true, detail: 'warning: nothing to mount' }]);
    expect(warned).toBe('! workspace: warning: nothing to mount\nno failures, 1 warning\n');
    expect(warned).not.toContain('all checks passed');
  });
});
