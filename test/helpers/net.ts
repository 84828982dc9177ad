/** Small socket probes for scenarios. */
import { connect } from 'node:net';

/** Whether a TCP connection to 127.0.0.1:port is accepted right now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
