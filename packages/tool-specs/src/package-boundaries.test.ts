import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Orchestrators import this package without Docker or gRPC; the executor depends on us, never the reverse.
describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies });

  it('has no Docker, gRPC or sibling runtime dependency', () => {
    expect(deps.filter((d) => /docker|grpc|protobuf|@baaaht\//i.test(d))).toEqual([]);
  });
});
