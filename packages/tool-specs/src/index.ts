/**
 * @baaaht/tool-specs: the single source of truth for which tools exist and how each one runs.
 * Orchestrators use it without Docker or gRPC to list tools for a model, validate its calls and
 * document them; the worker's executor uses it to turn a validated call into argv arrays.
 */
export { ToolSpecError, formatIssues } from './errors';
export type { ToolSpecErrorCode, ToolOutcomeCode, ToolSpecErrorOptions } from './errors';

export type {
  JsonSchema,
  OutputSchema,
  NetworkNeed,
  WorkspaceAccess,
  ToolResources,
  ToolCommand,
  CommandResult,
  ToolContext,
  RunCommand,
  ToolRunOutcome,
  ToolSpec,
  OutputCapMode,
  ParamIssue,
  WorkspaceTarget,
} from './types';

export { createToolCatalog, DEFAULT_MAX_PARAMS_BYTES } from './tool-catalog';
export type {
  ToolCatalog,
  ToolCatalogOptions,
  ToolOverride,
  ToolCallValidation,
  ToolCallError,
  ToolCallErrorCode,
} from './tool-catalog';
export { getToolSpec, allToolSpecs, validateToolCall, validateToolArgs } from './default-catalog';
export { checkToolSpec, TOOL_NAME_PATTERN } from './spec-checks';
export { validateAgainstSchema } from './schema-validator';

export { toOpenAITools, toAnthropicTools, toMcpTools, toPublicSchema } from './exporters';
export type { OpenAITool, AnthropicTool, McpTool, OpenAIExportOptions, ExportedSchema } from './exporters';

export { renderToolsMarkdown, DOCS_COMMAND } from './render-markdown';

export { applyExactEdit } from './apply-exact-edit';
export type { ExactEditResult } from './apply-exact-edit';
export {
  checkWorkspacePath,
  normalizeWorkspacePath,
  containerPath,
  WORKSPACE_DIR,
  MAX_PATH_BYTES,
} from './workspace-path';
export { checkHttpUrl, MAX_URL_LENGTH } from './http-url';
export { checkProtectedPath, protectedPathOf } from './protected-path';
export {
  GUARDED_READ_SCRIPT,
  GUARDED_WRITE_SCRIPT,
  HARDLINK_EXIT_CODE,
  READ_SCRIPT,
  readFileCommand,
  refusedHardlink,
  refusedSpecialFile,
  SPECIAL_FILE_EXIT_CODE,
  WRITE_SCRIPT,
  writeFileCommand,
} from './hardlink-guard';

export { BUILTIN_TOOLS } from './builtin-tools';
export { fileRead } from './tools/file-read';
export type { FileReadParams } from './tools/file-read';
export { fileWrite, MAX_WRITE_BYTES } from './tools/file-write';
export type { FileWriteParams } from './tools/file-write';
export { fileEdit, MAX_EDIT_FILE_BYTES } from './tools/file-edit';
export type { FileEditParams, FileEditResult } from './tools/file-edit';
export { grep } from './tools/grep';
export type { GrepParams, GrepMatch, GrepResult } from './tools/grep';
export { find } from './tools/find';
export type { FindParams, FindResult } from './tools/find';
export { list } from './tools/list';
export type { ListParams, ListEntry, ListResult } from './tools/list';
export type { EntryType } from './walk-output';
export { fetchUrl } from './tools/fetch-url';
export type { FetchUrlParams } from './tools/fetch-url';
export { exec, EXEC_CWD_EXIT, EXEC_WRAPPER_SCRIPT, MAX_EXEC_TIMEOUT_SECONDS } from './tools/exec';
export type { ExecParams } from './tools/exec';
export {
  EXEC_DENIED_ENV_NAMES,
  EXEC_DENIED_ENV_PREFIXES,
  EXEC_ENV_NAME_PATTERN,
  envNameDenial,
} from './tools/exec-env';
export { execResultOf, signalOfExitCode } from './tools/exec-result';
export type { ExecResult, ExecStreamInfo } from './tools/exec-result';
export { webSearch } from './tools/web-search';
export type { WebSearchParams, WebSearchResult } from './tools/web-search';
export { displayPath } from './display-path';
export { FS_ERROR_CODES, fsErrorFromStderr, isFsErrorCode } from './fs-errors';
export type { FsError, FsErrorCode } from './fs-errors';
