// The dropship list: what needs a person first (the needs_attention inbox), then every dropship,
// newest first, filtered by status and paged with the API's cursor.
import { api, dropshipStatuses } from './api.js';
import { field, fill, h, row, section, select, statusBadge, table, when, words } from './dom.js';
import { pager } from './paging.js';
import { routeHref } from './routes.js';

const PAGE_SIZE = 25;

export async function dropshipList(ctx, query) {
  const status = query.status ?? '';
  const [statuses, page, inbox] = await Promise.all([
    dropshipStatuses(),
    api('/v1/dropships', { query: { status, cursor: query.cursor, limit: PAGE_SIZE } }),
    // the inbox heads the unfiltered first page only: a filter or a later page is a deliberate look elsewhere
    status || query.cursor ? undefined : api('/v1/dropships', { query: { status: 'needs_attention', limit: PAGE_SIZE } }),
  ]);
  if (!ctx.current()) return;

  const filter = select({ id: 'status-filter', name: 'status' }, [['', 'Any status'], ...statuses.map((s) => [s, words(s)])], status);
  const form = h('form', { class: 'filters' }, field('Status', filter), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(routeHref(['dropships'], { status: filter.value }));
  });

  fill(
    ctx.main,
    h('h1', { tabindex: -1 }, status ? `Dropships: ${words(status)}` : 'Dropships'),
    form,
    inbox
      ? section(
          'Needs attention',
          inbox.items.length ? dropshipTable('Dropships that need attention', inbox.items) : h('p', { class: 'empty' }, 'Nothing needs attention.'),
          inbox.nextCursor ? h('p', {}, h('a', { href: routeHref(['dropships'], { status: 'needs_attention' }) }, 'All dropships that need attention')) : null,
        )
      : null,
    section(
      status ? 'Matching dropships' : 'All dropships',
      page.items.length ? dropshipTable('Dropships', page.items) : h('p', { class: 'empty' }, 'No dropships here.'),
      pager(query.cursor, page.nextCursor, (cursor) => routeHref(['dropships'], { status, cursor })),
    ),
  );
}

function dropshipTable(caption, items) {
  return table(
    caption,
    ['Order', 'Status', 'Marketplace', 'Distributors', 'Purchase orders', 'Created', 'Updated'],
    items.map((d) =>
      row(
        h('a', { href: routeHref(['dropships', d.pssOrderId]) }, d.pssOrderId),
        statusBadge(d.status),
        `${d.marketplace.code} ${d.marketplace.orderId}`,
        d.distributors.join(', '),
        d.poNumbers.map((po, i) => [i ? ', ' : '', h('a', { href: routeHref(['purchase-orders', po]) }, po)]),
        when(d.createdAt),
        when(d.updatedAt),
      ),
    ),
  );
}
