import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createDockerClient } from '@baaaht/executor';
import type { CommandSpec, ParsedCommand } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import { envName, snakeKey } from '../config-schema';
import { WorkerCliError } from '../errors';
import { OFFLINE_BUILD_HINT, offlineImageFlags, offlineImageNames, offlineToolImages } from '../offline-images';

export const imagesCommand: CommandSpec = {
  brief: 'build the offline tool images and print the config that uses them',
  name: 'worker images',
  usage: 'worker images [--build [--force]] [--json]',
  summary:
    'Shows whether the offline tool images are present and the configuration that runs a worker on them\n' +
    '(--offline-images). --build builds them first from this host (scripts/build-offline-images.sh, as\n' +
    '`pnpm images:offline`; needs busybox-static and curl). Exits 0 when both images are present. Honours DOCKER_HOST.',
  flags: {
    build: { type: 'boolean', description: 'build the offline images first (an unchanged image is reused)' },
    force: { type: 'boolean', description: 'with --build: rebuild even when the inputs did not change' },
    json: { type: 'boolean', description: 'print {images, flags, env, configKey} as JSON' },
  },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

/** The build script of a source checkout (the worker package alone does not ship it). */
export const BUILD_SCRIPT = path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'build-offline-images.sh');

async function build(force: boolean, io: CliIo): Promise<void> {
  if (!fs.existsSync(BUILD_SCRIPT))
    throw new WorkerCliError(
      'CONFIG_INVALID',
      `the build script is not here (${BUILD_SCRIPT}): it ships with the source checkout; run \`pnpm images:offline\` there`,
    );
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, ...(force ? ['--force'] : [])], {
      env: io.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The script's own lines go to stderr: stdout is this command's report.
    child.stdout.on('data', (d: Buffer) => io.stderr.write(d));
    child.stderr.on('data', (d: Buffer) => io.stderr.write(d));
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0)
    throw new WorkerCliError(
      'DOCKER_UNAVAILABLE',
      `scripts/build-offline-images.sh exited ${code} (its output is above)`,
    );
}

/** `worker images [--build]`: builds (optionally), then reports the images and how to use them. */
export async function runImagesCommand(parsed: ParsedCommand, io: CliIo): Promise<number> {
  if (parsed.values['build'] === true) await build(parsed.values['force'] === true, io);
  const docker = createDockerClient({ env: io.env });
  const byImage = new Map<string, string[]>();
  for (const [tool, image] of Object.entries(offlineToolImages(io.env)))
    byImage.set(image, [...(byImage.get(image) ?? []), tool]);
  const images: Array<{ image: string; present: boolean; tools: string[] }> = [];
  const names = offlineImageNames(io.env);
  for (const image of [names.file, names.web]) {
    let present: boolean;
    try {
      present = await docker.imageExists(image);
    } catch (err) {
      throw new WorkerCliError(
        'DOCKER_UNAVAILABLE',
        `cannot reach the Docker engine: ${err instanceof Error ? err.message : String(err)} (try: worker doctor)`,
        { cause: err },
      );
    }
    images.push({ image, present, tools: byImage.get(image) ?? [] });
  }
  const allPresent = images.every((i) => i.present);
  const flags = ['--pull-policy', 'never', ...offlineImageFlags(io.env)];
  if (parsed.values['json'] === true) {
    const out = {
      images,
      flag: '--offline-images',
      env: `${envName('offline-images')}=1`,
      configKey: `${snakeKey('offline-images')}: true`,
      equivalentFlags: flags,
    };
    await writeOut(io.stdout, JSON.stringify(out, null, 2) + '\n');
    return allPresent ? 0 : 1;
  }
  const width = Math.max(...images.map((i) => i.image.length));
  const lines = images.map(
    (i) => `${i.image.padEnd(width)}  ${i.present ? 'present' : 'missing'}  (${i.tools.join(', ')})`,
  );
  lines.push('');
  if (!allPresent) lines.push(`missing offline images: ${OFFLINE_BUILD_HINT}`, '');
  lines.push(
    'Run a worker on them with one switch:',
    '  bin/worker --offline-images --workspace-root DIR ...',
    `  (env ${envName('offline-images')}=1, or \`${snakeKey('offline-images')}: true\` in the config file)`,
    'which stands for (a --tool-image of your own still wins):',
    `  ${flags.join(' ')}`,
  );
  await writeOut(io.stdout, lines.join('\n') + '\n');
  return allPresent ? 0 : 1;
}
