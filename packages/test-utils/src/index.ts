/** Private helpers shared by the baaaht test suites. Not published. */
export { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, offlineToolImages } from './offline-images';
export { createTempWorkspace } from './workspace';
export type { TempWorkspace, TempWorkspaceOptions } from './workspace';
export { containersWithLabel, removeContainersWithLabel } from './docker-cli';
export { egressCorpus } from './egress-corpus';
export type { EgressCorpusEntry } from './egress-corpus';
