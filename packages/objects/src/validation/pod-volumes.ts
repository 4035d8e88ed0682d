// Checks of a pod's volumes, its containers' volumeMounts and their env sources, after Kubernetes'
// ValidateVolumes / ValidateVolumeMounts / ValidateEnv: every volume named once with exactly one
// source, every mount naming a volume, paths that cannot climb out of where they belong.
import type { FieldCause } from '../errors';
import { memoryQuantityProblem } from '../quantity';
import { VOLUME_SOURCES, type Container, type KeyToPath, type PodSpec } from '../types';
import { configKeyProblem } from './config-data';
import { joinPath } from './field-path';
import { containerNameProblem, envNameProblem, objectNameProblem } from './identifiers';

type Causes = FieldCause[];

/** Why `p` cannot be a path inside a volume (relative, no '..' element), or undefined. */
function relativePathProblem(p: string): string | undefined {
  if (p.startsWith('/')) return 'must be a relative path';
  if (p.split('/').includes('..')) return "must not contain '..'";
  return undefined;
}

function checkItems(out: Causes, at: string, items: KeyToPath[] | undefined): void {
  (items ?? []).forEach((item, i) => {
    const f = joinPath(at, i);
    const keyProblem = configKeyProblem(item.key);
    if (keyProblem) out.push({ field: `${f}.key`, message: keyProblem });
    const pathProblem = relativePathProblem(item.path);
    if (pathProblem) out.push({ field: `${f}.path`, message: pathProblem });
  });
}

/** The pod's volumes; returns their names for the mounts to be checked against. */
function checkVolumes(out: Causes, at: string, spec: PodSpec): Set<string> {
  const names = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const f = joinPath(joinPath(at, 'volumes'), i);
    // A volume's name is a DNS label, as a container's.
    const nameProblem = containerNameProblem(v.name);
    if (nameProblem) out.push({ field: `${f}.name`, message: nameProblem });
    else if (names.has(v.name)) out.push({ field: `${f}.name`, message: `duplicate volume name ${JSON.stringify(v.name)}` });
    names.add(v.name);
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined);
    if (sources.length !== 1) {
      out.push({ field: f, message: `must have exactly one source (${VOLUME_SOURCES.join(', ')}); has ${sources.length === 0 ? 'none' : sources.join(', ')}` });
    }
    if (v.emptyDir?.sizeLimit !== undefined) {
      const problem = memoryQuantityProblem(v.emptyDir.sizeLimit);
      if (problem) out.push({ field: `${f}.emptyDir.sizeLimit`, message: problem });
    }
    if (v.hostPath && !v.hostPath.path.startsWith('/')) out.push({ field: `${f}.hostPath.path`, message: 'must be an absolute path' });
    if (v.configMap) {
      const problem = objectNameProblem(v.configMap.name);
      if (problem) out.push({ field: `${f}.configMap.name`, message: problem });
      checkItems(out, `${f}.configMap.items`, v.configMap.items);
    }
    if (v.secret) {
      const problem = objectNameProblem(v.secret.secretName);
      if (problem) out.push({ field: `${f}.secret.secretName`, message: problem });
      checkItems(out, `${f}.secret.items`, v.secret.items);
    }
  });
  return names;
}

function checkMounts(out: Causes, cf: string, c: Container, volumes: Set<string>): void {
  const paths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, j) => {
    const f = joinPath(`${cf}.volumeMounts`, j);
    if (!volumes.has(m.name)) out.push({ field: `${f}.name`, message: `no volume named ${JSON.stringify(m.name)} in spec.volumes` });
    if (!m.mountPath.startsWith('/')) out.push({ field: `${f}.mountPath`, message: 'must be an absolute path' });
    else if (paths.has(m.mountPath)) out.push({ field: `${f}.mountPath`, message: `${m.mountPath} is mounted twice in the container` });
    paths.add(m.mountPath);
    if (m.subPath) {
      const problem = relativePathProblem(m.subPath);
      if (problem) out.push({ field: `${f}.subPath`, message: problem });
    }
  });
}

function checkEnvSources(out: Causes, cf: string, c: Container): void {
  (c.env ?? []).forEach((e, j) => {
    if (!e.valueFrom) return;
    const f = joinPath(`${cf}.env`, j);
    if (e.value !== undefined && e.value !== '') out.push({ field: `${f}.valueFrom`, message: 'may not be set together with value' });
    const set = (['configMapKeyRef', 'secretKeyRef', 'fieldRef'] as const).filter((k) => e.valueFrom![k] !== undefined);
    if (set.length !== 1) out.push({ field: `${f}.valueFrom`, message: 'must name exactly one of configMapKeyRef, secretKeyRef, fieldRef' });
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = e.valueFrom[k];
      if (!ref) continue;
      const problem = configKeyProblem(ref.key);
      if (problem) out.push({ field: `${f}.valueFrom.${k}.key`, message: problem });
    }
  });
  (c.envFrom ?? []).forEach((src, j) => {
    const f = joinPath(`${cf}.envFrom`, j);
    if ((src.configMapRef === undefined) === (src.secretRef === undefined)) out.push({ field: f, message: 'must name exactly one of configMapRef, secretRef' });
    if (src.prefix) {
      const problem = envNameProblem(src.prefix);
      if (problem) out.push({ field: `${f}.prefix`, message: problem });
    }
  });
}

/** The volume, mount and env-source problems of a pod spec at `at` (spec, spec.template.spec). */
export function checkPodVolumes(out: Causes, at: string, spec: PodSpec): void {
  const volumes = checkVolumes(out, at, spec);
  spec.containers.forEach((c, i) => {
    const cf = joinPath(joinPath(at, 'containers'), i);
    checkMounts(out, cf, c, volumes);
    checkEnvSources(out, cf, c);
  });
}
