// The page's one way to the API: the bearer token kept in sessionStorage (asked for once per tab),
// on every request and, as a subprotocol, on every WebSocket (a browser cannot set its headers).
const TOKEN_KEY = 'coxswain.token';

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export const setToken = (t) => sessionStorage.setItem(TOKEN_KEY, t);

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** JSON from the API, or an ApiError carrying the API's own message (a Status body). */
export async function apiFetch(path, init = {}) {
  const headers = { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}) };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...init, headers: { ...headers, ...init.headers } });
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, body.message || `${res.status} ${res.statusText}`);
  return body;
}

function base64url(s) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The protocols a watch offers: the one the server answers, and the token's (see the API's auth.ts). */
export function tokenProtocols() {
  const token = getToken();
  return token ? ['coxswain.watch', `base64url.bearer.authorization.coxswain.${base64url(token)}`] : ['coxswain.watch'];
}
