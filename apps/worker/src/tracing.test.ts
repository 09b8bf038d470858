import { tracingRequested } from './tracing';

describe('tracingRequested: which OTEL_* settings turn tracing on', () => {
  it.each<[string, NodeJS.ProcessEnv, boolean]>([
    ['nothing set (the spec would default to otlp; an untraced worker loads no SDK)', {}, false],
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    ['an exporter named', { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    ['a list of exporters', { OTEL_TRACES_EXPORTER: ' console , otlp ' }, true],
    ['exporter none, even with an endpoint', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'x' }, false],
    ['none in a list', { OTEL_TRACES_EXPORTER: 'otlp,none' }, false],
    ['the SDK disabled', { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    ['OTEL_SDK_DISABLED=false', { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }, true],
    ['empty values', { OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, false],
    ['only a service name', { OTEL_SERVICE_NAME: 'w1' }, false],
  ])('%s', (_what, env, on) => {
    expect(tracingRequested(env)).toBe(on);
  });
});
