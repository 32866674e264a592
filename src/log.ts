/** @module log — the process logger (pino, JSON lines on stderr). */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger at the given level, writing to stderr. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'fulcrum' } }, pino.destination(2));
}
