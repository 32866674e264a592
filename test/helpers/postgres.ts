/**
 * @module test/helpers/postgres — a real, throwaway PostgreSQL server (Debian's binaries) for
 * tests: its own data directory and port, trust auth on 127.0.0.1, stopped by PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../bench/lib/process.js';

/** Debian's PostgreSQL bin directory, newest version first, or null. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : null;
}

/** True when the PostgreSQL server binaries are installed. */
export function hasPostgres(): boolean {
  return postgresBinDir() !== null;
}


/** Spawn options that run a command as the `postgres` user when we are root (postgres refuses root). */
function asPostgres(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface PostgresServer {
  /** `postgresql://postgres@127.0.0.1:PORT/fulcrum_test` */
  url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Starts a fresh server and creates the `fulcrum_test` database. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: run scripts/install-system-deps.sh --test');
  const dir = mkdtempSync(join(tmpdir(), `fulcrum-pg-${process.pid}-`));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const user = asPostgres();
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore', cwd: dir, ...user });
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { stdio: 'ignore', cwd: dir, ...user });
    running.add(child);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`PostgreSQL did not start: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stopServer = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    // SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting for them.
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGINT');
    });
    running.delete(c);
  };

  await start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE fulcrum_test');
  await admin.end();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/fulcrum_test`,
    stop: async () => {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stopServer();
      await start();
    },
  };
}

