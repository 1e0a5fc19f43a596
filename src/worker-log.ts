// Worker log context: every activity log line (ours and the SDK's "Activity failed") carries the
// dropship's order id and PO number next to the workflow id the SDK already adds, and each entry
// is printed as one JSON line so a log pipeline can search by any of them.
import type { ActivityInterceptorsFactory, LogEntry } from '@temporalio/worker';

/** The order id and PO number an activity input names (every dropship activity takes one object). */
export function dropshipLogFields(input: unknown): { orderId?: string; poNumber?: string } {
  if (!input || typeof input !== 'object') return {};
  const { pssOrderId, poNumber } = input as { pssOrderId?: unknown; poNumber?: unknown };
  return {
    ...(typeof pssOrderId === 'string' ? { orderId: pssOrderId } : {}),
    ...(typeof poNumber === 'string' ? { poNumber } : {}),
  };
}

/**
 * Adds orderId and poNumber from the activity's input to every log line of the activity, and
 * leaves out the SDK's taskToken: it would let a reader of the logs complete the activity.
 */
export const activityLogContext: ActivityInterceptorsFactory = () => {
  let fields = {};
  return {
    inbound: {
      async execute(input, next) {
        fields = dropshipLogFields(input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: ({ taskToken: _capability, ...attrs }, next) => next({ ...attrs, ...fields }),
    },
  };
};

/** Errors as their name, message and stack (JSON.stringify would print `{}`), bigints as text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const type = (value as { type?: unknown }).type;
    return { name, message, ...(typeof type === 'string' ? { type } : {}), stack };
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

/** One log entry as one JSON line: time, level, message, then every attribute. */
export function jsonLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return `${JSON.stringify({ time, level: entry.level, message: entry.message, ...entry.meta }, jsonValue)}\n`;
}

/** The DefaultLogger log function of the worker process: JSON lines on stderr. */
export function jsonLogFunction(entry: LogEntry): void {
  process.stderr.write(jsonLogLine(entry));
}
