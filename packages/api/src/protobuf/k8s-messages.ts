// The Kubernetes protobuf messages this server decodes, by field number (from k8s.io/api's
// generated.proto): what `kubectl create namespace|deployment|service|configmap|secret|quota` and
// `kubectl autoscale` (an autoscaling/v1 HorizontalPodAutoscaler) send.
// A field number not listed is skipped (kubectl sets none of them). Types say how a value becomes
// JSON; `int0`/`bool0` are pointer fields, whose zero is meaningful and kept (replicas: 0).
export type FieldType =
  | 'string'
  | 'int'
  | 'int0'
  | 'bool'
  | 'bool0'
  | 'time'
  | 'intOrString'
  | 'quantity'
  | { message: string }
  | { map: 'string' | 'bytes' | 'quantity' };

/** name, type, repeated */
export type FieldDef = [string, FieldType, boolean?];
export type MessageDef = Record<number, FieldDef>;

const msg = (message: string): FieldType => ({ message });
const REPEATED = true;

export const MESSAGES: Record<string, MessageDef> = {
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int'],
    8: ['creationTimestamp', 'time'],
    11: ['labels', { map: 'string' }],
    12: ['annotations', { map: 'string' }],
    13: ['ownerReferences', msg('OwnerReference'), REPEATED],
    14: ['finalizers', 'string', REPEATED],
  },
  OwnerReference: { 1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['controller', 'bool0'], 7: ['blockOwnerDeletion', 'bool0'] },
  LabelSelector: { 1: ['matchLabels', { map: 'string' }], 2: ['matchExpressions', msg('LabelSelectorRequirement'), REPEATED] },
  LabelSelectorRequirement: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', REPEATED] },

  Namespace: { 1: ['metadata', msg('ObjectMeta')], 2: ['spec', msg('NamespaceSpec')], 3: ['status', msg('NamespaceStatus')] },
  NamespaceSpec: { 1: ['finalizers', 'string', REPEATED] },
  NamespaceStatus: { 1: ['phase', 'string'] },

  Service: { 1: ['metadata', msg('ObjectMeta')], 2: ['spec', msg('ServiceSpec')], 3: ['status', msg('ServiceStatus')] },
  ServiceSpec: { 1: ['ports', msg('ServicePort'), REPEATED], 2: ['selector', { map: 'string' }], 3: ['clusterIP', 'string'], 4: ['type', 'string'], 7: ['sessionAffinity', 'string'] },
  ServicePort: { 1: ['name', 'string'], 2: ['protocol', 'string'], 3: ['port', 'int'], 4: ['targetPort', 'intOrString'], 5: ['nodePort', 'int'] },
  ServiceStatus: { 1: ['loadBalancer', msg('LoadBalancerStatus')] },
  LoadBalancerStatus: {},

  Deployment: { 1: ['metadata', msg('ObjectMeta')], 2: ['spec', msg('DeploymentSpec')], 3: ['status', msg('DeploymentStatus')] },
  DeploymentSpec: {
    1: ['replicas', 'int0'],
    2: ['selector', msg('LabelSelector')],
    3: ['template', msg('PodTemplateSpec')],
    4: ['strategy', msg('DeploymentStrategy')],
    5: ['minReadySeconds', 'int'],
    6: ['revisionHistoryLimit', 'int0'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'int0'],
  },
  DeploymentStrategy: { 1: ['type', 'string'], 2: ['rollingUpdate', msg('RollingUpdateDeployment')] },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'intOrString'], 2: ['maxSurge', 'intOrString'] },
  DeploymentStatus: {},
  PodTemplateSpec: { 1: ['metadata', msg('ObjectMeta')], 2: ['spec', msg('PodSpec')] },
  PodSpec: {
    2: ['containers', msg('Container'), REPEATED],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int0'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', { map: 'string' }],
    10: ['nodeName', 'string'],
  },
  Container: {
    1: ['name', 'string'],
    2: ['image', 'string'],
    3: ['command', 'string', REPEATED],
    4: ['args', 'string', REPEATED],
    5: ['workingDir', 'string'],
    6: ['ports', msg('ContainerPort'), REPEATED],
    7: ['env', msg('EnvVar'), REPEATED],
    8: ['resources', msg('ResourceRequirements')],
    13: ['terminationMessagePath', 'string'],
    14: ['imagePullPolicy', 'string'],
    16: ['stdin', 'bool'],
    17: ['stdinOnce', 'bool'],
    18: ['tty', 'bool'],
    20: ['terminationMessagePolicy', 'string'],
  },
  ContainerPort: { 1: ['name', 'string'], 2: ['hostPort', 'int'], 3: ['containerPort', 'int'], 4: ['protocol', 'string'] },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'] },
  ResourceRequirements: { 1: ['limits', { map: 'quantity' }], 2: ['requests', { map: 'quantity' }] },

  ConfigMap: { 1: ['metadata', msg('ObjectMeta')], 2: ['data', { map: 'string' }], 3: ['binaryData', { map: 'bytes' }], 4: ['immutable', 'bool0'] },
  Secret: { 1: ['metadata', msg('ObjectMeta')], 2: ['data', { map: 'bytes' }], 3: ['type', 'string'], 4: ['stringData', { map: 'string' }], 5: ['immutable', 'bool0'] },
  ResourceQuota: { 1: ['metadata', msg('ObjectMeta')], 2: ['spec', msg('ResourceQuotaSpec')] },
  ResourceQuotaSpec: { 1: ['hard', { map: 'quantity' }], 2: ['scopes', 'string', REPEATED] },
  // autoscaling/v1 (kubectl 1.32's `autoscale`); the status kubectl sends is left out, as for every kind.
  HorizontalPodAutoscaler: { 1: ['metadata', msg('ObjectMeta')], 2: ['spec', msg('HorizontalPodAutoscalerSpec')] },
  HorizontalPodAutoscalerSpec: { 1: ['scaleTargetRef', msg('CrossVersionObjectReference')], 2: ['minReplicas', 'int0'], 3: ['maxReplicas', 'int0'], 4: ['targetCPUUtilizationPercentage', 'int0'] },
  CrossVersionObjectReference: { 1: ['kind', 'string'], 2: ['name', 'string'], 3: ['apiVersion', 'string'] },
};

/** The top-level kinds a protobuf body may carry. */
export const DECODABLE_KINDS = ['Namespace', 'Service', 'Deployment', 'ConfigMap', 'Secret', 'ResourceQuota', 'HorizontalPodAutoscaler'];

/** Kinds whose messages differ between versions: the one version decoded (autoscaling/v2's spec has other fields). */
export const DECODABLE_VERSION: Record<string, string> = { HorizontalPodAutoscaler: 'autoscaling/v1' };
