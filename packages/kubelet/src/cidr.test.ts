import { gatewayOf, hostAddress, parseCidr } from './cidr';

describe('cidr', () => {
  it('finds the gateway and host addresses of a pod CIDR', () => {
    expect(gatewayOf('172.30.11.0/24')).toBe('172.30.11.1');
    expect(hostAddress('172.30.11.0/24', 2)).toBe('172.30.11.2');
    expect(gatewayOf('10.1.2.77/16')).toBe('10.1.0.1');
  });

  it('rejects malformed CIDRs', () => {
    expect(() => parseCidr('172.30.11.0')).toThrow(/invalid CIDR/);
    expect(() => parseCidr('300.1.1.0/24')).toThrow(/invalid CIDR/);
    expect(() => parseCidr('1.1.1.0/33')).toThrow(/invalid CIDR/);
  });
});
