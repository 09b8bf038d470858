// The README's TypeScript examples are compiled against the packages' real
// types, so the documentation cannot drift from the API. (They are not run:
// each is a function that would start a long-lived worker or orchestrator.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(__dirname, '..', '..');

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function compile(files: string[]): string[] {
  const configPath = path.join(repo, 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, repo);
  const program = ts.createProgram(files, {
    ...parsed.options,
    noEmit: true,
    typeRoots: [path.join(repo, 'node_modules', '@types')],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || files.includes(d.file.fileName))
    .map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const file = d.file ? path.basename(d.file.fileName) : '';
      return `${file}:${where ? where.line + 1 : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('README examples', () => {
  const blocks = tsBlocks(fs.readFileSync(path.join(repo, 'README.md'), 'utf8'));

  it('has the programmatic examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const all = blocks.join('\n');
    for (const pkg of ['@baaaht/agent', '@baaaht/executor', '@baaaht/tool-specs', '@baaaht/policy', '@baaaht/hub']) {
      expect(all).toContain(`from '${pkg}'`);
    }
  });

  it('type-checks every TypeScript block against the packages', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-readme-'));
    try {
      const files = blocks.map((code, i) => {
        const file = path.join(dir, `example-${i + 1}.ts`);
        fs.writeFileSync(file, code);
        return file;
      });
      expect(compile(files)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails on an example that does not match the API (the check is real)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-readme-'));
    try {
      const file = path.join(dir, 'broken.ts');
      fs.writeFileSync(
        file,
        "import { createExecutor } from '@baaaht/executor';\nvoid createExecutor({ notAnOption: 1 });\n",
      );
      expect(compile([file]).join('\n')).toMatch(/notAnOption/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
