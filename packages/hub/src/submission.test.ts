import { fromAssignment, toAssignment } from './submission';

describe('toAssignment', () => {
  test('fills an id and defaults', () => {
    const { assignment, selector } = toAssignment(
      { tool: 'file_read', params: { path: 'a' }, mountSource: '/w' },
      undefined,
    );
    expect(assignment.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(assignment).toMatchObject({
      tool: 'file_read',
      params: { path: 'a' },
      mountSource: '/w',
      timeoutMs: 0,
      args: [],
    });
    expect(selector).toEqual({});
  });

  test.each([
    [{ tool: '' }, 'tool: is required'],
    [{ tool: 'Bad Tool' }, 'tool: is not a valid tool name'],
    [{ tool: 'echo', taskId: 'has space' }, 'taskId:'],
    [{ tool: 'echo', params: [] }, 'params: must be an object'],
    [{ tool: 'echo', args: [1] }, 'args: must be an array of strings'],
    [{ tool: 'echo', mountSource: 'relative' }, 'mountSource: must be an absolute path'],
    [{ tool: 'echo', timeoutMs: -1 }, 'timeoutMs: must be a non-negative integer'],
    [{ tool: 'echo', limits: { memoryBytes: 1.5 } }, 'limits.memoryBytes:'],
    [{ tool: 'echo', selector: { pool: 1 } }, 'selector.pool: must be a string'],
  ])('%p is INVALID_ARGUMENT naming the field', (input, message) => {
    expect(() => toAssignment(input as never, undefined)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => toAssignment(input as never, undefined)).toThrow(message);
  });

  test('an unknown tool is UNKNOWN_TOOL when the hub knows its tools', () => {
    expect(() => toAssignment({ tool: 'rm_rf' }, ['file_read'])).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_TOOL', field: 'tool' }),
    );
    expect(() => toAssignment({ tool: 'file_read' }, ['file_read'])).not.toThrow();
  });

  test('round-trips through the wire form', () => {
    const input = {
      taskId: 'x',
      tool: 'grep',
      args: ['-r', 'a'],
      timeoutMs: 5,
      labels: { a: 'b' },
      limits: { pidsLimit: 3 },
    };
    const { assignment, selector } = toAssignment({ ...input, selector: { s: 't' } }, undefined);
    expect(fromAssignment(assignment, selector)).toMatchObject({ ...input, selector: { s: 't' } });
    expect(() => fromAssignment(undefined, {})).toThrow('task: is required');
  });
});
