import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommand } from './args';
import { resolveWorkerConfig } from './config';
import { doctorCommand } from './commands/doctor-command';
import { offlineImageFlags, offlineToolImages } from './offline-images';

const FILE = 'baaaht/tools-busybox:offline';
const WEB = 'baaaht/tools-web:offline';

const homes: string[] = [];
function home(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-offline-'));
  homes.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}
afterAll(() => {
  for (const dir of homes) fs.rmSync(dir, { recursive: true, force: true });
});

function resolve(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseCommand(doctorCommand, argv);
  return resolveWorkerConfig({ flags: parsed.values, env: { HOME: home(), ...env }, hostname: 'box' });
}

describe('--offline-images', () => {
  it('is a switch: file tools on busybox, web tools on the web image, pull policy never', () => {
    const { config, sources } = resolve(['--offline-images']);
    expect(config.offlineImages).toBe(true);
    expect(config.pullPolicy).toBe('never');
    expect(config.toolImages).toEqual({
      file_read: FILE,
      file_write: FILE,
      file_edit: FILE,
      grep: FILE,
      find: FILE,
      list: FILE,
      web_search: WEB,
      fetch_url: WEB,
      exec: FILE,
    });
    expect(sources.toolImages).toBe('--offline-images');
    expect(sources.pullPolicy).toBe('--offline-images');
  });

  it('a --tool-image of the operator wins, and so does an explicit pull policy', () => {
    const { config, sources } = resolve([
      '--offline-images',
      '--tool-image',
      'fetch_url=my/curl:1',
      '--pull-policy',
      'if-missing',
    ]);
    expect(config.toolImages['fetch_url']).toBe('my/curl:1');
    expect(config.toolImages['web_search']).toBe(WEB);
    expect(config.pullPolicy).toBe('if-missing');
    expect(sources.pullPolicy).toBe('--pull-policy');
    const all = resolve(['--offline-images', '--tool-image', '*=my/all:1']).config.toolImages;
    expect(all).toEqual({ '*': 'my/all:1' });
  });

  it('is also WORKER_OFFLINE_IMAGES and the config key offline_images; off by default', () => {
    expect(resolve([]).config).toMatchObject({ offlineImages: false, pullPolicy: 'if-missing', toolImages: {} });
    const byEnv = resolve([], { WORKER_OFFLINE_IMAGES: '1' });
    expect(byEnv.config.toolImages['grep']).toBe(FILE);
    expect(byEnv.sources.toolImages).toBe('WORKER_OFFLINE_IMAGES');
    const h = home({ '.config/baaaht/config.yaml': 'offline_images: true\n' });
    const byFile = resolveWorkerConfig({ env: { HOME: h }, hostname: 'box' });
    expect(byFile.config.pullPolicy).toBe('never');
    expect(byFile.sources.pullPolicy).toBe('config.yaml: offline_images');
    expect(() => resolve([], { WORKER_OFFLINE_IMAGES: 'maybe' })).toThrow(
      /WORKER_OFFLINE_IMAGES: invalid boolean "maybe"/,
    );
  });

  it('follows the build script when it builds under other names (BAAAHT_BUSYBOX_IMAGE, BAAAHT_CURL_IMAGE)', () => {
    const env = { BAAAHT_BUSYBOX_IMAGE: 'x/bb:1', BAAAHT_CURL_IMAGE: 'x/web:1' };
    expect(offlineToolImages(env)).toMatchObject({ list: 'x/bb:1', fetch_url: 'x/web:1' });
    expect(offlineImageFlags(env)).toContain('grep=x/bb:1');
    expect(resolve(['--offline-images'], env).config.toolImages['web_search']).toBe('x/web:1');
  });
});
