import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import * as api from './index';

// README examples run as tests so they cannot rot: each ```ts block is transpiled and executed
// against the package source, with console captured.
const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(blocks.map((code, i) => [i, code] as const))('example %i runs', (_i, code) => {
    const js = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const logs: unknown[][] = [];
    const fakeRequire = (id: string): unknown => {
      if (id !== '@baaaht/tool-specs') throw new Error(`README example imports ${id}`);
      return api;
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', 'console', js)(fakeRequire, module, module.exports, {
      log: (...a: unknown[]) => logs.push(a),
    });
    if (code.includes("validateToolCall('grep'")) {
      expect(logs).toEqual([[9, ['/workspace', '100', '0', '-F', '', 'TODO']]]);
    }
  });
});
