import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchCase } from '../lib/bench-case';
import { withReference } from '../lib/report';
import type { CaseResult } from '../lib/report';
import { startSandboxRuntime } from '../lib/sandbox-runtime';
import type { SandboxRuntimePeer } from '../lib/sandbox-runtime';
import { readInSession, sessionExecutor } from '../lib/sessions';
import { benchExecutor, readOneKb } from '../lib/setup';
import { interleave, median, ratio, summarizeAll, timeMs } from '../lib/stats';

const COLD = 'executor, cold (pool off)';
const SESSION = 'session call (file_read 1 KB)';
const PEER = 'sandbox-runtime, library mode (wrapWithSandbox + spawn)';
const NAME = 'peer: the 1 KB read through Anthropic sandbox-runtime';

/**
 * The peer row (issue 15 item 4): the same 1 KB read (`cat file.txt`) through Anthropic's sandbox-runtime
 * in library mode (wrap, spawn through a shell as its README does, clean up), interleaved with the cold
 * executor and a session call; then what the peer's sandbox lets through, checked by running commands in it.
 */
export const peerSandboxRuntimeCase: BenchCase = {
  key: 'peer',
  async run({ config, ws, log }): Promise<CaseResult[]> {
    log('peer: Anthropic sandbox-runtime (bubblewrap) vs the cold executor vs a session call (1 KB read)');
    let peer: SandboxRuntimePeer;
    try {
      peer = await startSandboxRuntime(ws);
    } catch (err) {
      // The row stays in the results, saying why it has no numbers.
      const why = err instanceof Error ? err.message : String(err);
      log(`peer: not run: ${why}`);
      return [{ name: NAME, values: { 'not run': why }, notes: [notRunNote] }];
    }
    const cold = await benchExecutor({ workerId: `bench-cold-${process.pid}` });
    const sessions = await sessionExecutor('peer-session');
    const wrapMs: number[] = [];
    try {
      const s = summarizeAll(
        await interleave(
          {
            [COLD]: async () => {
              const ms = await timeMs(() => readOneKb(cold, ws));
              await cold.idle();
              return ms;
            },
            [SESSION]: () => timeMs(() => readInSession(sessions, ws, 'peer')),
            [PEER]: () =>
              timeMs(async () => {
                const r = await peer.run('cat file.txt');
                if (r.stdout.length !== 1024) throw new Error(`peer: read ${r.stdout.length} bytes`);
                wrapMs.push(r.wrapMs);
              }),
          },
          config.rounds,
          config.warmups,
        ),
      );
      const escapes = await whatItLetsThrough(peer, ws);
      return [
        {
          name: NAME,
          reference: COLD,
          summaries: withReference(s, COLD),
          ratios: {
            [`${PEER} / ${COLD}`]: { value: ratio(s[PEER]!, s[COLD]!) },
            [`${SESSION} / ${PEER}`]: { value: ratio(s[SESSION]!, s[PEER]!) },
          },
          values: {
            'sandbox-runtime version': peer.version,
            'of which wrapWithSandbox, median ms': +median(wrapMs.slice(config.warmups)).toFixed(1),
            ...escapes,
          },
          notes: [
            "The peer's config: `network.allowedDomains: []` (no network), `filesystem.allowWrite: []` (no writes); " +
              'its working directory is the workspace. Each call wraps, spawns with `shell: true` (as its README ' +
              'does) and calls `cleanupAfterCommand()`. The checks above ran inside its sandbox with that config.',
          ],
        },
      ];
    } finally {
      await Promise.all([cold.close(), sessions.close()]);
      await peer.close();
    }
  },
};

const RLIMITS = 'echo $(ulimit -v) $(ulimit -u) $(ulimit -n)';

const notRunNote =
  'The peer needs bubblewrap, socat and ripgrep on Linux (`apt-get install -y bubblewrap socat ripgrep`) and ' +
  'the `@anthropic-ai/sandbox-runtime` dev dependency (`pnpm install`).';

/** Runs commands inside the peer's sandbox and records what they could do (each is a yes/no or a value seen). */
async function whatItLetsThrough(peer: SandboxRuntimePeer, ws: string): Promise<Record<string, string | boolean>> {
  const secret = path.join(os.tmpdir(), `baaaht-bench-peer-secret-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(secret, 'host secret\n', { mode: 0o600 });
  try {
    const sh = async (cmd: string): Promise<string> => (await peer.probe(cmd)).stdout.trim();
    const ok = async (cmd: string): Promise<boolean> => (await peer.probe(cmd)).code === 0;
    const hostCgroup = fs.readFileSync('/proc/self/cgroup', 'utf8').trim();
    return {
      'reads a host file outside its working directory (0600, written by the bench)':
        (await sh(`cat ${secret}`)) === 'host secret',
      'reads /etc/passwd': (await sh('wc -l < /etc/passwd')) !== '0',
      'runs as uid (the caller is root here)': await sh('id -u'),
      'in the caller’s own cgroups (no CPU, memory or pids limit of its own)':
        (await sh('cat /proc/self/cgroup')) === hostCgroup,
      'the caller’s own rlimits (ulimit -v -u -n, compared with an unwrapped shell)':
        (await sh(RLIMITS)) === execSync(RLIMITS, { shell: '/bin/bash', encoding: 'utf8' }).trim(),
      'can write in its working directory': await ok(`echo x > ${path.join(ws, 'peer-write-probe')}`),
      'can write /tmp': await ok('echo x > /tmp/baaaht-peer-write-probe'),
      'network interfaces it sees': (await sh("awk 'NR > 2 { print $1 }' /proc/net/dev")).replace(/\s+/g, ' '),
      'processes it sees (own PID namespace)': await sh('ls -d /proc/[0-9]* | wc -l'),
      'same kernel as the host': (await sh('uname -r')) === os.release(),
    };
  } finally {
    fs.rmSync(secret, { force: true });
    fs.rmSync(path.join(ws, 'peer-write-probe'), { force: true });
    fs.rmSync('/tmp/baaaht-peer-write-probe', { force: true });
  }
}
