import fs from 'node:fs';
import path from 'node:path';

/** One entry of the shared egress corpus (`packages/policy/fixtures/egress-corpus.json`). */
export interface EgressCorpusEntry {
  /** Host as a tool would send it: an address in any spelling, or a name. */
  input: string;
  kind: 'address' | 'name' | 'invalid';
  /** Expected classifier class; for names, only when the name itself is reserved. */
  class?: string;
  embedded?: { form: string; ipv4: string };
  /** Expected `InvalidAddressCode` for `invalid`. */
  code?: string;
  /** What a name resolves to in the tests (no real lookup happens). */
  resolvesTo?: string;
  /** Expected outcome with the default policy and with a catch-all allow: only public destinations pass. */
  egress: 'allow' | 'deny';
  note?: string;
}

/** The one egress corpus, read from the policy package's fixtures (works from src and dist alike). */
export function egressCorpus(): EgressCorpusEntry[] {
  const file = path.join(__dirname, '..', '..', 'policy', 'fixtures', 'egress-corpus.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: EgressCorpusEntry[] }).entries;
}
