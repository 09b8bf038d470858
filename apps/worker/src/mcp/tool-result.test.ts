import { createToolCatalog } from '@baaaht/tool-specs';
import type { TaskReport } from '../task-output';
import { ERROR_META, RESULT_META, errorResult, toCallToolResult } from './tool-result';

const catalog = createToolCatalog();
const spec = (name: string) => catalog.get(name);

function report(overrides: Partial<TaskReport> & Pick<TaskReport, 'tool'>): TaskReport {
  return {
    status: 'completed',
    exitCode: 0,
    stdout: '',
    stderr: '',
    truncated: false,
    durationMs: 12,
    containerId: '0123456789abcdef',
    error: null,
    ...overrides,
  };
}

const texts = (r: { content: Array<{ type: string; text?: string }> }) => r.content.map((c) => c.text);

describe('toCallToolResult', () => {
  it('returns the output as text and the structured result as structuredContent', () => {
    const structured = {
      matches: [{ path: 'a.ts', line: 1, text: 'TODO' }],
      truncated: false,
      skipped: { special: 0, binary: 0 },
    };
    const r = toCallToolResult(
      report({ tool: 'grep', stdout: 'a.ts:1:TODO\n', stderr: 'note: skipped 1 binary file\n', structured }),
      spec('grep'),
    );
    expect(r.isError).toBeUndefined();
    expect(texts(r)).toEqual(['a.ts:1:TODO\n', 'stderr:\nnote: skipped 1 binary file\n']);
    expect(r.structuredContent).toEqual(structured);
    expect(r._meta?.[RESULT_META]).toEqual({
      status: 'completed',
      exitCode: 0,
      durationMs: 12,
      truncated: false,
      containerId: '0123456789ab',
    });
  });

  it("renders web_search's text from its structured result, not the backend's raw JSON", () => {
    const structured = { results: [{ title: 't', url: 'https://example.org/', snippet: 's' }] };
    const r = toCallToolResult(
      report({ tool: 'web_search', stdout: '{"query":"q","noise":[1,2,3]}', structured }),
      spec('web_search'),
    );
    expect(JSON.parse(texts(r)[0] as string)).toEqual(structured);
  });

  it('gives a tool without structured output no structuredContent, and says when there was no output', () => {
    const r = toCallToolResult(report({ tool: 'file_read', structured: { ignored: true } }), spec('file_read'));
    expect(r).not.toHaveProperty('structuredContent');
    expect(texts(r)).toEqual(['(no output)']);
  });

  it('states truncation, with the dropped bytes per stream', () => {
    const r = toCallToolResult(
      report({ tool: 'file_read', stdout: 'x'.repeat(10), truncated: true, stdoutDroppedBytes: 4096 }),
      spec('file_read'),
    );
    expect(texts(r).at(-1)).toBe(
      "[stdout truncated (4096 bytes dropped): the tool's output was cut at the worker's output cap]",
    );
    expect(r._meta?.[RESULT_META]).toMatchObject({ truncated: true, stdoutDroppedBytes: 4096 });
  });

  it.each([
    ['denied', { code: 'POLICY_DENIED', message: 'mount /etc is not allowed', detail: 'mounts.mount_allowlist' }],
    ['timeout', { code: 'TIMEOUT', message: 'file_read timed out after 30s' }],
    ['failed', { code: 'NOT_FOUND', message: 'missing.txt does not exist' }],
    ['error', { code: 'INVALID_PARAMS', message: '/path: is required' }],
  ])('turns a %s call into an isError result with the typed code and message', (status, error) => {
    const r = toCallToolResult(report({ tool: 'file_read', status, exitCode: null, error }), spec('file_read'));
    expect(r.isError).toBe(true);
    const detail = 'detail' in error ? ` (${error.detail})` : '';
    expect(texts(r)[0]).toBe(`${error.code}${detail}: ${error.message}`);
    expect(r._meta?.[ERROR_META]).toEqual(error);
    expect(r._meta?.[RESULT_META]).toMatchObject({ status });
  });

  it("keeps a failed call's output and its structured result (exec's exit)", () => {
    const structured = {
      exitCode: 2,
      signal: null,
      stdout: { truncated: false, droppedBytes: 0 },
      stderr: { truncated: false, droppedBytes: 0 },
    };
    const r = toCallToolResult(
      report({
        tool: 'exec',
        status: 'failed',
        exitCode: 2,
        stdout: 'partial\n',
        stderr: 'boom\n',
        structured,
        error: { code: 'TOOL_FAILED', message: 'the command exited with code 2', detail: 'NONZERO_EXIT' },
      }),
      spec('exec'),
    );
    expect(r.isError).toBe(true);
    expect(texts(r)).toEqual([
      'TOOL_FAILED (NONZERO_EXIT): the command exited with code 2',
      'partial\n',
      'stderr:\nboom\n',
    ]);
    expect(r.structuredContent).toEqual(structured);
  });

  it('refuses to pass off a completed call without the structured result its outputSchema promises', () => {
    const r = toCallToolResult(report({ tool: 'find', stdout: 'a\n' }), spec('find'));
    expect(r.isError).toBe(true);
    expect(texts(r)[0]).toBe('TOOL_FAILED: find completed without its structured result');
  });
});

describe('errorResult', () => {
  it('is an isError result with the code, message and detail, in the text and in _meta', () => {
    expect(errorResult('POLICY_DENIED', 'workspace /etc is outside the workspace roots: /srv', 'workspace')).toEqual({
      content: [
        { type: 'text', text: 'POLICY_DENIED (workspace): workspace /etc is outside the workspace roots: /srv' },
      ],
      isError: true,
      _meta: {
        [ERROR_META]: {
          code: 'POLICY_DENIED',
          message: 'workspace /etc is outside the workspace roots: /srv',
          detail: 'workspace',
        },
      },
    });
  });
});
