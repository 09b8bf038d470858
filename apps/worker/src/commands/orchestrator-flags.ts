/** The flags every `orchestrator` client command shares (`exec`, `workers`, `tasks`, `status`, `cancel`, `sessions`). */

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

/** TLS towards a TCP orchestrator, the worker's flags of the same names (`--tls-ca` turns TLS on). */
export const CLIENT_TLS_FLAGS = {
  'tls-ca': { type: 'string', valueName: 'FILE', description: 'CA bundle to verify the orchestrator (enables TLS)' },
  'tls-cert': { type: 'string', valueName: 'FILE', description: 'client certificate for mutual TLS' },
  'tls-key': { type: 'string', valueName: 'FILE', description: 'client key for mutual TLS' },
  'tls-server-name': {
    type: 'string',
    valueName: 'NAME',
    description: "server name to verify in the orchestrator's certificate (default: from --addr)",
  },
} as const;
