// etcd and gRPC failures in storage terms, by etcd3's (and cockatiel's) typed error classes:
//   compacted revision                          -> ExpiredError
//   unreachable, slow, overloaded, no leader    -> UnavailableError (the caller's backoff decides)
//   a lease that is gone                        -> NotFoundError('leases', id)
// Everything else passes through unchanged (a bug or a limit of etcd's, not a condition to retry).
import { BrokenCircuitError } from 'cockatiel';
import {
  ClientClosedError,
  EtcdLeaseInvalidError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  isRecoverableError,
} from 'etcd3';
import { ExpiredError, isStoreError, NotFoundError, UnavailableError } from '@coxswain/objects';

const UNAVAILABLE = [GRPCUnavailableError, GRPCDeadlineExceededError, GRPCCancelledError, GRPCResourceExhastedError, ClientClosedError, BrokenCircuitError];

export function translateError(err: unknown, what = 'etcd call', leaseId?: string): unknown {
  if (isStoreError(err) || !(err instanceof Error)) return err;
  // etcd answers a range or watch below its compacted revision with OUT_OF_RANGE.
  if (err instanceof GRPCOutOfRangeError) return new ExpiredError('unknown');
  if (err instanceof EtcdLeaseInvalidError) return new NotFoundError('leases', leaseId ?? 'lease');
  if (UNAVAILABLE.some((cls) => err instanceof cls) || isRecoverableError(err)) {
    return new UnavailableError(`etcd unavailable (${what}): ${err.message}`, err);
  }
  return err;
}
