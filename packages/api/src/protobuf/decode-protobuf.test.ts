import { decodeProtobufObject, ProtobufError } from './decode-protobuf';

// A tiny protobuf writer for the test: length-delimited fields and varints.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
};
const bytes = (field: number, value: Buffer | string) => {
  const b = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
};
const int = (field: number, value: number) => Buffer.concat([varint(field << 3), varint(value)]);
const msg = (...parts: Buffer[]) => Buffer.concat(parts);
const doc = (apiVersion: string, kind: string, raw: Buffer) => Buffer.concat([Buffer.from('k8s\0'), bytes(1, msg(bytes(1, apiVersion), bytes(2, kind))), bytes(2, raw)]);

describe('Kubernetes protobuf bodies', () => {
  it('decodes a Deployment as kubectl create deployment sends it, zero-valued fields left out', () => {
    const labels = bytes(11, msg(bytes(1, 'app'), bytes(2, 'web')));
    const meta = msg(bytes(1, 'web'), bytes(2, ''), bytes(8, msg()), labels);
    const container = msg(bytes(1, 'nginx'), bytes(2, 'nginx:1'), bytes(6, msg(int(2, 0), int(3, 80), bytes(4, 'TCP'))), bytes(8, msg()));
    const spec = msg(int(1, 0), bytes(2, msg(bytes(1, msg(bytes(1, 'app'), bytes(2, 'web'))))), bytes(3, msg(bytes(1, labels), bytes(2, msg(bytes(2, container))))), bytes(4, msg()));
    const obj = decodeProtobufObject(doc('apps/v1', 'Deployment', msg(bytes(1, meta), bytes(2, spec), bytes(3, msg()))));
    expect(obj).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0, // a pointer field: its zero is kept
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
      },
    });
  });

  it('reads int-or-string ports, negative numbers and secret bytes', () => {
    const port = msg(bytes(1, 'http'), int(3, 80), bytes(4, msg(int(1, 1), bytes(3, 'web'))));
    const svc = decodeProtobufObject(doc('v1', 'Service', msg(bytes(1, bytes(1, 's')), bytes(2, msg(bytes(1, port), bytes(4, 'ClusterIP'))))));
    expect(svc.spec).toEqual({ ports: [{ name: 'http', port: 80, targetPort: 'web' }], type: 'ClusterIP' });
    const secret = decodeProtobufObject(doc('v1', 'Secret', msg(bytes(1, bytes(1, 'pw')), bytes(2, msg(bytes(1, 'k'), bytes(2, Buffer.from([0, 255])))))));
    expect(secret.data).toEqual({ k: 'AP8=' });
    const ns = decodeProtobufObject(doc('v1', 'Deployment', msg(bytes(2, msg(int(5, -1))))));
    expect(ns.spec).toEqual({ minReadySeconds: -1 });
  });

  it('refuses what it cannot read, saying why', () => {
    expect(() => decodeProtobufObject(Buffer.from('{"kind":"Pod"}'))).toThrow(/no "k8s\\0" prefix/);
    expect(() => decodeProtobufObject(doc('v1', 'Pod', msg()))).toThrow(/kind "Pod" must be sent as JSON/);
    expect(() => decodeProtobufObject(doc('v1', 'Namespace', Buffer.from([0x0a, 0x05, 0x01])))).toThrow(ProtobufError);
    expect(() => decodeProtobufObject(doc('v1', 'Namespace', Buffer.from([0x0b])))).toThrow(/unsupported wire type 3/);
    // autoscaling/v2's spec numbers its fields differently: not read as v1.
    expect(() => decodeProtobufObject(doc('autoscaling/v2', 'HorizontalPodAutoscaler', msg()))).toThrow(/decoded for autoscaling\/v1; autoscaling\/v2 must be sent as JSON/);
  });

  it('decodes an autoscaling/v1 HorizontalPodAutoscaler as kubectl autoscale sends it, status left out', () => {
    const ref = msg(bytes(1, 'Deployment'), bytes(2, 'web'), bytes(3, 'apps/v1'));
    const spec = msg(bytes(1, ref), int(2, 1), int(3, 4), int(4, 50));
    const hpa = decodeProtobufObject(doc('autoscaling/v1', 'HorizontalPodAutoscaler', msg(bytes(1, bytes(1, 'web')), bytes(2, spec), bytes(3, msg(int(2, 0), int(3, 0))))));
    expect(hpa).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 50 },
    });
  });
});
