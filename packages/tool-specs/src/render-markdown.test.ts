import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { allToolSpecs, DOCS_COMMAND, renderToolsMarkdown } from './index';

const docsFile = resolve(__dirname, '../../../docs/tools.md');

describe('docs/tools.md', () => {
  it('is up to date with the specs', () => {
    const committed = readFileSync(docsFile, 'utf8');
    if (committed !== renderToolsMarkdown()) {
      throw new Error(`docs/tools.md is stale: run \`${DOCS_COMMAND}\` and commit the result`);
    }
  });

  it('lists every tool and every parameter', () => {
    const md = renderToolsMarkdown();
    for (const spec of allToolSpecs()) {
      expect(md).toContain(`## ${spec.name}`);
      for (const param of Object.keys(spec.parameters.properties ?? {})) expect(md).toContain(`| \`${param}\` `);
    }
  });
});
