/** Private helpers shared by the baaaht test suites. Not published. */
export { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, offlineToolImages } from './offline-images';
export { createTempWorkspace } from './workspace';
export type { TempWorkspace, TempWorkspaceOptions } from './workspace';
export {
  containersCreatedWithLabel,
  containersWithLabel,
  volumesWithLabel,
  inspectContainer,
  removeContainersWithLabel,
} from './docker-cli';
export type { ContainerInspect } from './docker-cli';
export { egressCorpus } from './egress-corpus';
export type { EgressCorpusEntry } from './egress-corpus';
export {
  ENGINE_PROGRAMS,
  PrivateEngineError,
  findProgram,
  privateEngineProblem,
  startPrivateEngine,
} from './private-engine';
export type {
  DisposeReport,
  EngineHost,
  PrivateEngine,
  PrivateEngineErrorCode,
  PrivateEngineOptions,
} from './private-engine';
export { TEST_RUN_ENV, managedContainers, newTestRunId, runContainers, runScopedName, testRunId } from './test-run';
export type { ManagedContainer } from './test-run';
export { notCompletedLines, resultLines } from './result-lines';
export type { ResultLike } from './result-lines';
export { RecordingMeter } from './recording-meter';
export type { RecordedLabels, RecordedSample } from './recording-meter';
export { FakeHandler } from './fake-task-handler';
export { fastAgentOptions } from './fast-agent-options';
export { spawnFixture } from './fixture-process';
export type { FixtureProcess } from './fixture-process';
export { workerFixturePath } from './worker-fixture-path';
export { ManualClock } from './manual-clock';
export type { TestClock } from './manual-clock';
export { collectSpans, parentOf } from './span-collector';
export type { ReadableSpan, SpanCollector } from './span-collector';
export { TestCa } from './test-ca';
export type { CertFiles, LeafOptions } from './test-ca';
