import { parseSize } from './sizes';

describe('parseSize', () => {
  it.each([
    ['104857600', 104_857_600],
    ['100MB', 100_000_000],
    ['100MiB', 104_857_600],
    ['1GiB', 1024 ** 3],
    ['64k', 65_536],
    ['1.5MB', 1_500_000],
    ['0', 0],
  ])('%s -> %d', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it('takes plain numbers from config files', () => expect(parseSize(4096)).toBe(4096));

  it.each(['-1', '1.5', 'lots', '10XB', ''])('rejects %j', (text) => expect(parseSize(text)).toBeUndefined());
  it('rejects negative numbers', () => expect(parseSize(-1)).toBeUndefined());
});
