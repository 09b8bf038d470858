/** The TLS flags of `orchestrator` commands: files checked up front, named by their flag when missing. */
import fs from 'node:fs';
import type { HubClientOptions } from '@baaaht/hub';
import type { ParsedCommand } from '../args';
import { stringValue } from '../args';
import { configError, usageError } from '../errors';

/** Each file given must exist; a missing one is a config error (exit 2) naming its flag. */
export function assertFilesExist(files: readonly (readonly [flag: string, file: string | undefined])[]): void {
  for (const [flag, file] of files) {
    if (file !== undefined && !fs.existsSync(file)) throw configError(flag, `no such file: ${file}`);
  }
}

/** A client command's `--tls-ca`/`--tls-cert`/`--tls-key`/`--tls-server-name` (CLIENT_TLS_FLAGS); none: plaintext. */
export function clientTls(parsed: ParsedCommand): HubClientOptions['tls'] {
  const value = (flag: string): string | undefined => stringValue(parsed.values, flag);
  const [caFile, certFile, keyFile, serverName] = ['tls-ca', 'tls-cert', 'tls-key', 'tls-server-name'].map(value);
  if (caFile === undefined && certFile === undefined && keyFile === undefined && serverName === undefined)
    return undefined;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw usageError('--tls-cert and --tls-key go together', certFile === undefined ? '--tls-cert' : '--tls-key');
  assertFilesExist([
    ['--tls-ca', caFile],
    ['--tls-cert', certFile],
    ['--tls-key', keyFile],
  ]);
  return {
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
    ...(serverName !== undefined ? { serverName } : {}),
  };
}
