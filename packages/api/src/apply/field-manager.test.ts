import { managerOf } from './field-manager';

describe('the manager of a write', () => {
  it('is ?fieldManager, else the User-Agent up to its first "/", else unknown', () => {
    expect(managerOf('kubectl-edit', 'kubectl/v1.32.4 (linux/amd64)')).toBe('kubectl-edit');
    expect(managerOf(undefined, 'kubectl/v1.32.4 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(managerOf(undefined, undefined)).toBe('unknown');
  });

  it('refuses a fieldManager that is empty, too long or not printable, naming the parameter', () => {
    for (const bad of ['', 'm'.repeat(129), 'tab\there']) {
      expect(() => managerOf(bad, undefined)).toThrow(expect.objectContaining({ code: 400, details: { causes: [expect.objectContaining({ field: 'fieldManager' })] } }));
    }
  });
});
