// Writes docs/tools.md from the specs. Run: pnpm --filter @baaaht/tool-specs docs
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderToolsMarkdown } from '../src/index';

const target = resolve(__dirname, '../../../docs/tools.md');
writeFileSync(target, renderToolsMarkdown());
process.stdout.write(`wrote ${target}\n`);
