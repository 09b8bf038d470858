import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import * as api from './index';
import { workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

// The README example runs against the real engine so it cannot rot.
const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);

it('the README example runs', async () => {
  expect(blocks).toHaveLength(1);
  // The block uses top-level await: transpile it as a module, then run the output inside an async function.
  const js = ts.transpileModule(blocks[0] as string, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const logs: unknown[][] = [];
  const fakeRequire = (id: string): unknown => {
    if (id !== '@baaaht/executor') throw new Error(`README example imports ${id}`);
    return api;
  };
  const module = { exports: {} };
  const run = new Function('require', 'module', 'exports', 'console', `return (async () => {\n${js}\n})();`) as (
    ...args: unknown[]
  ) => Promise<void>;
  await run(fakeRequire, module, module.exports, { log: (...a: unknown[]) => logs.push(a) });
  expect(logs).toEqual([['completed', 0, true], [true]]);
  expect(workerContainers('readme-example')).toEqual([]);
});
