/**
 * Log-line throttling for events a client can repeat at will (rejected requests, refused
 * connections): at most one line per key per interval, the line carrying how many were suppressed
 * since the last one. Counters carry the full numbers; the log keeps its signal without letting a
 * storm (hundreds of thousands of identical lines a minute) fill the disk.
 */
export type LogThrottle = (key: string) => number | undefined;

/**
 * Returns the number of lines suppressed since the last one when a line may be written now, or
 * undefined while the key is throttled. `now` is injectable for tests.
 */
export function createLogThrottle(intervalMs: number, now: () => number = Date.now): LogThrottle {
  const state = new Map<string, { at: number; suppressed: number }>();
  return (key) => {
    const t = now();
    const s = state.get(key);
    if (s && t - s.at < intervalMs) {
      s.suppressed++;
      return undefined;
    }
    const suppressed = s?.suppressed ?? 0;
    if (s) {
      s.at = t;
      s.suppressed = 0;
    } else state.set(key, { at: t, suppressed: 0 });
    return suppressed;
  };
}
