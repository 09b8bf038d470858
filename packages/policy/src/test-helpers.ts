import type { ContainerRequest } from './contract';

/** A request the default policy accepts when `/workspace` sources are allowed; override per test. */
export function containerRequest(overrides: Partial<ContainerRequest> = {}): ContainerRequest {
  return {
    sessionId: 's1',
    taskId: 't1',
    tool: 'file_read',
    image: 'docker.io/library/alpine:3.20',
    user: '1000:1000',
    privileged: false,
    capAdd: [],
    capDrop: ['ALL'],
    readOnlyRootfs: true,
    mounts: [],
    resources: {
      nanoCpus: 500_000_000,
      memoryBytes: 256 * 1024 * 1024,
      memorySwapBytes: 256 * 1024 * 1024,
      pidsLimit: 64,
    },
    tmpfsBytes: 16 * 1024 * 1024,
    network: 'none',
    protectedPaths: ['.git'],
    allowHardlinks: false,
    ...overrides,
  };
}
