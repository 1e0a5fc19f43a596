// The shell: sign in and out, the hash router, and the two notice regions every screen reports to.
import { apiKey, api, onUnauthorized } from './api.js';
import { field, fill, h } from './dom.js';
import { dropshipList } from './dropships.js';
import { dropshipScreen } from './dropship.js';
import { purchaseOrderSearch, purchaseOrderView } from './purchase-orders.js';
import { parseRoute } from './routes.js';

const main = document.getElementById('main');
const errorRegion = document.getElementById('error');
const statusRegion = document.getElementById('status');

const screens = {
  'sign-in': signIn,
  dropships: (ctx, r) => (r.segments[1] ? dropshipScreen(ctx, r.segments[1]) : dropshipList(ctx, r.query)),
  'purchase-orders': (ctx, r) => (r.segments[1] ? purchaseOrderView(ctx, r.segments[1]) : purchaseOrderSearch(ctx, r.query)),
};

let generation = 0;
let leaving = [];
/** The API's words for why the user was sent back to sign in (a 401). */
let signInReason;

function showError(e) {
  fill(errorRegion, h('p', {}, e.message), e.code ? h('small', {}, ` (${e.status ? `${e.status} ` : ''}${e.code})`) : null);
}

async function navigate() {
  for (const leave of leaving) leave();
  leaving = [];
  const gen = ++generation;
  const route = parseRoute(location.hash);
  const name = route.segments[0];
  const signedIn = Boolean(apiKey.get());
  if (!signedIn && name !== 'sign-in') return location.replace('#/sign-in');
  if (!screens[name] || (signedIn && name === 'sign-in')) return location.replace('#/dropships');

  document.getElementById('nav').hidden = !signedIn;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  errorRegion.replaceChildren();
  statusRegion.replaceChildren();
  main.replaceChildren();
  const current = () => gen === generation;
  const ctx = {
    main,
    current,
    onLeave: (fn) => leaving.push(fn),
    // the same hash again (e.g. the same search) still loads the screen anew
    go: (href) => (href === location.hash ? navigate() : (location.hash = href)),
    fail: (e) => current() && showError(e),
    say: (text) => current() && statusRegion.replaceChildren(h('p', {}, text)),
    clear: () => current() && errorRegion.replaceChildren(),
  };
  try {
    await screens[name](ctx, route);
  } catch (e) {
    ctx.fail(e);
  }
  // screen-reader and keyboard users start at the new screen's heading
  if (current()) main.querySelector('h1')?.focus();
}

function signIn(ctx) {
  if (signInReason) showError(signInReason);
  signInReason = undefined;
  const key = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h(
    'form',
    { class: 'card narrow' },
    h('h1', { tabindex: -1 }, 'Sign in'),
    h('p', {}, 'Sign in with your dealer API key. It stays in this browser tab only and is forgotten when you sign out or close the tab.'),
    field('API key', key),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    apiKey.set(key.value.trim());
    try {
      await api('/v1/dropships', { query: { limit: 1 } }); // a cheap call that proves the key
      ctx.go('#/dropships');
    } catch (e) {
      if (e.status !== 401) ctx.fail(e); // a 401 comes back here through onUnauthorized
    }
  });
  ctx.main.append(form);
}

onUnauthorized((failure) => {
  apiKey.clear();
  signInReason = failure;
  if (parseRoute(location.hash).segments[0] === 'sign-in') navigate();
  else location.hash = '#/sign-in';
});

document.getElementById('sign-out').addEventListener('click', () => {
  apiKey.clear();
  location.hash = '#/sign-in';
});

window.addEventListener('hashchange', navigate);
navigate();
