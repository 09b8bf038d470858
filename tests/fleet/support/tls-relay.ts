/**
 * The operator's workstation, as a process in the operator host's namespace: a Unix socket (which the
 * test process, outside every namespace, can reach through the filesystem) relayed to the hub's TCP
 * port over mutual TLS with the operator's certificate. The test's hub client speaks plaintext HTTP/2
 * to the socket; only TLS crosses the suite's network. Run as a script:
 *
 *   tls-relay.ts SOCKET HOST:PORT CA CERT KEY SERVERNAME
 *
 * Prints `relay ready` once listening; one line on stderr per failed upstream connection.
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

function main(argv: readonly string[]): void {
  const [socketPath, target, ca, cert, key, servername] = argv;
  if (servername === undefined || socketPath === undefined || target === undefined) {
    process.stderr.write('usage: tls-relay.ts SOCKET HOST:PORT CA CERT KEY SERVERNAME\n');
    process.exit(2);
  }
  const [host = '', port = '0'] = target.split(':');
  const material = {
    ca: fs.readFileSync(ca as string),
    cert: fs.readFileSync(cert as string),
    key: fs.readFileSync(key as string),
  };
  const server = net.createServer((local) => {
    const upstream = tls.connect({ host, port: Number(port), servername, ALPNProtocols: ['h2'], ...material });
    const fail = (err: Error): void => {
      process.stderr.write(`relay: ${target}: ${err.message}\n`);
      local.destroy();
      upstream.destroy();
    };
    upstream.once('error', fail);
    local.once('error', () => upstream.destroy());
    local.pipe(upstream).pipe(local);
    local.once('close', () => upstream.destroy());
    upstream.once('close', () => local.destroy());
  });
  fs.rmSync(socketPath, { force: true });
  server.listen(socketPath, () => process.stdout.write('relay ready\n'));
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2));
