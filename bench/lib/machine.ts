/** @module bench/lib/machine — what every bench prints about the machine a figure was measured on. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';

/** /proc/loadavg's first three fields (1, 5 and 15 min), as printed. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** The machine, in the words a report needs: CPU model and count, memory, kernel. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
}

export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(),
  };
}

/** "2 × Intel Xeon …, 24 GB, Linux 6.1" */
export function formatMachine(m: Machine): string {
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Linux ${m.kernel}`;
}
