// The IP quota tests' probe (test/quota/ip-*.test.ts): a new connection from a chosen local
// address that asks ApiVersions v0 — answered, or closed first (a connection_creation_rate quota
// closes it at once) — and the short quota windows they run with.
import net from 'node:net';

/** Two windows of 1 s: a quota'd address may connect again within about two seconds. */
export const SHORT_QUOTA_WINDOWS = { 'quota.window.num': '2', 'quota.window.size.seconds': '1' };

/** Connects to 127.0.0.1:`port` from `localAddress` and asks ApiVersions v0: true if answered, false if closed first. */
export function apiVersionsAnswered(port: number, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.on('connect', () => {
      const frame = Buffer.alloc(14);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(18, 4); // ApiVersions
      frame.writeInt16BE(0, 6);
      frame.writeInt32BE(1, 8);
      frame.writeInt16BE(-1, 12); // null client id
      s.write(frame);
    });
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => {});
    s.on('close', () => resolve(false));
  });
}
