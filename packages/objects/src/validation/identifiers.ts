// Format rules for names, label keys and values, port names and the like. Each returns a short
// reason when the value is bad, undefined when it is fine.
import net from 'node:net';

const MAX_NAME = 253;
// As lenient as the seed: `redisSlaveController`, `redis-master-2`, a UUID; no spaces, `/`, `_`.
const OBJECT_NAME = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
// DNS-label-ish, but upper case allowed like the object names.
const CONTAINER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
const PORT_NAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function objectNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > MAX_NAME) return `must be at most ${MAX_NAME} characters`;
  if (!OBJECT_NAME.test(name)) return 'must consist of letters, digits, "-" and ".", and start and end with a letter or digit';
  return undefined;
}

/** A generateName is a name prefix: same characters, but it may end with `-` or `.`. */
export function generateNameProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_NAME - 5) return `must be at most ${MAX_NAME - 5} characters`;
  if (!/^[A-Za-z0-9][-A-Za-z0-9.]*$/.test(prefix)) return 'must consist of letters, digits, "-" and ".", and start with a letter or digit';
  return undefined;
}

export function namespaceProblem(ns: string): string | undefined {
  if (ns === '') return 'must not be empty';
  if (ns.length > 63) return 'must be at most 63 characters';
  if (!DNS_LABEL.test(ns)) return 'must be lower-case letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

/** Label and annotation keys: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix === '' || prefix.length > MAX_NAME || !DNS_SUBDOMAIN.test(prefix)) {
      return `invalid key ${JSON.stringify(key)}: the prefix must be a lower-case DNS subdomain`;
    }
  }
  if (name === '') return `invalid key ${JSON.stringify(key)}: the name must not be empty`;
  if (name.length > 63) return `invalid key ${JSON.stringify(key)}: the name must be at most 63 characters`;
  if (!LABEL_NAME.test(name)) {
    return `invalid key ${JSON.stringify(key)}: letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Label values as v1beta1 clients wrote them in 2014 (the guestbook's `uses: redisslave,redis-master`):
 * free text of at most 63 characters without control characters. The store keeps these; v1 clients
 * are held to labelValueProblem by their codec.
 */
export function legacyLabelValueProblem(key: string, value: string): string | undefined {
  if (value.length > 63) return `invalid value for ${JSON.stringify(key)}: must be at most 63 characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return `invalid value for ${JSON.stringify(key)}: must not contain control characters`;
  return undefined;
}

/** Label values of v1 (Kubernetes' rule since 2015): a name-like token, so that every value can be written in a selector. */
export function labelValueProblem(key: string, value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `invalid value for ${JSON.stringify(key)}: must be at most 63 characters`;
  if (!LABEL_NAME.test(value)) {
    return `invalid value for ${JSON.stringify(key)}: letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

export function containerNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > 63) return 'must be at most 63 characters';
  if (!CONTAINER_NAME.test(name)) return 'must be letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

/** Port names are what services and probes refer to: short, with at least one letter (so never a number). */
export function portNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > 15) return 'must be at most 15 characters';
  if (!PORT_NAME.test(name) || !/[A-Za-z]/.test(name)) {
    return 'must be letters, digits and "-" with at least one letter, starting and ending with a letter or digit';
  }
  return undefined;
}

/** A service's (and so an endpoints') port name is a DNS label, as in Kubernetes: `80-8080` is one (kubectl create service names ports so). */
export function servicePortNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > 63) return 'must be at most 63 characters';
  if (!DNS_LABEL.test(name)) return 'must be lowercase letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

export function portNumberProblem(port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'must be between 1 and 65535';
  return undefined;
}

/** A port given as a number or as the name of a container port. */
export function intOrNamedPortProblem(port: number | string): string | undefined {
  return typeof port === 'number' ? portNumberProblem(port) : portNameProblem(port);
}

export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) return 'must be a C identifier (letters, digits and "_", not starting with a digit)';
  return undefined;
}

export function ipProblem(ip: string): string | undefined {
  return net.isIP(ip) ? undefined : 'must be an IP address';
}

export function cidrProblem(cidr: string): string | undefined {
  const m = /^(.+)\/([0-9]{1,3})$/.exec(cidr);
  if (!m) return 'must be a CIDR like 172.30.1.0/24';
  const family = net.isIP(m[1]);
  const bits = Number(m[2]);
  if (!family || bits > (family === 4 ? 32 : 128)) return 'must be a CIDR like 172.30.1.0/24';
  return undefined;
}
