import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import { classifyHost } from '@baaaht/policy';
import { quietLogger } from './logger';
import type { Logger } from './logger';
import type { EgressDecision, EgressRequest } from './policy-enforcer';

/** One decision the proxy took, as logged and counted. */
export interface EgressDecisionEvent extends EgressDecision {
  host: string;
  port: number;
  /** Absent for the by-name check that precedes resolution. */
  address?: string;
}

export interface EgressProxyOptions {
  /** Path of the Unix socket to listen on (its directory must exist). */
  socketPath: string;
  /** Decides every connection, first by name (`address` absent) then per resolved address. */
  check(request: EgressRequest): EgressDecision | Promise<EgressDecision>;
  /** Fixed fields passed to `check` and the log (taskId, tool, sessionId). */
  context?: Pick<EgressRequest, 'taskId' | 'tool' | 'sessionId'>;
  onDecision?(event: EgressDecisionEvent): void;
  logger?: Logger;
  /**
   * Name resolution; all addresses. Only host names reach it (IP literals in any spelling are
   * classified, not resolved). Inject it to test without DNS.
   * @default dns.promises.lookup with `all: true, verbatim: true`
   */
  lookup?(host: string): Promise<Array<{ address: string; family: number }>>;
  /**
   * Opens the upstream connection to an address that passed the check; the only place a packet leaves.
   * Inject it to record or fake connections in tests.
   * @default net.connect({ host: address, port })
   */
  connect?(address: string, port: number): net.Socket;
  /** Concurrent client connections. @default 16 */
  maxConnections?: number;
  /** Time allowed for the SOCKS handshake and for each upstream connect. @default 10000 */
  handshakeTimeoutMs?: number;
}

// SOCKS5 (RFC 1928) constants.
const VER = 0x05;
const CMD_CONNECT = 0x01;
const ATYP_V4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_V6 = 0x04;
const REP = {
  ok: 0x00,
  failure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  refused: 0x05,
  commandNotSupported: 0x07,
  atypNotSupported: 0x08,
} as const;

const defaultLookup = (host: string): Promise<Array<{ address: string; family: number }>> =>
  dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * A SOCKS5 server (no auth, CONNECT only) on a Unix socket: the only way out for a web tool's container.
 * It resolves names itself and connects only to an address that `check` allowed, so a name that resolves
 * to a private address, or a redirect to one, is refused before any packet leaves for it.
 */
export class EgressProxy {
  private readonly clients = new Set<net.Socket>();
  /**
   * - `listening`: accepting and relaying connections (from `listen()` on);
   * - `closed`: the socket is gone, every connection was cut, a late connection is destroyed at once.
   */
  private state: 'listening' | 'closed' = 'listening';

  private constructor(
    private readonly server: net.Server,
    private readonly options: EgressProxyOptions,
    private readonly logger: Logger,
  ) {}

  static async listen(options: EgressProxyOptions): Promise<EgressProxy> {
    const server = net.createServer();
    server.maxConnections = options.maxConnections ?? 16;
    const proxy = new EgressProxy(server, options, options.logger ?? quietLogger);
    server.on('connection', (socket) => proxy.handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Tools run as an unprivileged uid; the socket's directory is what keeps other host users out.
    fs.chmodSync(options.socketPath, 0o666);
    return proxy;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Stops listening and cuts every open connection. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.options.socketPath, { force: true });
  }

  private handle(client: net.Socket): void {
    if (this.state === 'closed') {
      client.destroy();
      return;
    }
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    client.on('error', () => client.destroy());
    const timeoutMs = this.options.handshakeTimeoutMs ?? 10_000;
    client.setTimeout(timeoutMs, () => client.destroy());
    this.handshake(client).catch((err: unknown) => {
      this.logger.warn('egress: connection failed', { ...this.options.context, error: String(err) });
      client.destroy();
    });
  }

  private async handshake(client: net.Socket): Promise<void> {
    const reader = new SocketReader(client);
    const [ver, nMethods] = await reader.read(2);
    if (ver !== VER) return void client.destroy();
    const methods = await reader.read(nMethods as number);
    if (!methods.includes(0x00)) {
      client.end(Buffer.from([VER, 0xff]));
      return;
    }
    client.write(Buffer.from([VER, 0x00]));
    const [v, cmd, , atyp] = await reader.read(4);
    if (v !== VER) return void client.destroy();
    let host: string;
    if (atyp === ATYP_V4) host = [...(await reader.read(4))].join('.');
    else if (atyp === ATYP_V6) host = formatV6(await reader.read(16));
    else if (atyp === ATYP_DOMAIN) {
      const [len] = await reader.read(1);
      host = (await reader.read(len as number)).toString('latin1').toLowerCase();
    } else return this.reply(client, REP.atypNotSupported);
    const portBytes = await reader.read(2);
    const port = portBytes.readUInt16BE(0);
    if (cmd !== CMD_CONNECT) return this.reply(client, REP.commandNotSupported);
    if (host === '' || host.includes('\0')) return this.reply(client, REP.hostUnreachable);
    const upstream = await this.decideAndConnect(host, port);
    if (typeof upstream === 'number') return this.reply(client, upstream);
    if (this.state === 'closed' || client.destroyed) {
      upstream.destroy();
      return;
    }
    client.setTimeout(0);
    this.clients.add(upstream);
    upstream.on('close', () => this.clients.delete(upstream));
    client.write(Buffer.from([VER, REP.ok, 0x00, ATYP_V4, 0, 0, 0, 0, 0, 0]));
    const rest = reader.detach();
    if (rest.length > 0) upstream.write(rest);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }

