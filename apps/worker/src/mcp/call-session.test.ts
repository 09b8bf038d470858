import { createToolCatalog } from '@baaaht/tool-specs';
import { belongsTo, sessionForCall } from './call-session';

const catalog = createToolCatalog();
const spec = (name: string) => catalog.get(name);
const mcp = { id: 'mcp-abc', explicit: false };

describe('sessionForCall', () => {
  it('gives calls of one shape one session, and calls of another shape another', () => {
    const read = sessionForCall(mcp, spec('file_read'), '/srv/ws');
    expect(read).toMatch(/^mcp-abc-[0-9a-f]{8}$/);
    // Same workspace, read-only, same limits: one container serves both.
    expect(sessionForCall(mcp, spec('list'), '/srv/ws')).toBe(read);
    // A writing call, larger limits, another workspace: each would be SESSION_MISMATCH in that container.
    const others = [
      sessionForCall(mcp, spec('file_write'), '/srv/ws'),
      sessionForCall(mcp, spec('grep'), '/srv/ws'),
      sessionForCall(mcp, spec('exec'), '/srv/ws'),
      sessionForCall(mcp, spec('file_read'), '/srv/other'),
    ];
    expect(new Set([read, ...others]).size).toBe(5);
    expect(sessionForCall(mcp, spec('file_edit'), '/srv/ws')).toBe(others[0]);
    expect(sessionForCall(mcp, spec('find'), '/srv/ws')).toBe(others[1]);
    for (const id of [read, ...others]) expect(belongsTo(id as string, 'mcp-abc')).toBe(true);
    expect(belongsTo('mcp-abcd-12345678', 'mcp-abc')).toBe(false);
  });

  it('uses an explicit session as given, and none for web tools or sessionless calls', () => {
    expect(sessionForCall({ id: 's1', explicit: true }, spec('grep'), '/srv/ws')).toBe('s1');
    expect(sessionForCall(mcp, spec('fetch_url'), undefined)).toBeUndefined();
    expect(sessionForCall({ id: 's1', explicit: true }, spec('web_search'), undefined)).toBeUndefined();
    expect(sessionForCall(undefined, spec('file_read'), '/srv/ws')).toBeUndefined();
  });
});
