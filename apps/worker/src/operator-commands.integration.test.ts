/**
 * `worker policy check`, `worker doctor` (Docker up and "down") and `worker tools`
 * through the real binary.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE } from '@baaaht/test-utils';
import { allToolSpecs } from '@baaaht/tool-specs';
import { cleanEnv, runCli, tempSocketPath } from './test-support/cli-process';

jest.setTimeout(60_000);

const OFFLINE = ['file_read', 'file_write', 'file_edit', 'grep', 'find', 'list']
  .map((t) => `${t}=${OFFLINE_BUSYBOX_IMAGE}`)
  .concat([`fetch_url=${OFFLINE_CURL_IMAGE}`, `web_search=${OFFLINE_CURL_IMAGE}`])
  .join(',');

function writeTemp(name: string, text: string): string {
  const file = path.join(cleanEnv()['HOME'] as string, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('worker policy check', () => {
  it('says ok and exits 0 for a good file', async () => {
    const file = writeTemp('good.yaml', 'id: good\nmode: strict\nnetwork:\n  allow_network: false\n');
    const r = await runCli('worker', ['policy', 'check', file], { env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'ok\nprotected paths: .git (the executor default; set mounts.protected_paths)\n' +
        'hard links: refused (the executor default; set mounts.allow_hardlinks)\n',
    );
  });

  it('shows the protected paths and the hard-link switch the policy sets', async () => {
    const file = writeTemp(
      'protect.yaml',
      'mounts:\n  protected_paths: [".git", ".env"]\n  allow_hardlinks: true\ntools:\n  file_write:\n    mounts:\n      protected_paths: [docs]\n',
    );
    const r = await runCli('worker', ['policy', 'check', file], { env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'ok\nprotected paths: .git, .env\nhard links: allowed\ntools.file_write: also protected: docs\n',
    );
  });

  it('lists every problem as path: message and exits 1', async () => {
    const file = writeTemp('bad.yaml', 'id: bad\nmode: sometimes\nnetwork:\n  allow_network: maybe\nbogus_key: 1\n');
    const r = await runCli('worker', ['policy', 'check', file], { env: cleanEnv() });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/^\S+: .+/);
    expect(r.stdout).toMatch(/mode/);
    expect(r.stdout).toContain('network.allow_network: ');
    expect(r.stdout).toMatch(/bogus_key/);
  });

  it('reports structural and semantic problems (a bad CIDR, a bad port) in the same run', async () => {
    const file = writeTemp(
      'many.yaml',
      'mode: sometimes\nnetwork:\n  allowed_networks: [10.0.0.0/33]\n  allowed_ports: [70000]\n',
    );
    const r = await runCli('worker', ['policy', 'check', file], { env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'mode: expected one of strict, permissive, disabled, got "sometimes"\n' +
        'network.allowed_ports[0]: must be an integer from 1 to 65535\n' +
        'network.allowed_networks[0]: expected a CIDR like 10.0.0.0/8, got "10.0.0.0/33"\n',
    );
  });

  it('reports a missing file and exits 1; a missing argument is a usage error', async () => {
    const missing = await runCli('worker', ['policy', 'check', '/nonexistent/p.yaml'], { env: cleanEnv() });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('/nonexistent/p.yaml');
    const usage = await runCli('worker', ['policy', 'check'], { env: cleanEnv() });
    expect(usage.code).toBe(2);
  });
});

describe('worker doctor', () => {
  it('passes every check with Docker up, offline images, a listening socket and a good policy', async () => {
    const socketPath = tempSocketPath('doctor');
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const policy = writeTemp('doctor-policy.yaml', 'id: doctor\nmode: strict\n');
    try {
      const r = await runCli('worker', ['doctor', '--orchestrator-addr', `unix://${socketPath}`, '--policy', policy], {
        env: cleanEnv({ WORKER_TOOL_IMAGE: OFFLINE }),
      });
      expect(r.stdout).toMatch(/^✓ docker: engine \S+ \(API \d+\.\d+\)/m);
      // Which engine discovery chose, by which strategy, and every candidate it looked at.
      expect(r.stdout).toMatch(/^✓ docker endpoint: (unix|tcp):\/\/\S+, chosen by [a-z-]+ \(.+\)$/m);
      expect(r.stdout).toMatch(/^ {4}- docker-context: skipped: /m);
      expect(r.stdout).toMatch(/^ {4}- rootless unix:\/\/\S+: (skipped: .+|found|answered)$/m);
      expect(r.stdout).toContain(`✓ image ${OFFLINE_BUSYBOX_IMAGE}: present`);
      expect(r.stdout).toContain(`✓ image ${OFFLINE_CURL_IMAGE}: present`);
      expect(r.stdout).toMatch(/^✓ orchestrator: /m);
      expect(r.stdout).toMatch(/^✓ policy: .*loads/m);
      // No --search-backend-url: doctor says web_search is not offered and how to offer it, without failing.
      expect(r.stdout).toMatch(
        /^! tool web_search: not offered: .*--search-backend-url URL or set WORKER_SEARCH_BACKEND_URL$/m,
      );
      expect(r.stdout).not.toContain('✗');
      expect(r.code).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails with how to fix it when images are missing and no orchestrator listens', async () => {
    const r = await runCli(
      'worker',
      [
        'doctor',
        '--orchestrator-addr',
        `unix://${tempSocketPath('none')}`,
        '--tool-image',
        '*=baaaht/does-not-exist:1',
        // Under if-missing a missing image is "will be pulled on first use" (issue 13); never makes it a failure.
        '--pull-policy',
        'never',
      ],
      { env: cleanEnv() },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ image baaaht/does-not-exist:1: missing');
    expect(r.stdout).toContain('pnpm images:offline');
    expect(r.stdout).toMatch(/✗ orchestrator: socket \S+ does not exist\n\s+fix: start the orchestrator/);
  });

  it('reports Docker down (DOCKER_HOST=unix:///nonexistent.sock) with how to fix it', async () => {
    const r = await runCli('worker', ['doctor'], { env: cleanEnv({ DOCKER_HOST: 'unix:///nonexistent.sock' }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ docker: no Docker engine answers at unix:\/\/\/nonexistent\.sock/m);
    expect(r.stdout).toMatch(
      /^✓ docker endpoint: unix:\/\/\/nonexistent\.sock, chosen by docker-host-env \(DOCKER_HOST is set; does not answer GET \/_ping: /m,
    );
    expect(r.stdout).toContain('    - docker-host-env unix:///nonexistent.sock: found\n');
    expect(r.stdout).toMatch(/fix: start dockerd/);
  });
});

describe('worker tools', () => {
  it('lists the catalog as text and as JSON with schemas and limits', async () => {
    const text = await runCli('worker', ['tools', '--tool-image', `grep=${OFFLINE_BUSYBOX_IMAGE}`], {
      env: cleanEnv(),
    });
    expect(text.code).toBe(0);
    for (const spec of allToolSpecs()) expect(text.stdout).toContain(spec.name);
    expect(text.stdout).toMatch(
      new RegExp(`grep .*\\n  image ${OFFLINE_BUSYBOX_IMAGE.replace(/[/.]/g, '\\$&')}  limits `),
    );
    const json = await runCli('worker', ['tools', '--json'], { env: cleanEnv() });
    const tools = JSON.parse(json.stdout) as Array<{
      name: string;
      parameters: { type: string };
      resources: { memoryBytes: number };
      timeoutMs: number;
      network: string;
    }>;
    expect(tools.map((t) => t.name)).toEqual(allToolSpecs().map((s) => s.name));
    for (const t of tools) {
      expect(t.parameters.type).toBe('object');
      expect(t.resources.memoryBytes).toBeGreaterThan(0);
      expect(t.timeoutMs).toBeGreaterThan(0);
    }
    expect(tools.find((t) => t.name === 'fetch_url')?.network).toBe('egress');
  });
});
