// The shape of a dropship, read from its history, for the same-steps floor to mirror: what each
// workflow task commanded (activities, local activities, timers, search-attribute upserts, patch
// markers) and which updates and signals it answered. Pure.

/** What one workflow task of the dropship did. */
export interface Step {
  /** Updates accepted in this task (the floor waits for as many before its commands). */
  updates: number;
  /** Signals received since the previous task. */
  signals: number;
  activities: number;
  localActivities: number;
  /** Timers that fired (the floor waits for them as the dropship did). */
  timers: number;
  /** The longest of those, in ms (they run side by side). */
  timerMs: number;
  /** Timers cancelled later, or left when the run ended (the floor cancels them at its next step). */
  cancelledTimers: number;
  upserts: number;
  patches: number;
}

export interface HistoryEventLike {
  /** e.g. `ActivityTaskScheduled` (the enum name without EVENT_TYPE_, in PascalCase). */
  type: string;
  markerName?: string;
  timerId?: string;
  /** TimerStarted: how long the timer was set for. */
  timerMs?: number;
}

/** EVENT_TYPE_ACTIVITY_TASK_SCHEDULED (or ActivityTaskScheduled) → ActivityTaskScheduled. */
export function eventTypeName(enumName: string): string {
  if (!enumName.includes('_')) return enumName;
  return enumName
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

export function countEvents(events: HistoryEventLike[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

const empty = (): Step => ({ updates: 0, signals: 0, activities: 0, localActivities: 0, timers: 0, timerMs: 0, cancelledTimers: 0, upserts: 0, patches: 0 });

/** Commands counted as they are, by the event that records them. */
const COMMANDS: Record<string, keyof Step> = {
  WorkflowExecutionUpdateAccepted: 'updates',
  ActivityTaskScheduled: 'activities',
  UpsertWorkflowSearchAttributes: 'upserts',
};

/** The steps of a history; tasks that commanded nothing and answered nothing are left out. */
export function shapeOf(events: HistoryEventLike[]): Step[] {
  const steps: Step[] = [];
  let current: Step | undefined;
  let signals = 0;
  const fired = new Set(events.filter((e) => e.type === 'TimerFired').map((e) => e.timerId));
  for (const e of events) {
    if (e.type === 'WorkflowTaskCompleted') {
      current = { ...empty(), signals };
      signals = 0;
      steps.push(current);
    } else if (e.type === 'WorkflowExecutionSignaled') {
      signals++;
    } else if (current && e.type === 'TimerStarted' && fired.has(e.timerId)) {
      current.timers++;
      current.timerMs = Math.max(current.timerMs, e.timerMs ?? 0);
    } else if (current && e.type === 'TimerStarted') {
      current.cancelledTimers++;
    } else if (current && e.type === 'MarkerRecorded') {
      current[e.markerName === 'core_patch' ? 'patches' : 'localActivities']++;
    } else if (current && COMMANDS[e.type]) {
      current[COMMANDS[e.type]]++;
    }
  }
  return steps.filter((s) => Object.values(s).some((n) => n > 0));
}

/** The totals a same-steps floor run has, to print beside the dropship's. */
export function totalsOf(steps: Step[]): Step {
  const t = empty();
  for (const s of steps) for (const k of Object.keys(t) as (keyof Step)[]) t[k] += s[k];
  return t;
}
