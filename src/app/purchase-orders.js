// Purchase orders: search by PO number, order id, distributor and shipped status (paged); one PO
// with its tracking, its attempts, and Retry (optionally at another distributor) when it needs attention.
import { api, connectedDistributors } from './api.js';
import { facts, field, fill, h, row, section, select, statusBadge, table, when, yesNo, words } from './dom.js';
import { pager } from './paging.js';
import { routeHref } from './routes.js';
import { shipmentsSection } from './tracking.js';

const PAGE_SIZE = 25;
const SEARCH_KEYS = ['poNumber', 'pssOrderId', 'distributor', 'shipped'];

export async function purchaseOrderSearch(ctx, query) {
  const criteria = Object.fromEntries(SEARCH_KEYS.map((k) => [k, query[k] ?? '']));
  const [distributors, page] = await Promise.all([
    connectedDistributors(),
    api('/v1/purchase-orders', { query: { ...criteria, cursor: query.cursor, limit: PAGE_SIZE } }).catch((e) => {
      ctx.fail(e); // the form still shows, so an invalid search can be corrected
      return undefined;
    }),
  ]);
  if (!ctx.current()) return;

  const inputs = {
    poNumber: h('input', { id: 'po-number', name: 'poNumber', value: criteria.poNumber, autocomplete: 'off' }),
    pssOrderId: h('input', { id: 'order-id', name: 'pssOrderId', value: criteria.pssOrderId, autocomplete: 'off' }),
    distributor: select(
      { id: 'distributor', name: 'distributor' },
      [['', 'Any distributor'], ...[...new Set([...distributors, criteria.distributor].filter(Boolean))].map((d) => [d, d])],
      criteria.distributor,
    ),
    shipped: select({ id: 'shipped', name: 'shipped' }, [['', 'Shipped or not'], ['true', 'Shipped'], ['false', 'Not shipped']], criteria.shipped),
  };
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    field('PO number', inputs.poNumber),
    field('Order id', inputs.pssOrderId),
    field('Distributor', inputs.distributor),
    field('Shipped', inputs.shipped),
    h('button', { id: 'search', type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(routeHref(['purchase-orders'], Object.fromEntries(SEARCH_KEYS.map((k) => [k, inputs[k].value.trim()]))));
  });

  fill(
    ctx.main,
    h('h1', { tabindex: -1 }, 'Purchase orders'),
    form,
    page
      ? section(
          'Results',
          page.items.length
            ? table(
                'Purchase orders found',
                ['Purchase order', 'Order', 'Distributor', 'Status', 'Shipped', 'Created'],
                page.items.map((p) =>
                  row(
                    h('a', { href: routeHref(['purchase-orders', p.poNumber]) }, p.poNumber),
                    h('a', { href: routeHref(['dropships', p.pssOrderId]) }, p.pssOrderId),
                    p.distributor,
                    statusBadge(p.status),
                    yesNo(p.shipped),
                    when(p.createdAt),
                  ),
                ),
              )
            : h('p', { class: 'empty' }, 'No purchase orders match.'),
          pager(query.cursor, page.nextCursor, (cursor) => routeHref(['purchase-orders'], { ...criteria, cursor })),
        )
      : null,
  );
}

export async function purchaseOrderView(ctx, poNumber) {
  const view = h('div');
  ctx.main.append(view);

  async function load() {
    const po = await api(`/v1/purchase-orders/${encodeURIComponent(poNumber)}`);
    const retry = po.status === 'needs_attention' ? await retryForm(po) : null;
    if (!ctx.current()) return;
    fill(
      view,
      h('h1', { tabindex: -1 }, `Purchase order ${po.poNumber} `, statusBadge(po.status)),
      facts([
        ['Order', h('a', { href: routeHref(['dropships', po.pssOrderId]) }, po.pssOrderId)],
        ['Distributor', po.distributor],
        ['Order at the distributor', po.distributorOrderId],
        ['Shipped', yesNo(po.shipped)],
        ['Moved to', po.supersededBy ? h('a', { href: routeHref(['purchase-orders', po.supersededBy]) }, po.supersededBy) : null],
        ['Created', when(po.createdAt)],
      ]),
      po.error ? h('p', { class: 'problem' }, h('strong', {}, 'Needs attention: '), `${po.error.message} (${po.error.code})`) : null,
      retry,
      section(
        'Lines',
        table('Lines of this purchase order', ['Line', 'SKU', 'Distributor part', 'Quantity', 'Shipped'], po.lines.map((l) => row(l.lineId, l.sku, l.distributorSku, String(l.quantity), String(l.shippedQuantity)))),
      ),
      shipmentsSection([po]) ?? section('Shipments', h('p', { class: 'empty' }, 'Nothing has shipped yet.')),
      section(
        'Attempts',
        po.attempts.length
          ? table('Submission attempts', ['When', 'Outcome', 'Problem'], po.attempts.map((a) => row(when(a.at), a.outcome, a.error ? `${a.error.message} (${a.error.code})` : '')))
          : h('p', { class: 'empty' }, 'Not submitted yet.'),
      ),
    );
  }

  /** Retry at the same distributor or at one that offers every line of this PO (from the dropship's candidates). */
  async function retryForm(po) {
    const d = await api(`/v1/dropships/${encodeURIComponent(po.pssOrderId)}`);
    const poLines = new Set(po.lines.map((l) => l.lineId));
    const lines = d.lines.filter((l) => poLines.has(l.lineId));
    const offering = [...new Set(lines.flatMap((l) => l.candidates.map((c) => c.distributor)))].filter((dist) => lines.every((l) => l.candidates.some((c) => c.distributor === dist)));
    const choice = select({ id: 'retry-distributor', name: 'distributor' }, [...new Set([po.distributor, ...offering])].map((dist) => [dist, dist === po.distributor ? `${dist} (same PO number)` : `${dist} (new PO)`]), po.distributor);
    const orderId = h('input', { id: 'retry-order-id', name: 'distributorOrderId', autocomplete: 'off' });
    const button = h('button', { id: 'retry', type: 'submit' }, 'Retry');
    const form = h(
      'form',
      { class: 'card' },
      h('h2', {}, 'Retry'),
      field('Distributor', choice),
      field('Order number at the distributor', orderId, 'Only if a person found this order at the distributor; the PO is then followed for tracking'),
      h('div', { class: 'actions' }, button),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      ctx.clear();
      const body = {
        ...(choice.value !== po.distributor ? { distributor: choice.value } : {}),
        ...(orderId.value.trim() ? { distributorOrderId: orderId.value.trim() } : {}),
      };
      try {
        const a = await api(`/v1/purchase-orders/${encodeURIComponent(po.poNumber)}/retry`, { method: 'POST', body });
        if (a.poNumber !== po.poNumber) return ctx.go(routeHref(['purchase-orders', a.poNumber])); // the new PO at the other distributor
        ctx.say(`Retry accepted: the dropship is ${words(a.status)}.`);
        await load();
      } catch (e) {
        ctx.fail(e);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  await load();
}
