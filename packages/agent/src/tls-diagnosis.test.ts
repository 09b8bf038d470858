import { describeTlsProbe, firstFrame } from './tls-diagnosis';

const T = '198.51.100.10:7443';

function goaway(debug: string): Buffer {
  const data = Buffer.from(debug);
  const b = Buffer.alloc(17 + data.length);
  b.writeUIntBE(8 + data.length, 0, 3);
  b.writeUInt8(7, 3);
  b.writeUInt32BE(0xc, 13);
  data.copy(b, 17);
  return b;
}

describe('firstFrame', () => {
  it('waits for a whole frame header and payload', () => {
    const frame = goaway('no');
    expect(firstFrame(frame.subarray(0, 8))).toBeUndefined();
    expect(firstFrame(frame.subarray(0, 12))).toBeUndefined();
    expect(firstFrame(frame)).toEqual({ type: 7, payload: frame.subarray(9) });
    expect(firstFrame(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]))).toEqual({ type: 4, payload: Buffer.alloc(0) });
  });
});

describe('describeTlsProbe', () => {
  it('passes on what the hub said in its GOAWAY', () => {
    expect(
      describeTlsProbe(
        T,
        { kind: 'goaway', errorCode: 12, debug: 'orchestrator refused the client certificate: x' },
        2000,
      ),
    ).toBe(`${T} closed the connection after the TLS handshake: orchestrator refused the client certificate: x`);
    expect(describeTlsProbe(T, { kind: 'goaway', errorCode: 12, debug: '' }, 2000)).toContain(
      '(HTTP/2 GOAWAY, error 12)',
    );
  });

  it.each([
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      `the certificate of ${T} is not signed by a CA in --tls-ca (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    ],
    [
      'SELF_SIGNED_CERT_IN_CHAIN',
      `the certificate of ${T} is not signed by a CA in --tls-ca (SELF_SIGNED_CERT_IN_CHAIN)`,
    ],
    ['CERT_HAS_EXPIRED', `the certificate of ${T} has expired`],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'pass --tls-server-name'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', `${T} does not speak TLS`],
    [
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'requires a client certificate (mutual TLS): pass --tls-cert and --tls-key',
    ],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', "does not trust this worker's certificate (--tls-cert)"],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', "refused this worker's certificate (--tls-cert) as expired"],
  ])('%s', (code, words) => {
    expect(describeTlsProbe(T, { kind: 'error', code, message: 'm' }, 2000)).toContain(words);
  });

  it('keeps only the words of an unknown OpenSSL error', () => {
    const message = '80BC:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/rec.c:1601:';
    expect(describeTlsProbe(T, { kind: 'error', code: 'ERR_SSL_X', message }, 2000)).toBe(
      `TLS with ${T} failed: sslv3 alert handshake failure (ERR_SSL_X)`,
    );
  });

  it('an HTTP/2 answer means TLS is fine; a silent close or a stall says what to look at', () => {
    expect(describeTlsProbe(T, { kind: 'settings' }, 2000)).toContain('accepted the TLS connection and answers HTTP/2');
    expect(describeTlsProbe(T, { kind: 'closed' }, 2000)).toContain("See the orchestrator's log");
    expect(describeTlsProbe(T, { kind: 'timeout' }, 2000)).toContain('within 2000ms');
  });
});
