import { PassThrough } from 'node:stream';
import { createProgress } from './progress';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  return { stream: Object.assign(s, { isTTY }) as unknown as NodeJS.WriteStream, text: () => text };
}

describe('progress', () => {
  it('draws a spinner line on a terminal and clears it on stop', async () => {
    const { stream, text } = fakeStream(true);
    const p = createProgress({ stream, intervalMs: 1000, env: {} });
    p.update('waiting for a worker…');
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('\r\x1b[2K⠋ waiting for a worker…\r\x1b[2K');
  });

  it('stays silent when the stream is not a terminal', async () => {
    const { stream, text } = fakeStream(false);
    const p = createProgress({ stream });
    p.update('x');
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('');
  });

  it('stays silent on a terminal when NO_COLOR is set', async () => {
    const { stream, text } = fakeStream(true);
    const p = createProgress({ stream, env: { NO_COLOR: '1' } });
    p.update('x');
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('');
  });
});
