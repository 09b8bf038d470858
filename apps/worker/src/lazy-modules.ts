/**
 * Modules a process loads only when it uses them. prom-client costs about 12 MB of resident memory, so a
 * worker or orchestrator without a metrics endpoint never loads it (the idle worker's RSS budget,
 * `bench/cases/idle.ts`); yaml (72 modules) is needed only to read a YAML config file; the OpenTelemetry
 * SDK only when the environment asks for traces (tracing.ts). The MCP SDK is loaded only by `worker mcp`
 * and `orchestrator serve --mcp-listen`. Everything else imports these modules' types only;
 * `lazy-modules.test.ts` pins that an idle worker's start path does.
 */
import type * as YamlModule from 'yaml';
import type * as PromMeterModule from './prom-meter';
import type * as StatusServerModule from './status-server';
import type * as MetricsServerModule from './metrics-server';
import type * as McpStdioModule from './mcp/mcp-stdio';
import type * as McpHttpModule from './mcp/mcp-http';
import type * as TracingSdkModule from './tracing-sdk';

/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loads, see above */
export const loadPromMeter = (): typeof PromMeterModule => require('./prom-meter') as typeof PromMeterModule;
export const loadStatusServer = (): typeof StatusServerModule =>
  require('./status-server') as typeof StatusServerModule;
export const loadMetricsServer = (): typeof MetricsServerModule =>
  require('./metrics-server') as typeof MetricsServerModule;
export const loadYaml = (): typeof YamlModule => require('yaml') as typeof YamlModule;
export const loadMcpStdio = (): typeof McpStdioModule => require('./mcp/mcp-stdio') as typeof McpStdioModule;
export const loadMcpHttp = (): typeof McpHttpModule => require('./mcp/mcp-http') as typeof McpHttpModule;
export const loadTracingSdk = (): typeof TracingSdkModule => require('./tracing-sdk') as typeof TracingSdkModule;
/* eslint-enable @typescript-eslint/no-require-imports */
