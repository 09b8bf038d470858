import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createPolicyEnforcer, defaultPolicy } from '@baaaht/policy';
import { egressCorpus } from '@baaaht/test-utils';
import { EgressProxy } from './egress-proxy';
import { builtinEgressCheck } from './egress-rules';
import type { EgressDecision, EgressRequest } from './policy-enforcer';
import { socksConnect } from './test-support/socks-client';

const REP_OK = 0x00;
const REP_NOT_ALLOWED = 0x02;
const REP_REFUSED = 0x05;

const catchAll = defaultPolicy();
catchAll.network = { ...catchAll.network, allowed_networks: ['0.0.0.0/0', '::/0'] };

const checks: Array<[string, (r: EgressRequest) => EgressDecision]> = [
  ['the built-in rules', builtinEgressCheck],
  ['the default policy', (r) => createPolicyEnforcer(defaultPolicy()).checkEgress(r)],
  ['a catch-all-allow policy', (r) => createPolicyEnforcer(catchAll).checkEgress(r)],
];

// The live proxy with its only two ways out replaced: `lookup` answers from the corpus and `connect`
// records and fails without dialling, so no packet leaves this process whatever the proxy decides.
describe.each(checks)('the egress corpus against the live proxy with %s', (_name, check) => {
  const corpus = egressCorpus().filter((e) => e.input !== '' && Buffer.byteLength(e.input) <= 255);
  let dir: string;
  let proxy: EgressProxy;
  const connects: string[] = [];
  const lookups: string[] = [];
  const resolvesTo = new Map(corpus.flatMap((e) => (e.resolvesTo ? [[e.input.toLowerCase(), e.resolvesTo]] : [])));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-corpus-'));
    proxy = await EgressProxy.listen({
      socketPath: path.join(dir, 'egress.sock'),
      check,
      lookup: async (host) => {
        lookups.push(host);
        const address = resolvesTo.get(host);
        if (address === undefined) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        return [{ address, family: net.isIP(address) }];
      },
      connect: (address, port) => {
        connects.push(address);
        const socket = new net.Socket();
        process.nextTick(() => socket.emit('error', new Error(`recorded ${address}:${port}, not dialled`)));
        return socket;
      },
    });
  });
  afterAll(async () => {
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(corpus.map((e) => [e.input, e] as const))('%j', async (_input, e) => {
    connects.length = 0;
    const { rep, socket } = await socksConnect(proxy.socketPath, e.input, 443);
    socket.destroy();
    if (e.egress === 'deny') {
      expect(rep).toBe(REP_NOT_ALLOWED);
      expect(connects).toEqual([]);
    } else {
      // Allowed: the proxy tried exactly the public address, and the fake connector refused it.
      expect(rep).toBe(REP_REFUSED);
      expect(connects).toHaveLength(1);
    }
    expect(rep).not.toBe(REP_OK);
  });

  it('never resolved an IP literal, in any spelling', () => {
    const names = new Set(corpus.filter((e) => e.kind === 'name').map((e) => e.input.toLowerCase().replace(/\.$/, '')));
    expect(lookups.filter((h) => !names.has(h))).toEqual([]);
  });
});
