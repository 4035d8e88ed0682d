// Minions: `hostIP` <-> the first InternalIP address, `resources.capacity` (integers: millicores,
// bytes) <-> `status.capacity` (quantities), conditions `kind`/Full/None <-> `type`/True/False.
import { formatCpu, formatMemory, parseCpu, parseMemory } from '@coxswain/objects';
import type { Condition, Minion, MinionStatus } from '@coxswain/objects';
import { metaFromInternal, metaToInternal, INTERNAL_VERSION } from './meta';
import { compact, copy, nonEmpty } from './object-utils';
import type { WireMinion, WireMinionCondition } from './wire-types';

const STATUS_TO_INTERNAL: Record<WireMinionCondition['status'], Condition['status']> = { Full: 'True', None: 'False', Unknown: 'Unknown' };
const STATUS_TO_WIRE: Record<Condition['status'], WireMinionCondition['status']> = { True: 'Full', False: 'None', Unknown: 'Unknown' };

function conditionToInternal(c: WireMinionCondition): Condition {
  return compact({
    type: c.kind,
    status: STATUS_TO_INTERNAL[c.status],
    reason: c.reason,
    message: c.message,
    lastTransitionTime: c.lastTransitionTime,
    lastHeartbeatTime: c.lastProbeTime,
  });
}

function conditionFromInternal(c: Condition): WireMinionCondition {
  return compact({
    kind: c.type,
    status: STATUS_TO_WIRE[c.status],
    reason: c.reason,
    message: c.message,
    lastProbeTime: c.lastHeartbeatTime,
    lastTransitionTime: c.lastTransitionTime,
  });
}

export function minionToInternal(b: WireMinion): Minion {
  const cap = b.resources?.capacity;
  const addresses = b.status?.addresses
    ? copy(b.status.addresses)
    : b.hostIP ? [{ type: 'InternalIP' as const, address: b.hostIP }] : undefined;
  const status: MinionStatus | undefined = nonEmpty({
    addresses,
    capacity: cap
      ? nonEmpty({
        cpu: cap.cpu !== undefined ? formatCpu(cap.cpu) : undefined,
        memory: cap.memory !== undefined ? formatMemory(cap.memory) : undefined,
        pods: cap.pods !== undefined ? String(cap.pods) : undefined,
      })
      : undefined,
    conditions: b.status?.conditions?.map(conditionToInternal),
    kubeletEndpoint: b.status?.kubeletEndpoint,
    serviceAddress: b.status?.serviceAddress,
  });
  return compact({
    apiVersion: INTERNAL_VERSION,
    kind: 'Minion' as const,
    metadata: metaToInternal(b),
    spec: nonEmpty({ podCIDR: b.podCIDR, unschedulable: b.unschedulable }),
    status,
  });
}

export function minionFromInternal(m: Minion): WireMinion {
  const s = m.status;
  const cap = s?.capacity;
  return compact({
    ...metaFromInternal('Minion', m.metadata),
    hostIP: s?.addresses?.find((a) => a.type === 'InternalIP')?.address,
    podCIDR: m.spec?.podCIDR,
    unschedulable: m.spec?.unschedulable,
    resources: cap
      ? {
        capacity: compact({
          cpu: cap.cpu !== undefined ? parseCpu(cap.cpu) : undefined,
          memory: cap.memory !== undefined ? parseMemory(cap.memory) : undefined,
          pods: cap.pods !== undefined ? parseMemory(cap.pods) : undefined,
        }),
      }
      : undefined,
    status: s
      ? nonEmpty({
        conditions: s.conditions?.map(conditionFromInternal),
        addresses: copy(s.addresses),
        kubeletEndpoint: s.kubeletEndpoint,
        serviceAddress: s.serviceAddress,
      })
      : undefined,
    labels: copy(m.metadata.labels),
  });
}
