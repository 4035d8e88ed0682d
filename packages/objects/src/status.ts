// The Status object: what the API answers for every error (and some successes), and what a client
// reads back. Kubernetes' metav1.Status, the fields Coxswain uses.

export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

export interface StatusDetails {
  name?: string;
  kind?: string;
  causes?: StatusCause[];
}

export interface Status {
  kind: 'Status';
  apiVersion: string;
  status: 'Success' | 'Failure';
  code: number;
  reason?: string;
  message?: string;
  details?: StatusDetails;
}
