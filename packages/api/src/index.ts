// @coxswain/api: the API server (REST + watch over etcd), its wire codecs, and the typed client.
export * from './codecs';
export { createApiServer, type ApiServer, type ApiServerOptions } from './server';
export { runApiServer, parseApiServerFlags, type ApiServerFlags, type ApiServerHandle } from './api-server-command';
export { toStatus, HttpError, type Status, type StatusCause, type StatusDetails } from './status';
export { strategyFor, type Strategy } from './strategy';
export { TokenAuthenticator, parseTokenFile, isLoopbackAddress } from './auth';
export { DEFAULT_MAX_BODY_BYTES } from './request-body';
export { ApiClient, wireName, wireResourceVersion, type ApiClientOptions, type ListQuery, type LogOptions, type RawResponse, type RequestOptions, type Scope, type WireList, type WireObject } from './client';
export { WatchClient, type ClientWatchEvent, type WatchClientOptions, type WatchEventType } from './watch-client';
export { ApiError, ApiUnreachableError, describeApiError } from './api-error';
