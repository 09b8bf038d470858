import { netnsName, parseNetnsList, parseNetnsName, staleNetns } from './netns-names';

describe('fleet namespace names', () => {
  it('round-trips, keeping only name characters of the run id and tag', () => {
    const name = netnsName({ runId: 'ci-1a2b', ownerPid: 4242, tag: 'mtls', role: 'w1' });
    expect(name).toBe('bfleet-ci1a2b-4242-mtls-w1');
    expect(parseNetnsName(name)).toEqual({ runId: 'ci1a2b', ownerPid: 4242, tag: 'mtls', role: 'w1' });
    expect(() => netnsName({ runId: '--', ownerPid: 1, tag: 't', role: 'r' })).toThrow(TypeError);
  });

  it('is not fooled by other namespaces', () => {
    for (const other of ['bfleet', 'bfleet-r1-x-t-r', 'cni-1234', 'bfleet-r1-12-t-r-extra', 'xbfleet-r1-12-t-r'])
      expect(parseNetnsName(other)).toBeUndefined();
  });

  it('reads ip netns list and picks the ones whose owner is gone', () => {
    const list = 'bfleet-r1-100-mtls-hub (id: 3)\nbfleet-r2-200-mtls-hub (id: 4)\ncni-abc\nbfleet-r1-100-mtls-br\n';
    const names = parseNetnsList(list);
    expect(names).toEqual(['bfleet-r1-100-mtls-hub', 'bfleet-r2-200-mtls-hub', 'cni-abc', 'bfleet-r1-100-mtls-br']);
    expect(staleNetns(names, (pid) => pid === 200)).toEqual(['bfleet-r1-100-mtls-hub', 'bfleet-r1-100-mtls-br']);
  });
});
