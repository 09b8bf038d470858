/**
 * The dependency-free validator checked against ajv as an oracle: on generated schemas within the subset
 * `types.ts` allows, and on the real catalog schemas, both must agree on valid / invalid for every value.
 * Our documented extensions are given to ajv as keywords (see `oracleSchema`), so a disagreement is a bug.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { allToolSpecs } from './default-catalog';
import { validateAgainstSchema } from './schema-validator';
import type { JsonSchema } from './types';
import { checkWorkspacePath } from './workspace-path';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const RUNS = { seed: 1414, numRuns: 250 };

// ~2000 schema/value pairs: about a second on an idle machine, longer on a shared one.
jest.setTimeout(60_000);

function createOracle(): Ajv {
  // strict: a keyword ajv does not know (a generator typo) fails the test. Untyped schemas and required keys
  // without a `properties` entry are legal JSON Schema, and the generators produce them on purpose.
  // ownProperties: `required: ['constructor']` is not met by the one every object inherits.
  // code.optimize off: hundreds of one-use schemas compile twice as fast.
  const ajv = new Ajv({
    strict: true,
    strictTypes: false,
    strictRequired: false,
    ownProperties: true,
    code: { optimize: false },
  });
  ajv.addFormat('workspace-path', (s: string) => checkWorkspacePath(s).ok);
  ajv.addFormat('uri', true); // an annotation for us: fetch_url checks the URL itself (checkHttpUrl)
  ajv.addKeyword({
    keyword: 'x-argv',
    type: 'string',
    schemaType: 'boolean',
    validate: (on: boolean, s: string) => !on || !s.includes('\0'),
  });
  ajv.addKeyword({
    keyword: 'x-max-bytes',
    type: 'string',
    schemaType: 'number',
    validate: (max: number, s: string) => Buffer.byteLength(s, 'utf8') <= max,
  });
  ajv.addKeyword({ keyword: 'x-unicode', type: 'string', validate: (_: true, s: string) => !LONE_SURROGATE.test(s) });
  ajv.addKeyword({
    keyword: 'x-safe-integer',
    type: 'number',
    validate: (_: true, n: number) => Number.isSafeInteger(n),
  });
  return ajv;
}

/**
 * Our extensions, spelt out for ajv: every string must be valid Unicode (`x-unicode`), and an `integer` is a
 * safe integer (`x-safe-integer`: 2^53 is refused, it would not survive the trip to an argv element).
 */
function oracleSchema(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema, 'x-unicode': true };
  if (schema.type === 'integer') out['x-safe-integer'] = true;
  if (schema.items) out['items'] = oracleSchema(schema.items);
  if (schema.properties) {
    out['properties'] = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, oracleSchema(s)]));
  }
  if (typeof schema.additionalProperties === 'object')
    out['additionalProperties'] = oracleSchema(schema.additionalProperties);
  if (schema.propertyNames) out['propertyNames'] = oracleSchema(schema.propertyNames);
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Our other extension: `null` for an optional property means "absent" (OpenAI strict mode sends them). */
function withoutOptionalNulls(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value) && schema.items)
    return value.map((v) => withoutOptionalNulls(schema.items as JsonSchema, v));
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (!isPlainObject(value) || (!schema.properties && extra === undefined)) return value;
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const out: [string, unknown][] = [];
  for (const [key, v] of Object.entries(value)) {
    const sub = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    if (sub === undefined) out.push([key, extra === undefined ? v : withoutOptionalNulls(extra, v)]);
    else if (v !== null || required.has(key) || sub.type === 'null') out.push([key, withoutOptionalNulls(sub, v)]);
  }
  return Object.fromEntries(out); // own properties, `__proto__` included
}

function agree(ajv: Ajv, cache: Map<JsonSchema, ValidateFunction>, schema: JsonSchema, value: unknown): boolean {
  let oracle = cache.get(schema);
  if (oracle === undefined) {
    oracle = ajv.compile(oracleSchema(schema));
    cache.set(schema, oracle);
  }
  const ours = validateAgainstSchema(schema, value).issues.length === 0;
  const theirs = oracle(withoutOptionalNulls(schema, value));
  if (ours !== theirs) {
    throw new Error(
      `disagree on ${JSON.stringify(value)} against ${JSON.stringify(schema)}: ours ${ours ? 'valid' : 'invalid'}, ajv ${theirs ? 'valid' : JSON.stringify(oracle.errors)}`,
    );
  }
  return ours;
}

// Keys include Object.prototype's names: a key is "known" only if the schema has it as its own property.
const KEYS = ['a', 'b', 'c', 'd e', 'x/y', 'constructor', 'toString', '__proto__'];
const PATTERNS = ['^a', 'c$', '^[a-c]*$', '\\d', '^.{2}$', '^\\p{L}+$', '^[^/]+$'];
const UNITS = ['a', 'b', 'c', '1', ' ', '/', '.', 'é', '😀', '\0', '\uD800', '\uDC00'];

const str = (min = 0, max = 6): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...UNITS), minLength: min, maxLength: Math.max(min, max) });
const small = fc.integer({ min: -5, max: 12 });
const anyNumber = fc.oneof(
  small,
  fc.double({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(2 ** 53, -(2 ** 53), 1e21, 0.5, -0),
);

/** Any JSON value, keys from `KEYS` (as own properties, `__proto__` included). */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    anyNumber,
    str(),
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('v')), { selector: ([k]) => k, maxLength: 4 })
      .map((entries) => Object.fromEntries(entries)),
  ),
})).v;

