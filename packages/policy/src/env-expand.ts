import type { PolicyIssue } from './errors';
import { joinPath } from './schema-issues';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in string values only (never keys,
 * never comments), after parsing: an environment value can change a value but
 * never the document's structure. A value that is exactly one reference and
 * expands to a number or boolean becomes one, so `max_pids: ${PIDS:-512}` works
 * in JSON too. An unset variable without a default is an issue, not "".
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = '', issues: PolicyIssue[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const whole = /^\$\{[^}]*\}$/.test(value);
    const expanded = value.replace(REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      // `:-` means "unset or empty", as in the shell.
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path, message: `environment variable ${name} is not set (use \${${name}:-default})` });
      return '';
    });
    if (whole) {
      if (/^-?\d+$/.test(expanded)) return Number(expanded);
      if (expanded === 'true' || expanded === 'false') return expanded === 'true';
    }
    return expanded;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, joinPath(path, i), issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, joinPath(path, k), issues)]));
  }
  return value;
}
