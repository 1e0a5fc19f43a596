// The benchmark's pure helpers: percentiles, /proc stat parsing and process trees, Prometheus
// sums, statement classes, the history shape the same-steps floor mirrors, and the ratio table.
import { parseProcStat, treeOf } from '../../bench/proc';
import { eventTypeName, shapeOf, totalsOf } from '../../bench/shape';
import { fmt, formatRatioTable, isWriteStatement, percentile, ratio, sumMetric } from '../../bench/stats';

describe('percentile', () => {
  it('is the nearest rank, whatever the order of the values', () => {
    const values = [50, 10, 40, 20, 30, 60, 70, 80, 90, 100];
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(100);
    expect(percentile(values, 0)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('parseProcStat', () => {
  it('reads pid, ppid and utime+stime+cutime+cstime, even with spaces and parentheses in the name', () => {
    const line = '4242 (node (tsx) x) S 4200 4242 4200 0 -1 4194304 1234 0 0 0 150 25 7 3 20 0 11 0 9999 1000000 5000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 4200, ticks: 150 + 25 + 7 + 3 });
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseProcStat('garbage')).toThrow(/not a \/proc stat line/);
  });

  it('sums a tree: the roots and every descendant, nobody else', () => {
    const procs = [
      { pid: 1, ppid: 0, ticks: 1000 },
      { pid: 10, ppid: 1, ticks: 5 },
      { pid: 11, ppid: 10, ticks: 7 },
      { pid: 12, ppid: 11, ticks: 11 },
      { pid: 20, ppid: 1, ticks: 13 },
    ];
    expect(treeOf(procs, [10]).map((p) => p.pid).sort()).toEqual([10, 11, 12]);
    expect(treeOf(procs, [10, 20]).reduce((s, p) => s + p.ticks, 0)).toBe(5 + 7 + 11 + 13);
    expect(treeOf(procs, [99])).toEqual([]);
  });
});

describe('sumMetric', () => {
  const text = [
    '# HELP service_requests requests',
    '# TYPE service_requests counter',
    'service_requests{namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 12',
    'service_requests{namespace="default",operation="RespondWorkflowTaskCompleted",service_name="history"} 3',
    'service_requests{namespace="default",operation="RespondActivityTaskCompleted",service_name="frontend"} 5',
    'service_requests_total 99',
  ].join('\n');

  it('adds the samples whose labels match, and only that metric', () => {
    expect(sumMetric(text, 'service_requests', { operation: 'RespondWorkflowTaskCompleted' })).toBe(15);
    expect(sumMetric(text, 'service_requests', { operation: 'RespondWorkflowTaskCompleted', service_name: 'frontend' })).toBe(12);
    expect(sumMetric(text, 'service_requests')).toBe(20);
    expect(sumMetric(text, 'nothing_here')).toBe(0);
  });
});

describe('isWriteStatement', () => {
  it.each([
    ['insert into dropships (id) values ($1)', true],
    ['UPDATE purchase_orders SET status = $1 WHERE po_number = $2', true],
    ['update "dropships" d set version = $1', true],
    ['DELETE FROM external_calls WHERE at < $1', true],
    ['WITH x AS (INSERT INTO call_log (a) VALUES ($1) RETURNING *) SELECT * FROM x', true],
    ['SELECT * FROM purchase_orders WHERE po_number = $1 FOR UPDATE', false],
    ['select updated_at from dropships', false],
  ])('%s → %s', (query, write) => expect(isWriteStatement(query)).toBe(write));
});

describe('shapeOf', () => {
  // "Marker:<name>" and "Timer<Started|Fired>:<id>" carry a marker name or a timer id
  const h = (...types: string[]) =>
    types.map((t) => {
      const [type, arg] = t.split(':');
      if (type === 'Marker') return { type: 'MarkerRecorded', markerName: arg };
      return arg ? { type, timerId: arg, timerMs: type === 'TimerStarted' ? 1000 * Number(arg) : undefined } : { type };
    });

  it('names event types the way the history JSON spells them', () => {
    expect(eventTypeName('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toBe('ActivityTaskScheduled');
    expect(eventTypeName('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toBe('WorkflowExecutionUpdateAccepted');
    expect(eventTypeName('TimerStarted')).toBe('TimerStarted');
  });

  it('groups commands by the workflow task that issued them, with the updates and signals it answered and which timers fired', () => {
    const steps = shapeOf(
      h(
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'Marker:core_patch',
        'TimerStarted:1',
        'TimerStarted:2',
        'ActivityTaskScheduled',
        'Marker:core_local_activity',
        'UpsertWorkflowSearchAttributes',
        'ActivityTaskStarted',
        'ActivityTaskCompleted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'TimerFired:2',
        'WorkflowExecutionSignaled',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'WorkflowExecutionUpdateAccepted',
        'TimerCanceled',
        'ActivityTaskScheduled',
        'ActivityTaskScheduled',
        'WorkflowExecutionCompleted',
      ),
    );
    expect(steps).toEqual([
      { updates: 0, signals: 0, activities: 1, localActivities: 1, timers: 1, timerMs: 2000, cancelledTimers: 1, upserts: 1, patches: 1 },
      { updates: 1, signals: 1, activities: 2, localActivities: 0, timers: 0, timerMs: 0, cancelledTimers: 0, upserts: 0, patches: 0 },
    ]);
    expect(totalsOf(steps)).toEqual({ updates: 1, signals: 1, activities: 3, localActivities: 1, timers: 1, timerMs: 2000, cancelledTimers: 1, upserts: 1, patches: 1 });
  });
});

describe('the ratio table', () => {
  it('formats figures to three significant digits and ratios as engine ÷ floor', () => {
    expect(fmt(1234.5)).toBe('1,235');
    expect(fmt(12.345)).toBe('12.3');
    expect(fmt(0.7234)).toBe('0.723');
    expect(fmt(undefined)).toBe('—');
    expect(ratio(7.2, 10)).toBe('0.72×');
    expect(ratio(39, 3)).toBe('13×');
    expect(ratio(1, 0)).toBe('—');
    expect(ratio(undefined, 3)).toBe('—');
  });

  it('puts both floors first, then each engine configuration with its ratio to each floor', () => {
    const text = formatRatioTable({
      title: '50 concurrent',
      engines: ['engine, 1 dealer', 'engine, 50 dealers'],
      rows: [
        { figure: 'dropships per second', engine: [1, 7.2], sameSteps: 10, minimal: 20 },
        { figure: 'Postgres statements per run', engine: [39, 40] },
      ],
    });
    expect(text.split('\n')).toEqual([
      '### 50 concurrent',
      '',
      '| figure | same-steps floor | minimal floor | engine, 1 dealer | ÷ same-steps | ÷ minimal | engine, 50 dealers | ÷ same-steps | ÷ minimal |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| dropships per second | 10 | 20 | 1 | 0.10× | 0.05× | 7.2 | 0.72× | 0.36× |',
      '| Postgres statements per run | — | — | 39 | — | — | 40 | — | — |',
    ]);
  });
});