const TYPES = ['string', 'integer', 'number', 'boolean', 'null', 'array', 'object'] as const;
const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });
const compact = (o: Record<string, unknown>): JsonSchema =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as JsonSchema;

/** A schema within the subset: every keyword `types.ts` has, untyped nodes too. */
const anySchema: fc.Arbitrary<JsonSchema> = fc.letrec<{ s: JsonSchema }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .record({
        type: opt(fc.constantFrom(...TYPES)),
        enum: opt(fc.uniqueArray(fc.oneof(str(0, 3), small, fc.boolean()), { minLength: 1, maxLength: 4 })),
        minimum: opt(fc.oneof(small, fc.constant(0.5))),
        maximum: opt(small),
        minLength: opt(fc.nat(3)),
        maxLength: opt(fc.nat(5)),
        pattern: opt(fc.constantFrom(...PATTERNS)),
        minItems: opt(fc.nat(2)),
        maxItems: opt(fc.nat(3)),
      })
      .map(compact),
    fc
      .record({
        type: opt(fc.constant('array' as const)),
        items: tie('s'),
        minItems: opt(fc.nat(2)),
        maxItems: opt(fc.nat(3)),
      })
      .map(compact),
    fc
      .record({
        type: opt(fc.constant('object' as const)),
        properties: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd e', 'x/y'), tie('s'), { maxKeys: 3 }),
        required: opt(fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 3 })),
        additionalProperties: opt(fc.oneof(fc.boolean(), tie('s'))),
        propertyNames: opt(fc.constantFrom(...PATTERNS).map((pattern) => ({ pattern }))),
        maxProperties: opt(fc.nat(3)),
        default: opt(fc.constant({})),
      })
      .map(compact),
  ),
})).s;

/** Values shaped by the schema (mostly conforming), with random ones mixed in. */
function valueFor(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const shaped = shapedValue(schema, depth);
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: anyValue });
}

function shapedValue(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const lo = schema.minimum ?? -5;
  const hi = Math.max(lo, schema.maximum ?? 12);
  switch (schema.type) {
    case 'string':
      return str(schema.minLength ?? 0, schema.maxLength ?? 8);
    case 'integer':
      return fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(hi)) });
    case 'number':
      return fc.double({ min: lo, max: hi, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const min = schema.minItems ?? 0;
      const item = schema.items && depth < 3 ? valueFor(schema.items, depth + 1) : anyValue;
      return fc.array(item, { minLength: min, maxLength: Math.max(min, schema.maxItems ?? min + 3) });
    }
    case 'object':
    case undefined: {
      const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      if (!schema.properties && extra === undefined) return anyValue;
      const props = schema.properties ?? {};
      const extraValue = extra !== undefined && depth < 3 ? valueFor(extra, depth + 1) : anyValue;
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, depth < 3 ? valueFor(s, depth + 1) : anyValue])),
        { requiredKeys: (schema.required ?? []).filter((k) => Object.prototype.hasOwnProperty.call(props, k)) },
      );
      return fc
        .tuple(record, fc.option(fc.tuple(fc.constantFrom(...KEYS), extraValue), { freq: 3 }))
        .map(([r, extra]) =>
          extra && !Object.prototype.hasOwnProperty.call(r, extra[0]) ? { ...r, ...Object.fromEntries([extra]) } : r,
        );
    }
  }
}

describe('validateAgainstSchema agrees with ajv', () => {
  it('on generated schemas and values (both verdicts occur)', () => {
    const ajv = createOracle();
    const cache = new Map<JsonSchema, ValidateFunction>();
    const verdicts = { valid: 0, invalid: 0 };
    // Several values per schema: compiling the oracle is the expensive part.
    fc.assert(
      fc.property(
        anySchema.chain((schema) =>
          fc.tuple(fc.constant(schema), fc.array(valueFor(schema), { minLength: 8, maxLength: 8 })),
        ),
        ([schema, values]) => {
          for (const value of values) verdicts[agree(ajv, cache, schema, value) ? 'valid' : 'invalid']++;
        },
      ),
      RUNS,
    );
    expect(verdicts.valid).toBeGreaterThan(RUNS.numRuns);
    expect(verdicts.invalid).toBeGreaterThan(RUNS.numRuns);
  });

  it.each(allToolSpecs().map((spec) => [spec.name, spec.parameters] as const))(
    'on the catalog schema of %s, with generated values',
    (_name, schema) => {
      const ajv = createOracle();
      const cache = new Map<JsonSchema, ValidateFunction>();
      fc.assert(
        fc.property(valueFor(schema), (value) => {
          agree(ajv, cache, schema, value);
        }),
        { ...RUNS, numRuns: 150 },
      );
    },
  );

  it('found and fixed: an inherited name is not a known property, a required key needs no properties entry', () => {
    const closed: JsonSchema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
    for (const key of ['constructor', 'toString', '__proto__']) {
      expect(validateAgainstSchema(closed, Object.fromEntries([[key, 1]])).issues).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^unknown parameter/) }),
      ]);
    }
    // An open schema passes a `__proto__` key through as a key: it must not become the result's prototype.
    const open = validateAgainstSchema({ type: 'object' }, JSON.parse('{"__proto__": {"max_bytes": 1}}')).value;
    expect(Object.getPrototypeOf(open)).toBe(Object.prototype);
    expect((open as { max_bytes?: number }).max_bytes).toBeUndefined();
    expect(Object.keys(open as object)).toEqual(['__proto__']);
    expect(validateAgainstSchema({ type: 'object', required: ['q'] }, {}).issues).toEqual([
      { path: '/q', message: 'is required' },
    ]);
  });
});
