/**
 * The MCP HTTP listener's guards, on 127.0.0.1 with a hub that has no workers: the gRPC listener's rule
 * (refused without a token or TLS unless --insecure), the bearer token, the Host header on a loopback bind,
 * the path. The protocol itself is exercised by the SDK client in `mcp-http.integration.test.ts`.
 */
import http from 'node:http';
import { quietLogger } from '../logger';
import type { CliLogger } from '../logger';
import { startMcpHttp } from './mcp-http';
import type { McpHttpOptions, McpHttpServer } from './mcp-http';

const hub: McpHttpOptions['hub'] = {
  submit: () => {
    throw new Error('no task in these tests');
  },
  cancel: () => ({ found: false }) as never,
  workers: () => [],
  sessions: () => [],
  closeSession: async () => ({ known: false }) as never,
};

const servers: McpHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<McpHttpOptions>): Promise<McpHttpServer> {
  const server = await startMcpHttp({ address: '127.0.0.1:0', hub, version: '0', logger: quietLogger, ...options });
  servers.push(server);
  return server;
}

/** One POST of an empty JSON object (no MCP message: only the guards in front of the protocol answer it). */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('startMcpHttp', () => {
  it('refuses TCP without TLS or a token, and off loopback without TLS, naming the fix', async () => {
    await expect(start({})).rejects.toThrow(
      /--mcp-listen: refusing to serve MCP on 127\.0\.0\.1:0 without TLS or a token: any local user or process can run every tool on every worker; give --auth-token/,
    );
    await expect(start({ address: '0.0.0.0:0', bearerToken: 't' })).rejects.toThrow(
      /refusing to serve MCP on 0\.0\.0\.0:0 without TLS: anyone who can reach it can run every tool on every worker; give --tls-cert/,
    );
  });

  it('starts with --insecure, and says what that exposes', async () => {
    const warnings: string[] = [];
    const logger: CliLogger = { ...quietLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
    const server = await start({ insecure: true, logger });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(warnings).toContain(
      'insecure MCP listener on 127.0.0.1:0: any local user or process can run every tool on every worker',
    );
  });

  it('answers 401 without the bearer token, 403 to a foreign Host, 404 off /mcp', async () => {
    const { url } = await start({ bearerToken: 'sekrit' });
    const noToken = await post(url, {});
    expect(noToken.status).toBe(401);
    expect(noToken.body).toContain('missing or invalid bearer token');
    expect((await post(url, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(url, { authorization: 'Bearer sekrit', host: 'evil.example:80' })).status).toBe(403);
    expect((await post(url.replace(/\/mcp$/, '/other'), { authorization: 'Bearer sekrit' })).status).toBe(404);
    // Past the guards, a body that is no MCP message is the protocol's to refuse (not a 401/403/404).
    expect([400, 406, 415]).toContain((await post(url, { authorization: 'Bearer sekrit' })).status);
  });
});
