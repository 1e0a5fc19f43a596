// What the Temporal Web UI shows for a dropship or a feed run, so an operator reads the story
// without opening JSON: a one-line summary and markdown details fixed at start, and current
// details the workflow keeps up to date. Pure functions: the API server uses them when it starts
// a run, the workflows when their state changes. Only the ship-to city reaches Temporal's
// metadata; the buyer's name and street stay in the workflow input.
import { dropshipStatus, followedByAccount, isActivePo, isOpenPo } from './decisions';
import type { FeedImportInput, FeedRunProgress } from './messages';
import type { DropshipInput, DropshipState, PurchaseOrderState } from './types';

/** Temporal keeps summaries short; longer ones are cut rather than refused. */
const SUMMARY_MAX = 200;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shipToCity(input: DropshipInput): string {
  return `${input.shipTo.city}, ${input.shipTo.state} ${input.shipTo.country}`;
}

/** `Order 1001 · ebay · 2 lines · to Austin, TX US` */
export function dropshipSummary(input: DropshipInput): string {
  return cut(`Order ${input.pssOrderId} · ${input.marketplace.code} · ${plural(input.lines.length, 'line')} · to ${shipToCity(input)}`, SUMMARY_MAX);
}

export function dropshipDetails(input: DropshipInput): string {
  const lines = input.lines.map(
    (l) => `- ${l.sku} × ${l.quantity}: default ${l.selected.distributor} ${l.selected.distributorSku} (${plural(l.candidates.length, 'candidate')})`,
  );
  return [
    `**Order** ${input.pssOrderId} on ${input.marketplace.code} (marketplace order ${input.marketplace.orderId})`,
    `**Dealer** ${input.tenantId}`,
    `**Ship to** ${shipToCity(input)} ${input.shipTo.postalCode}`,
    `**Lines**`,
    ...lines,
  ].join('\n');
}

function poLine(po: PurchaseOrderState): string {
  const shipped = po.shipments?.length ? `, ${plural(po.shipments.length, 'shipment')}` : '';
  const order = po.distributorOrderId ? `, distributor order ${po.distributorOrderId}` : '';
  const error = po.status === 'needs_attention' && po.error ? `: ${po.error.code} (${po.error.message})` : '';
  return `- ${po.poNumber} · ${po.distributor} · ${po.status}${order}${shipped}${error}`;
}

/** What the dropship waits for right now, in the dealer's words. */
export function waitingFor(input: DropshipInput, state: DropshipState, opts: { nextTrackingCheckAt?: string } = {}): string {
  const status = dropshipStatus(state);
  const active = state.purchaseOrders.filter(isActivePo);
  const attention = active.filter((p) => p.status === 'needs_attention');
  switch (status) {
    case 'awaiting_confirmation':
      return 'the dealer to confirm or cancel (POST …/confirm)';
    case 'completed':
      return 'nothing: every line shipped and every tracking number is on the marketplace';
    case 'cancelled':
    case 'expired':
      return `nothing: the dropship is ${status}`;
    case 'cancel_requested':
      return `the distributors to answer the cancellation of ${active.map((p) => p.poNumber).join(', ')}`;
    case 'submitting':
      return `the distributors to acknowledge ${active.filter((p) => p.status === 'pending' || p.status === 'submitting').map((p) => `${p.poNumber} (${p.distributor})`).join(', ') || 'the purchase orders'}`;
    case 'needs_attention':
      if (attention.length) return `a person: ${attention.map((p) => `${p.poNumber} (${p.distributor}) ${p.error?.code ?? 'needs attention'}`).join(', ')} (retry or cancel)`;
      return `a person: ${plural(state.uploads.filter((u) => u.status === 'failed').length, 'tracking upload')} to ${input.marketplace.code} failed (retry uploads)`;
    case 'shipped':
      return `tracking to be uploaded to ${input.marketplace.code}`;
    default: {
      const open = active.filter(isOpenPo);
      const next = followedByAccount(open) ? " (read with the dealer's account every interval)" : opts.nextTrackingCheckAt ? ` (next tracking check ${opts.nextTrackingCheckAt})` : '';
      return `${open.map((p) => `${p.distributor} to ship ${p.poNumber}`).join(', ')}${next}`;
    }
  }
}

export function dropshipCurrentDetails(input: DropshipInput, state: DropshipState, opts: { nextTrackingCheckAt?: string } = {}): string {
  const confirmed = state.uploads.filter((u) => u.status === 'confirmed').length;
  return [
    `**Status** ${dropshipStatus(state)}`,
    `**Waiting for** ${waitingFor(input, state, opts)}`,
    ...(state.purchaseOrders.length ? ['**Purchase orders**', ...state.purchaseOrders.map(poLine)] : []),
    ...(state.uploads.length ? [`**Tracking on ${input.marketplace.code}** ${confirmed} of ${plural(state.uploads.length, 'number')} uploaded`] : []),
    ...(state.events.length ? [`**Last event** ${state.events[state.events.length - 1].message}`] : []),
  ].join('\n');
}

export function feedRunSummary(input: FeedImportInput): string {
  return cut(`Feed import · ${input.distributor} · dealer ${input.tenantId} · ${input.trigger}`, SUMMARY_MAX);
}

export function feedRunCurrentDetails(p: FeedRunProgress): string {
  const counts = [
    `${plural(p.rowsRead, 'row')} read`,
    ...(p.itemsChanged !== undefined ? [`${plural(p.itemsChanged, 'item')} changed`] : []),
    ...(p.badRows ? [plural(p.badRows, 'bad row')] : []),
  ];
  return [`**Status** ${p.status}`, `**Progress** ${counts.join(', ')}`, ...(p.message ? [`**Message** ${p.message}`] : [])].join('\n');
}
