import { terminalWidth, wrapBlock, wrapLine } from './text-wrap';

describe('terminalWidth', () => {
  it('uses the columns of a terminal and 80 otherwise', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: true, columns: 20 })).toBe(40);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(80);
    expect(terminalWidth({})).toBe(80);
    expect(terminalWidth(undefined)).toBe(80);
  });
});

describe('wrapLine', () => {
  it('breaks at spaces with a hanging indent and keeps overlong words whole', () => {
    expect(wrapLine('aaa bbb ccc ddd', 7)).toEqual(['aaa bbb', 'ccc ddd']);
    expect(wrapLine('aaa bbb ccc', 8, 2)).toEqual(['aaa bbb', '  ccc']);
    expect(wrapLine('unbreakable-word x', 5)).toEqual(['unbreakable-word', 'x']);
    expect(wrapLine('', 10)).toEqual(['']);
  });
});

describe('wrapBlock', () => {
  it('joins continued sentences, keeps paragraphs and indented lists, and wraps each line', () => {
    const text =
      'First part of a sentence\ncontinues here.\nNew sentence.\n\n  item   an indented list entry that is long';
    expect(wrapBlock(text, 30)).toBe(
      [
        'First part of a sentence',
        'continues here.',
        'New sentence.',
        '',
        '  item   an indented list',
        '         entry that is long',
      ].join('\n'),
    );
  });
});
