// Hash routes: one index.html serves every screen, and a screen's filters live in the hash so a
// reload, the back button or a shared link shows the same thing. Kept free of imports so the unit
// tests can load it outside a browser.

/** '#/dropships/DEMO-1001?status=x' → { segments: ['dropships', 'DEMO-1001'], query: { status: 'x' } } */
export function parseRoute(hash) {
  const raw = String(hash ?? '').replace(/^#\/?/, '');
  const at = raw.indexOf('?');
  const path = at < 0 ? raw : raw.slice(0, at);
  const search = at < 0 ? '' : raw.slice(at + 1);
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  return { segments, query: Object.fromEntries(new URLSearchParams(search)) };
}

/** The hash for a screen; empty and missing query values are left out. */
export function routeHref(segments, query = {}) {
  const path = segments.map((s) => encodeURIComponent(String(s))).join('/');
  const kept = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '');
  const search = new URLSearchParams(kept.map(([k, v]) => [k, String(v)])).toString();
  return `#/${path}${search ? `?${search}` : ''}`;
}

function decodeSegment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a hand-typed '%' is taken literally; the API then answers for that id
  }
}
