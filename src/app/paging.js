// Forward paging over the API's opaque cursors: the API pages newest first and hands out only the
// next cursor, so a list offers "Older" and a way back to the newest page.
import { h } from './dom.js';

export function pager(cursor, nextCursor, href) {
  if (!cursor && !nextCursor) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: href(undefined) }, 'Newest') : null,
    nextCursor ? h('a', { href: href(nextCursor), rel: 'next' }, 'Older') : null,
  );
}
