// Docker's image reference grammar (distribution/reference, as the Docker engine parses a
// `docker create` image), checked at the door so a name the runtime would refuse is a 422 naming
// `image`, not a pod stuck on its minion:
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path            (at most 255 characters)
//   domain     := host [ ":" port ]               host: DNS components, or an IPv6 address in []
//   path       := component ( "/" component )*    component: [a-z0-9]+ joined by ".", "_", "__" or "-"+
//   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//   digest     := algorithm ":" [0-9a-fA-F]{32,}  algorithm: [A-Za-z][A-Za-z0-9]* joined by + . _ -
//
// The first "/"-separated part is a domain only when it has a "." or ":", is "localhost", or has an
// upper-case letter — Docker's own rule, so `Ubuntu` is a path (refused: upper case) and
// `Registry.local/app` a domain.

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME = 255;

/** The first character outside the grammar's alphabet, for a message that names it. */
const FOREIGN = /[^A-Za-z0-9._\-/:@[\]+]/;

/** Why `image` is not a Docker image reference, in a field cause's words; undefined when it is one. */
export function imageReferenceProblem(image: string): string | undefined {
  if (image === '') return 'must not be empty';
  if (/\s/.test(image)) return 'must not contain whitespace (a Docker image reference is [registry[:port]/]name[:tag][@digest])';
  const foreign = FOREIGN.exec(image);
  if (foreign) return `must not contain ${JSON.stringify(foreign[0])} (a Docker image reference is [registry[:port]/]name[:tag][@digest])`;
  const problem = referenceProblem(image);
  return problem && `is not a Docker image reference: ${problem}`;
}

function referenceProblem(ref: string): string | undefined {
  let rest = ref;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const digest = rest.slice(at + 1);
    if (!DIGEST.test(digest)) return `digest "${digest}" must be algorithm:hex, such as sha256: and at least 32 hex digits`;
    rest = rest.slice(0, at);
  }
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    const tag = rest.slice(lastColon + 1);
    if (!TAG.test(tag)) return `tag "${tag}" must be 1-128 letters, digits, "_", "." or "-", not starting with "." or "-"`;
    rest = rest.slice(0, lastColon);
  }
  if (rest === '') return 'the repository name is missing';
  if (rest.length > MAX_NAME) return `the repository name must be at most ${MAX_NAME} characters`;
  const parts = rest.split('/');
  if (parts.length > 1 && isDomain(parts[0])) {
    const problem = domainProblem(parts.shift()!);
    if (problem) return problem;
  }
  for (const part of parts) {
    if (PATH_COMPONENT.test(part)) continue;
    if (PATH_COMPONENT.test(part.toLowerCase())) return `repository name "${parts.join('/')}" must be lowercase`;
    if (part === '') return 'the repository name has an empty path component';
    return `path component "${part}" must be lower-case letters and digits, joined by ".", "_", "__" or "-"`;
  }
  return undefined;
}

function isDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

function domainProblem(domain: string): string | undefined {
  const portAt = domain.startsWith('[') ? domain.indexOf(':', domain.indexOf(']')) : domain.indexOf(':');
  const host = portAt >= 0 ? domain.slice(0, portAt) : domain;
  const port = portAt >= 0 ? domain.slice(portAt + 1) : undefined;
  if (port !== undefined && !PORT.test(port)) return `registry port "${port}" must be a number`;
  if (IPV6_HOST.test(host)) return undefined;
  if (host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) return undefined;
  return `registry host "${host}" must be a DNS name or an IP address`;
}
