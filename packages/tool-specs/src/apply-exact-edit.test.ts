import { applyExactEdit } from './index';

describe('applyExactEdit', () => {
  it('replaces a unique occurrence literally', () => {
    expect(applyExactEdit('a $1 b', '$1', '$&$$')).toEqual({ ok: true, content: 'a $&$$ b', replacements: 1 });
  });

  it('refuses ambiguous matches unless replaceAll', () => {
    expect(applyExactEdit('x x x', 'x', 'y')).toMatchObject({ ok: false, code: 'EDIT_AMBIGUOUS' });
    expect(applyExactEdit('x x x', 'x', 'y', true)).toEqual({ ok: true, content: 'y y y', replacements: 3 });
  });

  it('reports a missing old string, an empty one and a no-op', () => {
    expect(applyExactEdit('abc', 'z', 'y')).toMatchObject({ ok: false, code: 'EDIT_NO_MATCH' });
    expect(applyExactEdit('abc', '', 'y')).toMatchObject({ ok: false, code: 'EDIT_INVALID' });
    expect(applyExactEdit('abc', 'a', 'a')).toMatchObject({ ok: false, code: 'EDIT_INVALID' });
  });

  it('treats regex and sed syntax as plain text', () => {
    expect(applyExactEdit('a.b axb', 'a.b', 'Q')).toEqual({ ok: true, content: 'Q axb', replacements: 1 });
    expect(applyExactEdit('s/x/y/g', 's/x/y/g', 'ok')).toMatchObject({ ok: true, content: 'ok' });
  });
});
