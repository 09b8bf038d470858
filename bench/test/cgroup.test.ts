import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containerCgroup } from '../lib/cgroup';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cgroup-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const put = (file: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
};

describe('containerCgroup', () => {
  it('reads cgroup v1 (cgroupfs driver): cpuacct.usage in ns, memory usage and total_rss', () => {
    put('cpuacct/docker/abc/cpuacct.usage', '2500000\n');
    put('memory/docker/abc/memory.usage_in_bytes', '1048576\n');
    put('memory/docker/abc/memory.stat', 'cache 4096\nrss 8192\ntotal_rss 12288\n');
    const cg = containerCgroup('abc', root)!;
    expect(cg.where).toBe(`v1 ${root}/cpuacct/docker/<id>`);
    expect([cg.cpuMs(), cg.memoryBytes(), cg.rssBytes()]).toEqual([2.5, 1048576, 12288]);
  });

  it('reads cgroup v2 (systemd driver): usage_usec, memory.current and anon', () => {
    put('system.slice/docker-abc.scope/cpu.stat', 'usage_usec 1500\nuser_usec 1000\n');
    put('system.slice/docker-abc.scope/memory.current', '2048\n');
    put('system.slice/docker-abc.scope/memory.stat', 'anon 1024\nfile 1024\n');
    const cg = containerCgroup('abc', root)!;
    expect(cg.where).toBe(`v2 ${root}/system.slice/docker-<id>.scope`);
    expect([cg.cpuMs(), cg.memoryBytes(), cg.rssBytes()]).toEqual([1.5, 2048, 1024]);
  });

  it('is undefined when the container has no cgroup there', () => {
    expect(containerCgroup('missing', root)).toBeUndefined();
  });
});
