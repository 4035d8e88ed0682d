import type { Service } from '@coxswain/objects';
import { v1Codec } from './v1-codec';

const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'redismaster' }, spec: { ports: [{ port: 10000, targetPort: 6379 }] } };

describe('v1 codec', () => {
  it('validates with the internal schema, filling in apiVersion and kind', () => {
    expect(v1Codec.validate('services', svc)).toEqual([]);
    const { apiVersion: _a, kind: _k, ...bare } = svc;
    expect(v1Codec.validate('services', bare)).toEqual([]);
    expect(v1Codec.validate('services', { ...svc, spec: { ports: [{ port: '80' }] } })).toEqual([{ field: 'spec.ports[0].port', message: 'must be an integer' }]);
    expect(v1Codec.validate('services', { ...svc, kind: 'Pod' })).toEqual([{ field: 'kind', message: 'must be "Service"' }]);
  });

  it('decodes to a private copy and encodes as-is', () => {
    const { apiVersion: _a, kind: _k, ...bare } = svc;
    const decoded = v1Codec.decode('services', bare) as Service;
    expect(decoded).toEqual(svc);
    decoded.spec.ports[0].port = 1;
    expect(bare.spec.ports[0].port).toBe(10000);
    expect(v1Codec.encode(svc)).toBe(svc);
    expect(v1Codec.encode({ ...svc, apiVersion: 'internal' })).toEqual(svc);
  });

  it('keeps internal paths and reads metadata.name', () => {
    expect(v1Codec.fieldPath('pods', 'spec.containers[0].image')).toBe('spec.containers[0].image');
    expect(v1Codec.nameOf(svc)).toBe('redismaster');
    expect(v1Codec.nameOf({ id: 'x' })).toBeUndefined();
  });
});
