/**
 * Which environment variable names an exec call may set. The sandbox is the isolation boundary, not this
 * list: a `command` can set any variable itself once it runs. The list keeps the variables that act
 * *before* the command runs, on the executor's own start-up steps inside the container (the mount identity
 * gate and the cwd wrapper, which run with the call's environment), under the executor's control:
 * - `LD_*` (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...): would load workspace code into those steps;
 * - `PATH`: would let a workspace `stat` or `sh` answer for the real one;
 * - `IFS`, `ENV`, `BASH_ENV`, `SHELLOPTS`, `BASHOPTS`: change how the start-up shell parses or what it sources;
 * - `BAAAHT_*`: reserved for the executor (the gate reads its expected mount identities from them).
 * Set PATH inside `command` instead (`PATH=/workspace/bin:$PATH make`), which happens after the gate.
 */

/** Names look like shell variables. */
export const EXEC_ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** Refused names, exactly. */
export const EXEC_DENIED_ENV_NAMES: readonly string[] = Object.freeze([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
]);
/** Refused name prefixes. */
export const EXEC_DENIED_ENV_PREFIXES: readonly string[] = Object.freeze(['LD_', 'BAAAHT_']);

/** Why `name` may not be set, or undefined when it may (the name pattern is the schema's job). */
export function envNameDenial(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (EXEC_DENIED_ENV_NAMES.includes(upper))
    return `${name} may not be set: it changes how the sandbox starts the command (set it inside command instead)`;
  const prefix = EXEC_DENIED_ENV_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix !== undefined)
    return `${name} may not be set: ${prefix}* variables are ${prefix === 'LD_' ? 'read by the dynamic loader before the command runs' : 'reserved for the executor'}`;
  return undefined;
}
