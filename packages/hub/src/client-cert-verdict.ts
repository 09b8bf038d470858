/**
 * Mutual TLS, decided after the handshake: Node's TLS server only tells a refused client "socket hang
 * up" (it verifies the peer after the handshake and then just destroys the socket), so neither side
 * would learn why. The hub instead completes the handshake, judges the client certificate here, logs
 * the reason, and tells the client in an HTTP/2 GOAWAY frame (INADEQUATE_SECURITY, the reason as its
 * debug data) before closing; no RPC is ever served on such a connection.
 */

/** Why a client certificate was refused; stable, logged as `code`. */
export type ClientCertRefusalCode =
  'NO_CLIENT_CERT' | 'UNTRUSTED_CERT' | 'CERT_EXPIRED' | 'CERT_NOT_YET_VALID' | 'CERT_REFUSED';

export type ClientCertVerdict =
  | { accepted: true; subject: string }
  | { accepted: false; code: ClientCertRefusalCode; subject: string; reason: string };

/** What a TLS socket knows about its peer once the handshake is done (a subset of `tls.TLSSocket`). */
export interface PeerCertificateState {
  authorized: boolean;
  /** OpenSSL's verification error code, e.g. `CERT_HAS_EXPIRED`; empty or undefined when authorized. */
  authorizationError?: string | Error | null;
  /** `getPeerCertificate()`: `{}` when the peer sent none. */
  peerCertificate: { subject?: Record<string, unknown> | null; valid_from?: string; valid_to?: string } | null;
}

/** Verification errors that mean "not signed by a CA in --tls-ca". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

function subjectText(cert: PeerCertificateState['peerCertificate']): string {
  const subject = cert?.subject;
  if (!subject) return '';
  return Object.entries(subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

/** Judges the client certificate of a finished handshake on a server that requires one. */
export function clientCertVerdict(state: PeerCertificateState): ClientCertVerdict {
  const cert = state.peerCertificate;
  const subject = subjectText(cert);
  const sent = cert !== null && Object.keys(cert).length > 0;
  if (!sent)
    return {
      accepted: false,
      code: 'NO_CLIENT_CERT',
      subject,
      reason: 'the client sent no certificate (mutual TLS: a worker needs --tls-cert and --tls-key)',
    };
  if (state.authorized) return { accepted: true, subject };
  const raw = state.authorizationError;
  const error = raw instanceof Error ? ((raw as { code?: string }).code ?? raw.message) : (raw ?? '');
  const who = `client certificate ${subject || '(no subject)'}`;
  if (error === 'CERT_HAS_EXPIRED')
    return {
      accepted: false,
      code: 'CERT_EXPIRED',
      subject,
      reason: `${who} expired on ${cert.valid_to ?? '(unknown)'} (CERT_HAS_EXPIRED)`,
    };
  if (error === 'CERT_NOT_YET_VALID')
    return {
      accepted: false,
      code: 'CERT_NOT_YET_VALID',
      subject,
      reason: `${who} is not valid before ${cert.valid_from ?? '(unknown)'} (CERT_NOT_YET_VALID)`,
    };
  if (UNTRUSTED.has(error))
    return {
      accepted: false,
      code: 'UNTRUSTED_CERT',
      subject,
      reason: `${who} is not signed by a CA in the orchestrator's --tls-ca (${error})`,
    };
  return { accepted: false, code: 'CERT_REFUSED', subject, reason: `${who} was refused (${error || 'unverified'})` };
}

/** HTTP/2 error code INADEQUATE_SECURITY (RFC 9113, section 7). */
export const HTTP2_INADEQUATE_SECURITY = 0xc;

/** An HTTP/2 GOAWAY frame (last stream 0) carrying `debug` as its UTF-8 debug data. */
export function goawayFrame(debug: string, errorCode = HTTP2_INADEQUATE_SECURITY): Buffer {
  const data = Buffer.from(debug, 'utf8');
  const frame = Buffer.alloc(9 + 8 + data.length);
  frame.writeUIntBE(8 + data.length, 0, 3);
  frame.writeUInt8(0x7, 3);
  frame.writeUInt8(0, 4);
  frame.writeUInt32BE(0, 5);
  frame.writeUInt32BE(0, 9);
  frame.writeUInt32BE(errorCode, 13);
  data.copy(frame, 17);
  return frame;
}
