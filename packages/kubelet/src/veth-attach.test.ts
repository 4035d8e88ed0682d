// How a pod CIDR is shared between the kubelet's own attach and Docker's (for sandboxes with host
// ports): Docker keeps the last quarter, the kubelet gives the lowest free address below it.
import { dockerRangeOf, freeAddress, macOf } from './veth-attach';

describe('the pod CIDR split', () => {
  it("leaves Docker the last quarter of the subnet, and nothing to split below /28", () => {
    expect(dockerRangeOf('172.30.11.0/24')).toBe('172.30.11.192/26');
    expect(dockerRangeOf('10.244.0.0/16')).toBe('10.244.192.0/18');
    expect(dockerRangeOf('172.30.11.0/28')).toBe('172.30.11.12/30');
    expect(dockerRangeOf('172.30.11.0/29')).toBeUndefined();
  });

  it('gives the lowest free address after the gateway and before Docker\'s range', () => {
    expect(freeAddress('172.30.11.0/24', new Set())).toBe('172.30.11.2');
    expect(freeAddress('172.30.11.0/24', new Set(['172.30.11.2', '172.30.11.4']))).toBe('172.30.11.3');
    const all = new Set(Array.from({ length: 190 }, (_, i) => `172.30.11.${i + 2}`));
    expect(freeAddress('172.30.11.0/24', all)).toBeUndefined(); // .192 and up are Docker's
    all.delete('172.30.11.191');
    expect(freeAddress('172.30.11.0/24', all)).toBe('172.30.11.191');
  });

  it('makes the MAC address from the IPv4 address, as Docker does', () => {
    expect(macOf('172.30.19.2')).toBe('02:42:ac:1e:13:02');
  });
});
