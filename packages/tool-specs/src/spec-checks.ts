import { validateAgainstSchema } from './schema-validator';
import type { ParamIssue, ToolSpec } from './types';

/** Tool names every provider accepts (OpenAI, Anthropic and MCP clients). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const positiveInt = (v: unknown): boolean => positive(v) && Number.isSafeInteger(v);

/** Problems with a tool spec, as `path: message` issues (empty when it is usable). */
export function checkToolSpec(spec: ToolSpec): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const need = (ok: boolean, path: string, message: string): void => {
    if (!ok) issues.push({ path, message });
  };
  need(typeof spec.name === 'string' && TOOL_NAME_PATTERN.test(spec.name), '/name', `must match ${TOOL_NAME_PATTERN}`);
  need(
    typeof spec.displayName === 'string' && spec.displayName.trim() !== '',
    '/displayName',
    'must be a non-empty string',
  );
  need(
    typeof spec.description === 'string' && spec.description.trim() !== '',
    '/description',
    'must be a non-empty string',
  );
  need(
    typeof spec.version === 'string' && /^\d+\.\d+\.\d+/.test(spec.version),
    '/version',
    'must be a semantic version',
  );
  need(typeof spec.image === 'string' && /^\S+$/.test(spec.image), '/image', 'must be a non-empty image reference');
  need(
    ['none', 'readonly', 'readwrite'].includes(spec.workspace),
    '/workspace',
    "must be 'none', 'readonly' or 'readwrite'",
  );
  need(['none', 'egress'].includes(spec.network), '/network', "must be 'none' or 'egress'");
  need(typeof spec.readOnlyRootfs === 'boolean', '/readOnlyRootfs', 'must be a boolean');
  need(positive(spec.resources?.cpus), '/resources/cpus', 'must be a positive number');
  need(positiveInt(spec.resources?.memoryBytes), '/resources/memoryBytes', 'must be a positive integer');
  need(positiveInt(spec.resources?.pidsLimit), '/resources/pidsLimit', 'must be a positive integer');
  need(positiveInt(spec.timeoutMs), '/timeoutMs', 'must be a positive integer (milliseconds)');
  need(
    spec.maxParamsBytes === undefined || positiveInt(spec.maxParamsBytes),
    '/maxParamsBytes',
    'must be a positive integer',
  );
  need(
    spec.outputCap === undefined || spec.outputCap === 'head' || spec.outputCap === 'head-tail',
    '/outputCap',
    "must be 'head' or 'head-tail'",
  );
  need(
    spec.enabledBy === undefined || (typeof spec.enabledBy === 'string' && spec.enabledBy.trim() !== ''),
    '/enabledBy',
    'must be a non-empty policy setting name when present',
  );
  need(
    spec.outputSchema === undefined ||
      (spec.outputSchema.type === 'object' && spec.outputSchema.properties !== undefined),
    '/outputSchema',
    "must be an object schema with properties when present (MCP's outputSchema has an object root)",
  );
  need(typeof spec.command === 'function', '/command', 'must be a function');
  for (const fn of ['run', 'parseOutput', 'fromArgs', 'validateParams', 'timeoutMsOf'] as const) {
    need(spec[fn] === undefined || typeof spec[fn] === 'function', `/${fn}`, 'must be a function when present');
  }
  const params = spec.parameters;
  need(params?.type === 'object', '/parameters/type', "must be 'object'");
  // Unknown parameters must be refused, or a typo in a model's call would be silently ignored.
  need(params?.additionalProperties === false, '/parameters/additionalProperties', 'must be false');
  const props = params?.properties ?? {};
  for (const key of params?.required ?? [])
    need(key in props, `/parameters/required`, `names '${key}', which is not a property`);
  for (const [key, sub] of Object.entries(props)) {
    if (sub.default === undefined) continue;
    const { issues: bad } = validateAgainstSchema(sub, sub.default, `/parameters/properties/${key}/default`);
    issues.push(...bad);
  }
  return issues;
}
