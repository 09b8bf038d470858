import { formatTable, roughDuration, tableCell } from './table';

describe('formatTable', () => {
  const header = ['ID', 'TOOL', 'STATE'];
  const rows = [
    ['t-1', 'grep', 'completed'],
    ['a-much-longer-id', 'list', 'running'],
  ];

  it('aligns the columns for a terminal, two spaces apart, without trailing blanks', () => {
    expect(formatTable(header, rows, { aligned: true })).toBe(
      [
        'ID                TOOL  STATE',
        't-1               grep  completed',
        'a-much-longer-id  list  running',
        '',
      ].join('\n'),
    );
  });

  it('separates the columns with one tab for a pipe, header first', () => {
    expect(formatTable(header, rows, { aligned: false })).toBe(
      'ID\tTOOL\tSTATE\nt-1\tgrep\tcompleted\na-much-longer-id\tlist\trunning\n',
    );
  });

  it('prints an empty or missing cell as -, and quotes one with a control character so rows stay rows', () => {
    expect(formatTable(header, [['x', '']], { aligned: false })).toBe('ID\tTOOL\tSTATE\nx\t-\t-\n');
    expect(tableCell('a\tb')).toBe('"a\\tb"');
    expect(tableCell('line\nbreak')).toBe('"line\\nbreak"');
    expect(tableCell('\u001b[31mred')).toBe('"\\u001b[31mred"');
    expect(
      formatTable(['A', 'B'], [['a\tb', 'c']], { aligned: false })
        .split('\n')[1]
        ?.split('\t'),
    ).toEqual(['"a\\tb"', 'c']);
  });

  it('aligns by characters, not bytes', () => {
    expect(formatTable(['NAME', 'X'], [['é', '1']], { aligned: true })).toBe('NAME  X\né     1\n');
  });
});

describe('roughDuration', () => {
  it('rounds to whole seconds from a second up, keeps milliseconds below', () => {
    expect(roughDuration(0)).toBe('0s');
    expect(roughDuration(412.4)).toBe('412ms');
    expect(roughDuration(1499)).toBe('1s');
    expect(roughDuration(192_600)).toBe('3m13s');
    expect(roughDuration(3_600_000 + 61_000)).toBe('1h1m1s');
    expect(roughDuration(-5)).toBe('-');
    expect(roughDuration(Number.NaN)).toBe('-');
  });
});
