// CPU of a process tree from /proc. A tree's CPU is every live member's own time plus the time of
// members it has already reaped (cutime/cstime), so a Postgres backend that came and went between
// two samples is still counted, through the postmaster.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

/** Linux's USER_HZ: 100 on every architecture Node runs on. */
export const TICKS_PER_SECOND = 100;

/**
 * Parses one /proc/<pid>/stat line. The command name is in parentheses and may itself hold spaces
 * and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(line: string): ProcStat {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, line.indexOf(' ')));
  // after ')': state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17)
  const rest = line.slice(close + 2).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  return { pid, ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
}

/** Every live process (a process that exits while being read is skipped). */
function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push(parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The pids of `roots` and all their descendants among `procs`. */
export function treeOf(procs: ProcStat[], roots: number[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const seen = new Set<number>();
  const out: ProcStat[] = [];
  const stack = procs.filter((p) => roots.includes(p.pid));
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** CPU seconds used so far by each named tree, read in one pass over /proc. */
export function cpuSeconds(trees: Record<string, number[]>): Record<string, number> {
  const procs = allProcesses();
  return Object.fromEntries(Object.entries(trees).map(([name, roots]) => [name, treeOf(procs, roots).reduce((s, p) => s + p.ticks, 0) / TICKS_PER_SECOND]));
}
