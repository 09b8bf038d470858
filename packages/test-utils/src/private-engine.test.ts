import { ENGINE_PROGRAMS, findProgram, privateEngineProblem } from './private-engine';

describe('privateEngineProblem', () => {
  const all = (): string => '/usr/sbin/x';

  it('refuses when not root, naming the uid', () => {
    expect(privateEngineProblem({ uid: 1000, find: all })).toMatchObject({
      code: 'NOT_ROOT',
      message: 'dockerd must run as root (this process runs as uid 1000)',
    });
  });

  it('names every missing program and how to install them', () => {
    const problem = privateEngineProblem({ uid: 0, find: (p) => (p === 'runc' ? '/usr/sbin/runc' : undefined) });
    expect(problem).toMatchObject({ code: 'NO_BINARY', name: 'PrivateEngineError' });
    expect(problem?.message).toMatch(/^dockerd, containerd not found on PATH .*apt-get install docker.io\)$/);
  });

  it('has no problem as root with every program', () => {
    expect(privateEngineProblem({ uid: 0, find: all })).toBeUndefined();
    expect(ENGINE_PROGRAMS).toEqual(['dockerd', 'containerd', 'runc']);
  });
});

describe('findProgram', () => {
  it('finds a program on PATH and not a missing one', () => {
    expect(findProgram('sh', { PATH: '/bin' })).toMatch(/\/sh$/);
    expect(findProgram('baaaht-no-such-program', { PATH: '/bin' })).toBeUndefined();
  });
});
