// Building the page from data without markup: every value goes in as a text node or an attribute,
// never through innerHTML, so nothing an order carries (a name, an error message) becomes HTML.

/** h('a', { href, class, onclick }, 'text', child, [more]) → the element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  return fill(el, ...children);
}

/** Replaces the element's children; nested arrays are flattened and null, undefined and false left out. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

/**
 * A table inside a box that scrolls sideways, so a wide table never widens the page on a phone.
 * The box is focusable and named, so it can be scrolled with the keyboard too.
 */
export function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)),
  );
}

export const row = (...cells) => h('tr', {}, cells.map((c) => h('td', {}, c)));

/** A labelled form field: the label's `for` and the control's id tie them together. */
export function field(label, control, hint) {
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}

/** A <select>; options are [value, text] pairs. */
export function select(attrs, options, current) {
  return h('select', attrs, options.map(([value, text]) => h('option', { value, selected: value === current }, text)));
}

/** A definition list from [term, value] pairs, leaving out pairs without a value. */
export function facts(pairs) {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  return h('dl', { class: 'facts' }, shown.map(([term, v]) => h('div', {}, h('dt', {}, term), h('dd', {}, v))));
}

export const section = (title, ...children) => h('section', {}, h('h2', {}, title), children);

/** A machine code as words: needs_attention → needs attention. */
export const words = (code) => String(code).replaceAll('_', ' ');

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, words(status));
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
export const money = (n) => usd.format(n);

export const when = (iso) => h('time', { datetime: iso }, new Date(iso).toLocaleString());

export const yesNo = (b) => (b ? 'yes' : 'no');
