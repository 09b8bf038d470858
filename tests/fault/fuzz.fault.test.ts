/**
 * Property tests of the two places hostile bytes and values enter first: the
 * protocol decoders and the tool-parameter validators. Unit speed, no Docker.
 */
import fc from 'fast-check';
import { OrchestratorMessage, TaskAssignment, WorkerMessage } from '@baaaht/proto';
import { allToolSpecs, checkWorkspacePath, validateToolCall } from '@baaaht/tool-specs';

const RUNS = Number(process.env['FAULT_FUZZ_RUNS'] ?? 500);
const TOOLS = allToolSpecs().map((s) => s.name);

type Decoder = { decode(input: Uint8Array): unknown };
const DECODERS: Array<[string, Decoder]> = [
  ['WorkerMessage', WorkerMessage],
  ['OrchestratorMessage', OrchestratorMessage],
  ['TaskAssignment', TaskAssignment],
];

/** Decodes, classifying the outcome; anything thrown that is not an Error is reported as such. */
function decodeOutcome(d: Decoder, bytes: Uint8Array): 'value' | 'error' | string {
  try {
    const v = d.decode(bytes);
    return v !== null && typeof v === 'object' ? 'value' : `non-object value ${typeof v}`;
  } catch (err) {
    return err instanceof Error ? 'error' : `non-Error throw: ${typeof err} ${String(err)}`;
  }
}

/** Byte strings that look like protobuf: valid-ish tags with length-delimited and varint payloads mixed with junk. */
const protobufish = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 48 }))
        .map(([field, wire, body]) => {
          const tag = (field << 3) | wire;
          const len = wire === 2 ? [body.length & 0x7f] : [];
          return Uint8Array.from([
            (tag & 0x7f) | (tag > 0x7f ? 0x80 : 0),
            ...(tag > 0x7f ? [tag >> 7] : []),
            ...len,
            ...body,
          ]);
        }),
      // Varints that claim huge lengths, the classic decoder trap.
      fc.constantFrom(
        Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        Uint8Array.from([0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

describe('protocol decoders under random bytes', () => {
  it.each(DECODERS)('%s.decode returns a value or throws an Error, for uniform random bytes', (_name, decoder) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(decodeOutcome(decoder, bytes)).toMatch(/^(value|error)$/);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(DECODERS)('%s.decode returns a value or throws an Error, for protobuf-shaped bytes', (_name, decoder) => {
    fc.assert(
      fc.property(protobufish, (bytes) => {
        expect(decodeOutcome(decoder, bytes)).toMatch(/^(value|error)$/);
      }),
      { numRuns: RUNS },
    );
  });

  it('a real message survives a round trip and any one-byte corruption is a value or an Error', () => {
    const good = TaskAssignment.encode(
      TaskAssignment.fromPartial({ taskId: 't-1', tool: 'file_read', params: { path: 'a.txt' }, timeoutMs: 1000 }),
    ).finish();
    expect(TaskAssignment.decode(good)).toMatchObject({ taskId: 't-1', tool: 'file_read', params: { path: 'a.txt' } });
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bad = Uint8Array.from(good);
        bad[at] = byte;
        for (const [, d] of DECODERS) expect(decodeOutcome(d, bad)).toMatch(/^(value|error)$/);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Parameters shaped like the tools' own: known keys with hostile values, plus arbitrary JSON. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(
    '../x',
    'a/../../x',
    '/etc/passwd',
    '/workspace/../etc',
    '/workspace/..',
    '..',
    '.',
    '/workspace',
    'a\0b',
    '; rm -rf /',
    '$(id)',
    '`id`',
    '--help',
    '-rf',
    'a\nb',
    '\ud800',
    '\udfff',
    '//etc//passwd',
    'a/./../..',
    '',
  ),
  fc
    .array(fc.constantFrom('..', '.', 'a', '', 'workspace', 'etc', '/'), { maxLength: 8 })
    .map((segs) => segs.join('/')),
);
const toolishParams = fc.record(
  {
    path: fc.oneof(hostileString, fc.jsonValue()),
    pattern: fc.oneof(hostileString, fc.jsonValue()),
    content: fc.oneof(hostileString, fc.jsonValue()),
    old_string: hostileString,
    new_string: hostileString,
    url: fc.oneof(
      hostileString,
      fc.constantFrom('http://127.0.0.1/', 'http://169.254.169.254/', 'file:///etc/passwd', 'http://[::1]/'),
    ),
    query: hostileString,
    offset: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
    limit: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
    name: hostileString,
    max_depth: fc.oneof(fc.integer(), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

function checkValidation(tool: string, params: unknown): void {
  let v: ReturnType<typeof validateToolCall>;
  try {
    v = validateToolCall(tool, params);
  } catch (err) {
    throw new Error(`validateToolCall(${tool}) threw instead of returning: ${String(err)}`);
  }
  if (v.ok) {
    const p = v.params as Record<string, unknown>;
    if ('path' in p) {
      expect(typeof p['path']).toBe('string');
      const checked = checkWorkspacePath(p['path'] as string);
      expect(checked.ok).toBe(true);
      if (checked.ok) expect(checked.relative === '..' || checked.relative.startsWith('../')).toBe(false);
    }
  } else {
    expect(v.errors.length).toBeGreaterThan(0);
    for (const e of v.errors) {
      expect(typeof e.path).toBe('string');
      expect(typeof e.message).toBe('string');
      expect(e.message.length).toBeGreaterThan(0);
    }
    expect(v.error).toBeInstanceOf(Error);
  }
}

describe('validateToolCall under arbitrary values', () => {
  it.each(TOOLS)('%s: arbitrary JSON never throws; ok results carry safe paths', (tool) => {
    fc.assert(
      fc.property(fc.jsonValue(), (params) => checkValidation(tool, params)),
      { numRuns: RUNS },
    );
  });

  it.each(TOOLS)('%s: tool-shaped hostile parameters never throw; ok results carry safe paths', (tool) => {
    fc.assert(
      fc.property(toolishParams, (params) => checkValidation(tool, params)),
      { numRuns: RUNS },
    );
  });

  it('unknown and malformed tool names are refused with UNKNOWN_TOOL, never thrown', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }).filter((s) => !TOOLS.includes(s)),
        fc.jsonValue(),
        (name, params) => {
          const v = validateToolCall(name, params);
          expect(v.ok).toBe(false);
          if (!v.ok) expect(v.errors.map((e) => e.code)).toContain('UNKNOWN_TOOL');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each(TOOLS.filter((t) => ['file_read', 'file_write', 'file_edit', 'grep', 'find', 'list'].includes(t)))(
    '%s refuses every classic traversal in path',
    (tool) => {
      for (const bad of ['../x', 'a/../../x', '/etc/passwd', '/workspace/../etc', '..', 'a\0b']) {
        const v = validateToolCall(tool, { path: bad, pattern: 'x', content: 'x', old_string: 'a', new_string: 'b' });
        expect(v.ok).toBe(false);
        if (!v.ok) expect(v.errors.some((e) => e.path === '/path')).toBe(true);
      }
    },
  );
});
