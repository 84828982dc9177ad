/** Promise wrappers for a plain node:net/http server's bind and close. */
import { createServer, type AddressInfo, type Server } from 'node:net';

/** A listener that could not bind, named by what an operator changes to fix it. */
export interface ListenFailure {
  readonly listener: string;
  /** The config key (or flag) that sets the port. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly code: string;
}

export function describeListenFailure(f: ListenFailure): string {
  const why = f.code === 'EADDRINUSE' ? 'already in use' : f.code === 'EACCES' ? 'permission denied' : f.code === 'EADDRNOTAVAIL' ? 'no such local address' : f.code;
  return `${f.listener} listener ${f.host.includes(':') ? `[${f.host}]` : f.host}:${f.port} (${f.key}): ${why}`;
}

/**
 * Try every fixed port before any real listener binds, so that a start that cannot bind them all
 * binds none: no gateway briefly accepts traffic only to be torn down because a later one failed.
 * Port 0 always binds and is skipped. Returns every failure, not just the first.
 */
export async function preflightPorts(wanted: ReadonlyArray<{ listener: string; key: string; host: string; port: number }>): Promise<ListenFailure[]> {
  const results = await Promise.all(
    wanted
      .filter((w) => w.port !== 0)
      .map(
        (w) =>
          new Promise<ListenFailure | undefined>((resolve) => {
            const probe = createServer();
            probe.once('error', (err: NodeJS.ErrnoException) => resolve({ ...w, code: err.code ?? String(err) }));
            probe.listen({ port: w.port, host: w.host, exclusive: true }, () => probe.close(() => resolve(undefined)));
          }),
      ),
  );
  return results.filter((r): r is ListenFailure => r !== undefined);
}

export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Close now: for helper servers with no requests worth draining (admin, dev stand-ins). */
export function closeNow(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
