/** @baaaht/executor: runs baaaht tools in hardened Docker containers. */
export type { ContainerRequest, ContainerMountRequest, EgressRequest, EgressDecision, PolicyEnforcer } from './policy-enforcer';
