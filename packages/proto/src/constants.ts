/** Default gRPC message-size limit each way, as in the seed (100 MB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** Announced in `AgentCapabilities.supported_protocols`; bumped on incompatible changes. */
export const PROTOCOL_VERSION = 'baaaht.work/v1';
