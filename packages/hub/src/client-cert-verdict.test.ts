import { HTTP2_INADEQUATE_SECURITY, clientCertVerdict, goawayFrame } from './client-cert-verdict';

const cert = {
  subject: { CN: 'w1', O: ['a', 'b'] },
  valid_from: 'Jan  1 00:00:00 2020 GMT',
  valid_to: 'Jan  2 00:00:00 2020 GMT',
};

describe('clientCertVerdict', () => {
  it('accepts an authorized certificate, naming its subject', () => {
    expect(clientCertVerdict({ authorized: true, peerCertificate: cert })).toEqual({
      accepted: true,
      subject: 'CN=w1, O=a+b',
    });
  });

  it('refuses no certificate at all, whatever OpenSSL said', () => {
    expect(
      clientCertVerdict({ authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT', peerCertificate: {} }),
    ).toMatchObject({ accepted: false, code: 'NO_CLIENT_CERT', subject: '' });
    expect(clientCertVerdict({ authorized: false, peerCertificate: null })).toMatchObject({ code: 'NO_CLIENT_CERT' });
  });

  it.each([
    [
      'CERT_HAS_EXPIRED',
      'CERT_EXPIRED',
      'client certificate CN=w1, O=a+b expired on Jan  2 00:00:00 2020 GMT (CERT_HAS_EXPIRED)',
    ],
    [
      'CERT_NOT_YET_VALID',
      'CERT_NOT_YET_VALID',
      'client certificate CN=w1, O=a+b is not valid before Jan  1 00:00:00 2020 GMT (CERT_NOT_YET_VALID)',
    ],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNTRUSTED_CERT',
      "client certificate CN=w1, O=a+b is not signed by a CA in the orchestrator's --tls-ca (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
    ],
    [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNTRUSTED_CERT',
      "client certificate CN=w1, O=a+b is not signed by a CA in the orchestrator's --tls-ca (DEPTH_ZERO_SELF_SIGNED_CERT)",
    ],
    ['CERT_REVOKED', 'CERT_REFUSED', 'client certificate CN=w1, O=a+b was refused (CERT_REVOKED)'],
  ])('%s is %s', (error, code, reason) => {
    expect(clientCertVerdict({ authorized: false, authorizationError: error, peerCertificate: cert })).toEqual({
      accepted: false,
      code,
      subject: 'CN=w1, O=a+b',
      reason,
    });
  });

  it('takes the code of an Error too', () => {
    const err = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    expect(clientCertVerdict({ authorized: false, authorizationError: err, peerCertificate: cert })).toMatchObject({
      code: 'CERT_EXPIRED',
    });
  });
});

describe('goawayFrame', () => {
  it('is an HTTP/2 GOAWAY on stream 0 with last stream 0, the error code and the debug text', () => {
    const frame = goawayFrame('why');
    expect([...frame.subarray(0, 9)]).toEqual([0, 0, 11, 7, 0, 0, 0, 0, 0]);
    expect(frame.readUInt32BE(9)).toBe(0);
    expect(frame.readUInt32BE(13)).toBe(HTTP2_INADEQUATE_SECURITY);
    expect(frame.subarray(17).toString()).toBe('why');
  });
});
