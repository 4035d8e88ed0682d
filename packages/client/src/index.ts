// @coxswain/client: how a process watches and changes the cluster — informers and the one Controller
// loop, leader election, events, group commit — and the REST/WebSocket client of the API server.
export { Informer, type InformerOptions, type InformerStats, type ListWatch, type EventHandler, type IndexFunc } from './informer';
export { Controller, TerminalError, type ControllerOptions, type ReconcileFn, type ReconcileResult } from './controller';
export { LeaderElector, CampaignAbortedError, type LeaderElectorOptions } from './leader-election';
export { EventRecorder, type EventRecorderOptions, type EventType, type Involved } from './event-recorder';
export { GroupCommit, sharedGroupCommit, type GroupCommitOptions } from './group-commit';
export { Backoff, type BackoffOptions } from './backoff';
export { whileUnavailable, type WhileUnavailableOptions } from './while-unavailable';
export { ApiClient, wireName, wireResourceVersion, type ApiClientOptions, type ListQuery, type LogOptions, type RawResponse, type RequestOptions, type Scope, type WireList, type WireObject } from './api-client';
export { ApiError, ApiUnreachableError, describeApiError } from './api-error';
export { WatchClient, type ClientWatchEvent, type WatchClientOptions, type WatchEventType, type WatchTarget } from './watch-client';
export { MetricsScraper, DEFAULT_METRICS_RESOLUTION_MS, type MetricsSource, type MetricsScraperOptions, type ScrapePass, type NodeSample, type PodSample, type Usage } from './metrics-scraper';
export { PeriodicTask } from './periodic-task';
export { readKubeletCredential, writeKubeletCredential, kubeletAuthHeaders } from './kubelet-credential';
export { parsePodLogOptions, podLogQuery, PodLogOptionError, type PodLogOptions } from './pod-log-options';
