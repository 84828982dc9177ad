/**
 * Serving a started sidecar until a stop signal, and its listener addresses as printed: shared by
 * `run` (src/cli/run.ts) and the dev profile it starts (src/dev/profile.ts), so neither imports the
 * other (issue 14). SIGHUP reloads; SIGTERM/SIGINT drain; a second one during the drain exits 1.
 */
import type { Sidecar } from '../main.js';
import type { Logger } from '../shared/log.js';

export function describe(addresses: Sidecar['addresses']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, a] of Object.entries(addresses)) {
    if (a === undefined) continue;
    out[name] = typeof a === 'string' ? a : `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }
  return out;
}

/** Wire SIGHUP/SIGTERM/SIGINT; resolves with the exit code once stopped. */
export function serveUntilSignal(
  sidecar: Sidecar,
  log: Logger,
  drainTimeoutMs: number,
  onStopped: () => Promise<void> = async () => {},
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onHup = () => {
      log.info('SIGHUP: reloading');
      void sidecar.reloader.reload('sighup');
    };
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second stop signal: exiting without waiting for the drain');
        log.flush();
        process.exit(1);
      }
      stopping = true;
      log.info({ signal, drainTimeoutMs }, 'stop signal: draining');
      sidecar
        .stop(drainTimeoutMs)
        .then(onStopped)
        .then(
          () => finish(0),
          (err: unknown) => {
            log.error({ err }, 'error while stopping');
            finish(1);
          },
        );
    };
    const finish = (code: number) => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      log.flush(() => resolve(code));
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
}
