import type { JsonSchema } from '@baaaht/tool-specs';
import { WorkerCliError } from './errors';
import { buildToolParams } from './tool-params';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    max_results: { type: 'integer' },
    ratio: { type: 'number' },
    ignore_case: { type: 'boolean' },
    include: { type: 'array', items: { type: 'string' } },
  },
};

describe('buildToolParams', () => {
  it('coerces strings to the schema types and keeps values containing =', () => {
    expect(
      buildToolParams(
        schema,
        ['path=a=b.txt', 'max_results=5', 'ratio=0.5', 'ignore_case=true', 'include=*.ts', 'include=*.js', 'other=x'],
        [],
      ),
    ).toEqual({
      path: 'a=b.txt',
      max_results: 5,
      ratio: 0.5,
      ignore_case: true,
      include: ['*.ts', '*.js'],
      other: 'x',
    });
  });

  it('takes JSON values from --param-json', () => {
    expect(buildToolParams(schema, [], ['include=["a","b"]', 'max_results=3'])).toEqual({
      include: ['a', 'b'],
      max_results: 3,
    });
  });

  it.each([
    [['path'], [], '--param: expected key=value, got "path"'],
    [['max_results=five'], [], '--param max_results: expected an integer, got "five"'],
    [['ignore_case=maybe'], [], '--param ignore_case: expected true or false, got "maybe"'],
    [[], ['include=[oops'], '--param-json: invalid JSON for "include"'],
  ])('refuses malformed input %j %j as a usage error', (params, json, message) => {
    let error: unknown;
    try {
      buildToolParams(schema, params, json);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WorkerCliError);
    expect((error as WorkerCliError).exitCode).toBe(2);
    expect((error as WorkerCliError).message.startsWith(message)).toBe(true);
  });
});
