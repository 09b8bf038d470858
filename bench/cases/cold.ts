import { OFFLINE_BUSYBOX_IMAGE } from '@baaaht/test-utils';
import { dockerRunMatched, dockerRunPlain } from '../lib/baselines';
import type { BenchCase } from '../lib/bench-case';
import { READ_ARGV } from '../lib/hardening';
import { targetRatio, withReference } from '../lib/report';
import { prepareRuncFloor } from '../lib/runc-floor';
import { benchExecutor, readOneKb } from '../lib/setup';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

const PLAIN = 'docker run CLI, as users run it';
const MATCHED = "docker run CLI, executor's settings";
const RUNC = "runc run, Docker's OCI spec";

/** A 1 KB read: the executor vs the docker CLI (plain and matched) vs runc on Docker's own spec. */
export const coldCase: BenchCase = {
  key: 'cold',
  async run({ config, ws, log }) {
    log("cold: executor vs docker run CLI (plain, matched) vs runc run on Docker's spec (1 KB file_read)");
    const executor = await benchExecutor();
    const runc = await prepareRuncFloor(OFFLINE_BUSYBOX_IMAGE, ws, READ_ARGV);
    const plain = dockerRunPlain(OFFLINE_BUSYBOX_IMAGE, ws, READ_ARGV);
    const matched = dockerRunMatched(OFFLINE_BUSYBOX_IMAGE, ws, READ_ARGV);
    try {
      const samples = await interleave(
        {
          executor: () => timeMs(() => readOneKb(executor, ws)),
          [PLAIN]: () => timeMs(plain),
          [MATCHED]: () => timeMs(matched),
          [RUNC]: () => timeMs(runc.run),
        },
        config.rounds,
        config.warmups,
      );
      const s = summarizeAll(samples);
      const o = runc.origin;
      return [
        {
          name: 'cold task (1 KB file_read)',
          reference: 'executor',
          summaries: withReference(s, 'executor'),
          ratios: {
            [`executor / ${MATCHED}`]: targetRatio(ratio(s.executor!, s[MATCHED]!), '<= 0.45'),
            [`executor / ${PLAIN}`]: { value: ratio(s.executor!, s[PLAIN]!) },
            [`executor / ${RUNC}`]: { value: ratio(s.executor!, s[RUNC]!) },
          },
          values: {
            'runc spec from': o.specFrom,
            'runc seccomp default action': o.seccompDefaultAction ?? 'none',
            'runc seccomp rules': o.seccompRules,
            'runc via docker-init': o.dockerInit,
            'runc spec fields rewritten': o.rewritten.join(', '),
          },
        },
      ];
    } finally {
      await runc.cleanup();
      await executor.close();
    }
  },
};
