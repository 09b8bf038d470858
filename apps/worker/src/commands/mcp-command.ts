import type { CommandSpec } from '../args';
import type { CliIo } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { loadMcpStdio } from '../lazy-modules';

export const mcpCommand: CommandSpec = {
  name: 'worker mcp',
  brief: 'serve the tools to an MCP client on stdio (local executor, no orchestrator)',
  usage: 'worker mcp [--workspace-root DIR]... [--policy FILE] [--tool-image TOOL=IMAGE]... [options]',
  summary:
    'Serves the tool catalog as a Model Context Protocol server on stdin/stdout, for an MCP client to launch.\n' +
    "Each tools/call runs through this process's executor and policy, exactly like `worker run`; every worker\n" +
    'option applies. Workspace tools take a `workspace` argument (a --workspace-root or a directory below one),\n' +
    "defaulting to the only root; the client's MCP roots may narrow that, never widen it. Logs go to stderr\n" +
    '(stdout is the protocol). It exits 0 when the client closes stdin, after stopping any running tool.',
  flags: {},
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
  epilog:
    'Exit status: 0 after the client closed the connection (or SIGINT/SIGTERM), 1 when Docker is down, 2 for usage errors.\n' +
    'Example (an MCP client\'s config): {"command": "bin/worker", "args": ["mcp", "--workspace-root", "/home/me/project"]}',
};

/** `worker mcp`: loads the MCP SDK only now, so no other command pays for it. */
export function runMcpCommand(resolved: ResolvedWorkerConfig, io: CliIo): Promise<number> {
  return loadMcpStdio().serveMcpStdio(resolved, io);
}
