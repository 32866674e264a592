/** @module log — the process logger (pino, JSON lines on stderr). */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger at the given level, writing to stderr. */
export function createLogger(level: string): Logger {
  // Secrets never reach a log line, even if an object carrying one is logged by mistake.
  const redact = { paths: ['payload', '*.payload', 'privateKey', '*.privateKey', 'req.headers["x-auth-token"]'], censor: '[redacted]' };
  return pino({ level, base: { service: 'fulcrum' }, redact }, pino.destination(2));
}
