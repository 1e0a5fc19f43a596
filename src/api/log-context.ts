// Request log context: a request about a dropship or a PO logs its workflow id, order id and PO
// number on every line, "request completed" included, so one search finds the server's lines
// next to the worker's (which carry the same three).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dropshipWorkflowId } from '../../workflows/messages';

/** Binds the known fields to the request's logger and to the reply's (which logs the completion). */
export function bindLogContext(req: FastifyRequest, reply: FastifyReply, fields: { workflowId?: string; orderId?: string; poNumber?: string }): void {
  req.log = req.log.child(Object.fromEntries(Object.entries(fields).filter(([, v]) => v)));
  reply.log = req.log;
}

/** The dropship's context for a tenant route, once the tenant is known and `tenantId` owns `orderId`. */
export function dropshipContext(tenantId: string, orderId: string) {
  return { workflowId: dropshipWorkflowId(tenantId, orderId), orderId };
}

/** preHandler for the dropship routes: the order id is in the path, or in the body of a create. */
export async function dropshipLogContext(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const fromPath = (req.params as { pssOrderId?: unknown } | undefined)?.pssOrderId;
  const fromBody = (req.body as { pssOrderId?: unknown } | undefined)?.pssOrderId;
  const orderId = typeof fromPath === 'string' ? fromPath : typeof fromBody === 'string' ? fromBody : undefined;
  if (orderId && req.tenant) bindLogContext(req, reply, dropshipContext(req.tenant.id, orderId));
}

/** preHandler for the PO routes: the PO number is in the path; the handler adds the order once it has read it. */
export async function purchaseOrderLogContext(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const poNumber = (req.params as { poNumber?: unknown } | undefined)?.poNumber;
  if (typeof poNumber === 'string') bindLogContext(req, reply, { poNumber });
}
