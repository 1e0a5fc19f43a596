// One dropship: its lines with every candidate, the swap and Confirm / Cancel while it awaits
// confirmation; afterwards its purchase orders, shipments (tracking), uploads and events. The GET
// is repeated every two seconds while the dropship can still change and the tab is visible.
import { api } from './api.js';
import { facts, field, fill, h, money, row, section, select, statusBadge, table, when, yesNo, words } from './dom.js';
import { routeHref } from './routes.js';
import { shipmentsSection, trackingLink } from './tracking.js';

const POLL_MS = 2000;
/** The statuses after which nothing changes any more (DESIGN.md). */
const FINAL = ['completed', 'cancelled', 'expired'];
const CONFIRMED_BY = 'dropship.confirmedBy';

export async function dropshipScreen(ctx, id) {
  const path = `/v1/dropships/${encodeURIComponent(id)}`;
  // what the user typed or chose survives the redraws that polling causes
  const form = { choices: new Map(), confirmedBy: sessionStorage.getItem(CONFIRMED_BY) ?? '', reason: '' };
  const poCache = new Map();
  const view = h('div');
  ctx.main.append(view);
  let shown = '';
  let status;
  let timer;
  let running;
  /** A 4xx (not found, …) will not change by asking again; a 5xx or a lost connection may. */
  let refused = false;

  async function load() {
    const d = await api(path);
    const details = await purchaseOrderDetails(d.purchaseOrders, poCache);
    if (!ctx.current()) return;
    status = d.status;
    const snapshot = JSON.stringify([d, details]);
    if (snapshot === shown) return;
    shown = snapshot;
    const focused = view.contains(document.activeElement) ? document.activeElement.id : '';
    fill(view, render(d, details));
    if (focused) document.getElementById(focused)?.focus();
  }

  /** Load now (once at a time), then again in POLL_MS while the dropship moves and the tab is seen. */
  async function refresh() {
    clearTimeout(timer);
    timer = undefined;
    if (running) return running;
    running = load()
      .then(() => (refused = false))
      .catch((e) => {
        refused = e.status >= 400 && e.status < 500;
        ctx.fail(e);
      })
      .finally(() => {
        running = undefined;
        if (moving() && document.visibilityState === 'visible') timer = setTimeout(refresh, POLL_MS);
      });
    return running;
  }

  const moving = () => ctx.current() && !refused && !FINAL.includes(status);
  const onVisibility = () => {
    if (document.visibilityState === 'visible' && !timer && !running && moving()) refresh();
    if (document.visibilityState === 'hidden') {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  ctx.onLeave(() => {
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  });

  /** A POST whose answer is the workflow's decision: report it, or the refusal, then show the new state. */
  async function decide(button, action, body, said) {
    button.disabled = true;
    ctx.clear();
    try {
      const answer = await api(`${path}/${action}`, { method: 'POST', body });
      ctx.say(said(answer));
    } catch (e) {
      ctx.fail(e);
    } finally {
      button.disabled = false;
      await refresh();
    }
  }

  function render(d, details) {
    const awaiting = d.status === 'awaiting_confirmation';
    const title = h('h1', { tabindex: -1 }, `Dropship ${d.pssOrderId} `, statusBadge(d.status));
    const summary = facts([
      ['Marketplace', `${d.marketplace.code} order ${d.marketplace.orderId}`],
      ['Ship to', [d.shipTo.name, d.shipTo.company, d.shipTo.city, d.shipTo.state, d.shipTo.postalCode, d.shipTo.country].filter(Boolean).join(', ')],
      ['Confirmed by', d.confirmedBy],
    ]);
    const lines = d.lines.map((line) => lineSection(line, awaiting, form));
    return [
      title,
      summary,
      awaiting ? confirmForm(d, lines) : section('Lines', lines),
      FINAL.includes(d.status) || d.status === 'cancel_requested' ? null : cancelForm(),
      d.purchaseOrders.length ? purchaseOrders(d.purchaseOrders) : null,
      shipmentsSection(details),
      d.uploads.length ? uploads(d.uploads) : null,
      timeline(d.events),
    ];
  }

  function confirmForm(d, lines) {
    const by = h('input', { id: 'confirmed-by', name: 'confirmedBy', required: true, autocomplete: 'name', value: form.confirmedBy });
    by.addEventListener('input', () => (form.confirmedBy = by.value));
    const button = h('button', { id: 'confirm', type: 'submit' }, 'Confirm');
    const el = h('form', { 'aria-labelledby': 'lines-heading' }, h('h2', { id: 'lines-heading' }, 'Lines'), lines, field('Confirmed by', by, 'Your name or email, recorded with the decision'), h('div', { class: 'actions' }, button));
    el.addEventListener('submit', (ev) => {
      ev.preventDefault();
      // only the swapped lines go to the API: a line left alone keeps the default selection
      const swaps = d.lines
        .filter((l) => form.choices.has(l.lineId) && form.choices.get(l.lineId) !== l.selected.distributor)
        .map((l) => ({ lineId: l.lineId, distributor: form.choices.get(l.lineId) }));
      sessionStorage.setItem(CONFIRMED_BY, form.confirmedBy.trim());
      decide(button, 'confirm', { confirmedBy: form.confirmedBy, ...(swaps.length ? { lines: swaps } : {}) }, (a) => `Confirmed: the dropship is ${words(a.status)}.`);
    });
    return el;
  }

  function cancelForm() {
    const reason = h('input', { id: 'cancel-reason', name: 'reason', required: true, value: form.reason });
    reason.addEventListener('input', () => (form.reason = reason.value));
    const button = h('button', { id: 'cancel', type: 'submit', class: 'danger' }, 'Cancel dropship');
    const el = h('form', { class: 'cancel' }, h('h2', {}, 'Cancel'), field('Reason', reason, 'After submission, only distributors whose API can cancel are asked'), h('div', { class: 'actions' }, button));
    el.addEventListener('submit', (ev) => {
      ev.preventDefault();
      decide(button, 'cancel', { reason: form.reason }, (a) => `Cancel accepted: the dropship is ${words(a.status)}.`);
    });
    return el;
  }

  function uploads(list) {
    const failed = list.some((u) => u.status === 'failed');
    const retry = h('button', { id: 'retry-uploads', type: 'button' }, 'Retry failed uploads');
    retry.addEventListener('click', () => decide(retry, 'uploads/retry', {}, (a) => `Uploads retried: the dropship is ${words(a.status)}.`));
    return section(
      'Marketplace uploads',
      table(
        'Tracking uploaded to the marketplace',
        ['Purchase order', 'Tracking number', 'Carrier', 'Status', 'Outcome', 'Attempts', 'Problem'],
        list.map((u) => row(u.poNumber, trackingLink(u.carrier, u.trackingNumber), u.carrier, statusBadge(u.status), u.outcome ?? '', String(u.attempts), u.error ? `${u.error.message} (${u.error.code})` : '')),
      ),
      failed ? h('div', { class: 'actions' }, retry) : null,
    );
  }

  await refresh();
}

function lineSection(line, awaiting, form) {
  const chosen = form.choices.get(line.lineId) ?? line.selected.distributor;
  const heading = `${line.lineId}: ${line.sku} × ${line.quantity}`;
  const candidates = table(
    `Candidates for ${line.lineId}`,
    ['Distributor', 'Part', 'Unit cost', 'Drop-ship fee', 'Landed cost', 'Warehouse stock', 'Live stock', 'Selection'],
    line.candidates.map((c) => {
      const isDefault = c.distributor === line.selected.distributor;
      const tr = row(
        c.distributor,
        c.distributorSku,
        money(c.unitCost),
        money(c.dropshipFee),
        money(c.landedCost),
        h('ul', { class: 'plain' }, c.warehouses.map((w) => h('li', {}, `${w.code}: ${w.quantity} (${w.leadTimeDays}-day lead)`))),
        c.liveStock ? [`${c.liveStock.quantity} at `, when(c.liveStock.checkedAt)] : 'not checked',
        [isDefault ? h('span', { class: 'badge selected' }, awaiting ? 'default' : 'selected') : null, c.outOfStockLive ? h('span', { class: 'badge warn' }, 'out of stock') : null],
      );
      if (isDefault) tr.classList.add('is-selected');
      return tr;
    }),
  );
  if (!awaiting) return h('div', { class: 'line' }, h('h3', {}, heading), h('p', {}, `Selected: ${line.selected.distributor} (${line.selected.distributorSku})`), candidates);
  const choice = select(
    { id: `choice-${line.lineId}`, name: `choice-${line.lineId}` },
    line.candidates.map((c) => [
      c.distributor,
      `${c.distributor}: ${money(c.landedCost)} landed${c.distributor === line.selected.distributor ? ' (default)' : ''}${c.outOfStockLive ? ', out of stock' : ''}`,
    ]),
    chosen,
  );
  choice.addEventListener('change', () => form.choices.set(line.lineId, choice.value));
  return h('div', { class: 'line' }, h('h3', {}, heading), candidates, field(`Distributor for ${line.lineId}`, choice));
}

/** Each PO's detail (its shipments), fetched again only when its summary changed. */
async function purchaseOrderDetails(summaries, cache) {
  return Promise.all(
    summaries.map(async (s) => {
      const key = JSON.stringify(s);
      if (cache.get(s.poNumber)?.key !== key) cache.set(s.poNumber, { key, po: await api(`/v1/purchase-orders/${encodeURIComponent(s.poNumber)}`) });
      return cache.get(s.poNumber).po;
    }),
  );
}

function purchaseOrders(pos) {
  return section(
    'Purchase orders',
    table(
      'Purchase orders',
      ['Purchase order', 'Distributor', 'Status', 'Shipped', 'Distributor order', 'Lines', 'Problem'],
      pos.map((p) =>
        row(
          h('a', { href: routeHref(['purchase-orders', p.poNumber]) }, p.poNumber),
          p.distributor,
          [statusBadge(p.status), p.supersededBy ? ` by ${p.supersededBy}` : ''],
          yesNo(p.shipped),
          p.distributorOrderId ?? '',
          h('ul', { class: 'plain' }, p.lines.map((l) => h('li', {}, `${l.lineId} ${l.distributorSku} × ${l.quantity} (${l.shippedQuantity} shipped)`))),
          p.error ? `${p.error.message} (${p.error.code})` : '',
        ),
      ),
    ),
  );
}

function timeline(events) {
  return section(
    'Events',
    h('ol', { class: 'timeline' }, events.map((e) => h('li', {}, when(e.at), ' ', h('strong', {}, words(e.type)), ' ', e.message))),
  );
}
