/** The flags every `orchestrator` client command shares (`exec`, `workers`, `tasks`, `status`, `cancel`). */

/** Shown in help; the value itself comes from `defaultSocketAddress()`, the same default the worker dials. */
export const DEFAULT_ADDR = 'unix://$XDG_RUNTIME_DIR/baaaht/grpc.sock, as root unix:///run/baaaht/grpc.sock';

export const ADDR_FLAG = {
  type: 'string',
  valueName: 'ADDR',
  description: `orchestrator address (default $ORCHESTRATOR_URL or ${DEFAULT_ADDR})`,
} as const;

export const TOKEN_FLAG = {
  type: 'string',
  valueName: 'TOKEN',
  description: 'bearer token (default $ORCHESTRATOR_AUTH_TOKEN)',
} as const;

export const JSON_FLAG = { type: 'boolean', description: 'print JSON' } as const;
