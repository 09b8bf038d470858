import { exec } from './tools/exec';
import { fetchUrl } from './tools/fetch-url';
import { fileEdit } from './tools/file-edit';
import { fileRead } from './tools/file-read';
import { fileWrite } from './tools/file-write';
import { find } from './tools/find';
import { grep } from './tools/grep';
import { list } from './tools/list';
import { webSearch } from './tools/web-search';
import type { ToolSpec } from './types';

/**
 * The eight tools of the Go worker, in its table's order, then `exec` (opt-in: `enabledBy`, so runners
 * refuse it unless their policy enables it).
 */
export const BUILTIN_TOOLS: readonly ToolSpec[] = Object.freeze([
  fileRead,
  fileWrite,
  fileEdit,
  grep,
  find,
  list,
  webSearch,
  fetchUrl,
  exec,
] as ToolSpec[]);
