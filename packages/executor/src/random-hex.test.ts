import { randomHex } from './random-hex';

describe('randomHex', () => {
  it('gives `bytes` bytes as lower-case hex, never the same twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const hex = randomHex(12);
      expect(hex).toMatch(/^[0-9a-f]{24}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(5000);
    expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/);
    expect(randomHex(2048)).toHaveLength(4096);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(1.5)).toThrow(RangeError);
  });
});
