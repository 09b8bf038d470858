import { ExecutorError, dockerError } from './errors';

describe('dockerError', () => {
  const sys = (code: string, message: string): Error => Object.assign(new Error(message), { code });

  it('says the engine went away when the connection was lost, keeping the original text', () => {
    expect(dockerError('waiting for container', sys('EPIPE', 'write EPIPE')).message).toBe(
      'waiting for container: write EPIPE (the Docker engine closed the connection)',
    );
    expect(dockerError('creating container', sys('ECONNREFUSED', 'connect ECONNREFUSED /x.sock')).message).toBe(
      'creating container: connect ECONNREFUSED /x.sock (the Docker engine refused the connection)',
    );
    expect(dockerError('waiting for container', new Error('socket hang up')).message).toBe(
      'waiting for container: socket hang up (the Docker engine closed the connection)',
    );
  });

  it('keeps other errors as they are, with their status and code', () => {
    const notFound = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    const e = dockerError('inspecting', notFound, { taskId: 't' });
    expect(e).toBeInstanceOf(ExecutorError);
    expect(e).toMatchObject({
      code: 'DOCKER_ERROR',
      message: 'inspecting: (HTTP code 404) no such container',
      taskId: 't',
    });
    expect(dockerError('x', sys('ECONNRESET', 'wait a: the engine closed the connection (ECONNRESET)')).message).toBe(
      'x: wait a: the engine closed the connection (ECONNRESET)',
    );
  });
});
