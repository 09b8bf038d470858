import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sandboxAgentPath, usableAgent } from './sandbox-agent-path';
import { builtSandboxAgent } from './test-support/sandbox-agent-binary';

describe('sandboxAgentPath', () => {
  it('resolves the built binary and restores the executable bits a packed package drops', () => {
    expect(sandboxAgentPath()).toBe(builtSandboxAgent());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-agent-path-'));
    try {
      const copy = path.join(dir, 'agent');
      fs.writeFileSync(copy, 'x', { mode: 0o644 }); // as `pnpm pack` and npm install leave it
      expect(usableAgent(copy)).toBe(copy);
      expect(fs.statSync(copy).mode & 0o777).toBe(0o755);
      expect(() => usableAgent(dir)).toThrow(expect.objectContaining({ code: 'SANDBOX_AGENT_MISSING' }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws SANDBOX_AGENT_MISSING naming the build command when it was not built', () => {
    const spy = jest.spyOn(fs, 'statSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    try {
      expect(() => sandboxAgentPath()).toThrow(
        expect.objectContaining({ code: 'SANDBOX_AGENT_MISSING', message: expect.stringContaining('pnpm build') }),
      );
    } finally {
      spy.mockRestore();
    }
  });
});
