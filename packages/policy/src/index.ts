/**
 * @baaaht/policy: what tools may do on a host. The policy model and file
 * format (YAML/JSON, one JSON Schema), the loader, the fail-closed enforcer
 * the executor calls before every container and the egress proxy calls for
 * every connection, the JSON-lines audit log and a hot-reloadable store.
 * Depends on neither Docker nor gRPC. `classifyHost` / `classifyAddress` are the one egress address
 * classifier of the worker: the executor's proxy and built-in rules use it too.
 */

export { classifyAddress, classifyHost, describeVerdict } from './address-class';
export type {
  AddressClass,
  AddressVerdict,
  HostVerdict,
  InvalidAddressCode,
  InvalidVerdict,
  Ipv4Embedding,
  NameVerdict,
} from './address-class';
export { AuditLog } from './audit-log';
export type { AuditLogOptions, AuditRecord, AuditTarget } from './audit-log';
export { isRootUser } from './container-rules';
export type { ContainerEvaluation } from './container-rules';
export type {
  ContainerMountRequest,
  ContainerRequest,
  EgressDecision,
  EgressRequest,
  PolicyEnforcerContract,
  RequestedResources,
} from './contract';
export { defaultPolicy } from './default-policy';
export { ALWAYS_DENIED_PATHS, alwaysDeniedPaths, exposedDeniedPath } from './system-paths';
export type { DefaultPolicyOptions } from './default-policy';
export {
  PolicyDeniedError,
  PolicyError,
  PolicyFileError,
  PolicyFileNotFoundError,
  PolicyFileUnreadableError,
  PolicyValidationError,
  formatIssue,
} from './errors';
export type { PolicyErrorCode, PolicyIssue } from './errors';
export { systemIdentity } from './identity';
export type { HostIdentity, IdentityProvider, SystemIdentityOptions } from './identity';
export { checkPolicyFile, loadPolicyFile, parsePolicy } from './load-policy';
export type { LoadPolicyFileOptions, ParsePolicyOptions, PolicyFormat } from './load-policy';
export { quietLogger } from './logger';
export type { Logger } from './logger';
export { mergePolicies, policyForTool } from './merge-policies';
export type { MergePoliciesOptions } from './merge-policies';
export type {
  ImagePolicy,
  MountAccessMode,
  MountAllowlistEntry,
  MountPolicy,
  NetworkPolicy,
  Policy,
  PolicyMode,
  QuotaPolicy,
  SecurityPolicy,
  Severity,
  ToolPolicy,
  ToolLimits,
  Violation,
} from './model';
export { PolicyEnforcer, createPolicyEnforcer } from './policy-enforcer';
export type { PolicyEnforcerOptions } from './policy-enforcer';
export { OPT_IN_TOOLS, isOptInTool, optInGrant } from './opt-in-tools';
export type { OptInGrant } from './opt-in-tools';
export { PolicyStore } from './policy-store';
export type {
  DirectoryWatcher,
  PolicyStoreClock,
  PolicyStoreEvents,
  PolicyStoreOptions,
  PolicyStoreState,
  ReloadResult,
} from './policy-store';
export { requiredRuntimes } from './required-runtimes';
export type { RequiredRuntime } from './required-runtimes';
export { enforcedRuntime, isGvisorRuntime } from './runtime-rank';
export { policyJsonSchema } from './schema';
export type { PolicySchemaNode } from './schema';
