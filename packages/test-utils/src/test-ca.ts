/**
 * Certificates for TLS tests, made by the openssl CLI: a test CA and the server and client certificates
 * it signs (EC P-256, a day long, or expired: valid only in January 2020). `openssl ca` signs every leaf,
 * because only it can set an arbitrary validity window. Needs `openssl` on the PATH.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface LeafOptions {
  /** DNS names and IP addresses the certificate is valid for. @default [] */
  dns?: string[];
  ips?: string[];
  /** serverAuth (the hub) or clientAuth (workers, operators). */
  usage: 'server' | 'client';
  /** Valid only during January 1-2, 2020. @default false */
  expired?: boolean;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA in a directory of its own (`parent/name/`): its certificate, key and `openssl ca` database. */
export class TestCa {
  readonly cert: string;
  private readonly key: string;

  private constructor(
    private readonly dir: string,
    readonly name: string,
  ) {
    this.cert = path.join(dir, 'ca.crt');
    this.key = path.join(dir, 'ca.key');
  }

  /** A self-signed CA under `parent/name/`. */
  static create(parent: string, name: string): TestCa {
    const dir = path.join(parent, name);
    fs.mkdirSync(path.join(dir, 'db'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'db', 'index.txt'), '');
    fs.writeFileSync(path.join(dir, 'db', 'serial'), '1000\n');
    const ca = new TestCa(dir, name);
    // prettier-ignore
    openssl(['req', '-x509', ...EC, '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    return ca;
  }

  /** A key and a certificate for `/CN=name` signed by this CA. */
  issue(name: string, options: LeafOptions): CertFiles {
    const cert = path.join(this.dir, `${name}.crt`);
    const key = path.join(this.dir, `${name}.key`);
    const csr = path.join(this.dir, `${name}.csr`);
    const config = path.join(this.dir, `${name}.cnf`);
    const san = [...(options.dns ?? []).map((d) => `DNS:${d}`), ...(options.ips ?? []).map((i) => `IP:${i}`)];
    fs.writeFileSync(
      config,
      [
        '[ca]',
        'default_ca = test',
        '[test]',
        `database = ${path.join(this.dir, 'db', 'index.txt')}`,
        `serial = ${path.join(this.dir, 'db', 'serial')}`,
        `new_certs_dir = ${path.join(this.dir, 'db')}`,
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'email_in_dn = no',
        '[any]',
        'commonName = supplied',
        '[leaf]',
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature',
        `extendedKeyUsage = ${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
        ...(san.length > 0 ? [`subjectAltName = ${san.join(',')}`] : []),
        '',
      ].join('\n'),
    );
    openssl(['req', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], this.dir);
    const validity = options.expired
      ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']
      : ['-days', '1'];
    // prettier-ignore
    openssl(['ca', '-batch', '-notext', '-config', config, '-extensions', 'leaf', '-cert', this.cert, '-keyfile', this.key,
      '-in', csr, '-out', cert, ...validity], this.dir);
    return { cert, key };
  }
}