  private reply(client: net.Socket, rep: number): void {
    client.end(Buffer.from([VER, rep, 0x00, ATYP_V4, 0, 0, 0, 0, 0, 0]));
  }

  private async decide(request: EgressRequest): Promise<EgressDecision> {
    let decision: EgressDecision;
    try {
      decision = await this.options.check({ ...this.options.context, ...request });
    } catch (err) {
      // A failing policy must not open the door.
      decision = {
        allowed: false,
        rule: 'egress.check_failed',
        reason: err instanceof Error ? err.message : String(err),
      };
    }
    const event: EgressDecisionEvent = { ...decision, host: request.host, port: request.port };
    if (request.address !== undefined) event.address = request.address;
    this.options.onDecision?.(event);
    return decision;
  }

  /**
   * The one log line of a connection: the decision that settled it (the refusal, or the
   * allowance of the address actually dialled) with its rule and matching entry, e.g.
   * `egress allowed` `by="network.allowed_networks 127.0.0.0/8"`.
   */
  private logDecision(request: EgressRequest, decision: EgressDecision, extra: Record<string, unknown> = {}): void {
    const meta = {
      ...this.options.context,
      host: request.host,
      port: request.port,
      address: request.address,
      by: decision.match === undefined ? decision.rule : `${decision.rule} ${decision.match}`,
      rule: decision.rule,
      reason: decision.reason,
      ...extra,
    };
    if (decision.allowed) this.logger.info('egress allowed', meta);
    else this.logger.warn('egress denied', meta);
  }

  /** Returns a connected socket, or the SOCKS reply code to refuse with. */
  private async decideAndConnect(host: string, port: number): Promise<net.Socket | number> {
    const byName = await this.decide({ host, port });
    if (!byName.allowed) {
      this.logDecision({ host, port }, byName);
      return REP.notAllowed;
    }
    const verdict = classifyHost(host);
    // An IP literal in any spelling (`0x7f.1`, `[::1]`) is dialled as the address it denotes, never
    // handed to the resolver, whose reading of odd spellings may differ from the check's.
    if (verdict.kind === 'invalid') return REP.notAllowed;
    let addresses: string[];
    if (verdict.kind === 'address') addresses = [verdict.address];
    else {
      try {
        addresses = (await (this.options.lookup ?? defaultLookup)(verdict.name)).map((a) => a.address);
      } catch (err) {
        this.logger.info('egress: name did not resolve', { ...this.options.context, host, error: String(err) });
        return REP.hostUnreachable;
      }
    }
    const allowed: Array<{ address: string; decision: EgressDecision }> = [];
    let refused: { address: string; decision: EgressDecision } | undefined;
    for (const address of addresses) {
      const decision = await this.decide({ host, port, address });
      if (decision.allowed) allowed.push({ address, decision });
      else refused ??= { address, decision };
    }
    if (allowed.length === 0) {
      if (refused) this.logDecision({ host, port, address: refused.address }, refused.decision);
      return REP.notAllowed;
    }
    for (const { address, decision } of allowed) {
      if (this.state === 'closed') return REP.failure;
      const socket = await this.connectOne(address, port);
      if (socket !== undefined) {
        this.logDecision({ host, port, address }, decision);
        return socket;
      }
    }
    const first = allowed[0] as { address: string; decision: EgressDecision };
    this.logDecision({ host, port, address: first.address }, first.decision, { upstream: 'unreachable' });
    return REP.refused;
  }

  private connectOne(address: string, port: number): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
      const socket = (this.options.connect ?? ((a: string, p: number) => net.connect({ host: a, port: p })))(
        address,
        port,
      );
      const timeout = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, this.options.handshakeTimeoutMs ?? 10_000);
      timeout.unref();
      socket.once('connect', () => {
        clearTimeout(timeout);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timeout);
        this.logger.info('egress: upstream connect failed', {
          ...this.options.context,
          address,
          port,
          error: err.message,
        });
        resolve(undefined);
      });
    });
  }
}

function formatV6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Reads exact byte counts from a socket during the handshake, keeping whatever arrives early. */
class SocketReader {
  private buffered = Buffer.alloc(0);
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    // A handshake is at most ~300 bytes; anything larger before CONNECT is answered is abuse.
    if (this.buffered.length > 64 * 1024) this.socket.destroy();
    this.pump();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.pump();
  };

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.pump();
    });
  }

  /** Stops reading; returns bytes that arrived past the handshake (the start of the tunnelled stream). */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  private pump(): void {
    const w = this.waiter;
    if (w === undefined) return;
    if (this.buffered.length >= w.n) {
      this.waiter = undefined;
      const out = this.buffered.subarray(0, w.n);
      this.buffered = this.buffered.subarray(w.n);
      w.resolve(out);
    } else if (this.ended) {
      this.waiter = undefined;
      w.reject(new Error('client closed during the SOCKS handshake'));
    }
  }
}
