// The REST API as the screens call it: the dealer's key from sessionStorage on every request, and
// every failure as an ApiFailure carrying the API's own { error, message } (src/api/errors.ts).

const KEY = 'dropship.apiKey';

/** The dealer's key lives in this tab's sessionStorage only: closing the tab or signing out forgets it. */
export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let unauthorized = () => {};
/** Who hears of a 401 (the shell, which sends the user back to sign in). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** A call to the API; the parsed JSON answer, or throws ApiFailure. `query` skips empty values. */
export async function api(path, { method = 'GET', body, query } = {}) {
  const search = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')).toString() : '';
  const headers = { authorization: `Bearer ${apiKey.get() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(search ? `${path}?${search}` : path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new ApiFailure(0, 'network_error', `The API could not be reached (${e.message})`);
  }
  const data = await res.json().catch(() => undefined);
  if (res.ok) return data;
  const failure = new ApiFailure(res.status, data?.error ?? 'http_error', data?.message ?? `The API answered ${res.status} ${res.statusText}`);
  if (res.status === 401) unauthorized(failure);
  throw failure;
}

let openapi;
/** The API's own OpenAPI document (public, no key): the lists of values the screens offer come from it. */
async function contract() {
  openapi ??= fetch('/docs/json').then((r) => (r.ok ? r.json() : Promise.reject(new ApiFailure(r.status, 'http_error', 'The API description could not be read'))));
  return openapi.catch((e) => {
    openapi = undefined;
    throw e;
  });
}

/** The dropship statuses the API knows (the enum of GET /v1/dropships?status). */
export async function dropshipStatuses() {
  const doc = await contract();
  return doc.paths['/v1/dropships'].get.parameters.find((p) => p.in === 'query' && p.name === 'status').schema.enum;
}

/** The distributors this dealer has connected. */
export async function connectedDistributors() {
  const c = await api('/v1/connections');
  return c.distributors.map((d) => d.code);
}
