import { readFileSync } from 'node:fs';
import { connectivityState, credentials, Metadata } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { AgentServiceClient } from '@baaaht/proto';
import type { ResolvedAgentOptions, AgentTlsOptions } from './agent-options';
import { assertTrustedSocket } from './address';

function material(inline: string | Buffer | undefined, file: string | undefined): Buffer | undefined {
  if (inline !== undefined) return Buffer.isBuffer(inline) ? inline : Buffer.from(inline);
  return file === undefined ? undefined : readFileSync(file);
}

/** The PEM material of the options (files read now); cert and key come together or not at all. */
export function readTlsMaterial(tls: AgentTlsOptions): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const ca = material(tls.ca, tls.caFile);
  const key = material(tls.key, tls.keyFile);
  const cert = material(tls.cert, tls.certFile);
  if ((key === undefined) !== (cert === undefined)) throw new TypeError('tls: cert and key must be given together');
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
}

/** Channel credentials for the options: insecure for Unix sockets and plain TCP, else (m)TLS. */
export function channelCredentials(tls: AgentTlsOptions | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const { ca, key, cert } = readTlsMaterial(tls);
  return credentials.createSsl(ca ?? null, key ?? null, cert ?? null);
}

/**
 * Creates a fresh client; each connection attempt gets its own, so grpc's channel backoff never stacks on ours.
 * A Unix socket is checked first (UNTRUSTED_SOCKET), so the check runs right before every (re)connect.
 */
export function createAgentServiceClient(options: ResolvedAgentOptions): AgentServiceClient {
  if (options.parsedAddress.kind === 'unix') assertTrustedSocket(options.parsedAddress.path, options.trustedSocketUids);
  const channelOptions: ChannelOptions = {
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
    'grpc.max_send_message_length': options.maxSendMessageBytes,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.enable_retries': 0,
  };
  if (options.tls?.serverName) channelOptions['grpc.ssl_target_name_override'] = options.tls.serverName;
  return new AgentServiceClient(options.parsedAddress.target, channelCredentials(options.tls), channelOptions);
}

/** Per-call metadata: the bearer token rides on every call, also over plaintext Unix sockets. */
export function callMetadata(bearerToken: string | undefined): Metadata {
  const metadata = new Metadata();
  if (bearerToken !== undefined) metadata.set('authorization', `Bearer ${bearerToken}`);
  return metadata;
}

/**
 * Dials once: resolves when the channel is READY, rejects as soon as it
 * reports TRANSIENT_FAILURE (or at the deadline). grpc's own waitForReady
 * would keep retrying under the channel's internal backoff, hiding the
 * hub's return behind a delay our reconnect policy does not control.
 */
export function dialOnce(client: Client, deadline: number): Promise<void> {
  const channel = client.getChannel();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve();
      if (state === connectivityState.TRANSIENT_FAILURE) return reject(new Error('connection failed'));
      if (state === connectivityState.SHUTDOWN) return reject(new Error('channel closed'));
      if (Date.now() >= deadline) return reject(new Error('dial timeout'));
      channel.watchConnectivityState(state, deadline, (err) => (err ? reject(new Error('dial timeout')) : check()));
    };
    check();
  });
}
