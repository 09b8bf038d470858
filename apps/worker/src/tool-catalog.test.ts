import { WorkerCliError } from './errors';
import { expandToolImages, workerCatalog } from './tool-catalog';

describe('tool images', () => {
  const tools = ['file_read', 'grep', 'fetch_url'];

  it('applies * to every tool without its own entry', () => {
    expect(expandToolImages({ '*': 'busy:1', fetch_url: 'curl:1' }, tools)).toEqual({
      file_read: 'busy:1',
      grep: 'busy:1',
      fetch_url: 'curl:1',
    });
    expect(expandToolImages({}, tools)).toEqual({});
  });

  it('refuses an unknown tool name, naming the source', () => {
    let error: unknown;
    try {
      expandToolImages({ grpe: 'x:1' }, tools, 'WORKER_TOOL_IMAGE');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WorkerCliError);
    expect((error as WorkerCliError).message).toMatch(/^WORKER_TOOL_IMAGE: unknown tool "grpe"/);
  });

  it('builds the catalog with the overrides', () => {
    const { catalog } = workerCatalog({ '*': 'busy:1', fetch_url: 'curl:1' });
    expect(catalog.get('grep').image).toBe('busy:1');
    expect(catalog.get('fetch_url').image).toBe('curl:1');
  });
});
