import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can drop a client's connection at a chosen message: it
 * reads the client's messages (the start-up packet, then type byte + length + body), and when a
 * simple Query's text matches what it was armed with, it
 * - 'after-forwarding': sends the query on and closes the client's side at once, as a network
 *   that fails just then would; the server's side stays open and is drained until the server has
 *   finished the message (ReadyForQuery), so the server commits what the query commits and nobody
 *   reads its replies;
 * - 'before-forwarding': closes both sides without sending it: the server never sees it.
 */
export interface DropProxy {
  /** `url` with its host and port replaced by the proxy's */
  url: string;
  arm(match: (query: string) => boolean, mode: 'after-forwarding' | 'before-forwarding'): void;
  /** whether the drop it was last armed for has happened */
  dropped(): boolean;
  /** refuse every connection made after the drop (a server that cannot be reached again) */
  refuseAfterDrop(refuse: boolean): void;
  close(): Promise<void>;
}

export async function startDropProxy(targetUrl: string): Promise<DropProxy> {
  const target = new URL(targetUrl);
  let armed: { match: (query: string) => boolean; mode: 'after-forwarding' | 'before-forwarding' } | undefined;
  let hasDropped = false;
  let refuse = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (hasDropped && refuse) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    let draining = false;
    const fromServer = messageFramer(true, (type) => {
      if (draining && type === 0x5a /* Z */) upstream.end();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (draining) fromServer(chunk);
      else client.write(chunk);
    });
    const fromClient = messageFramer(false, (type, message) => {
      if (draining) return;
      if (armed && type === 0x51 /* Q */ && armed.match(message.subarray(5, message.length - 1).toString('utf8'))) {
        const { mode } = armed;
        armed = undefined;
        hasDropped = true;
        if (mode === 'after-forwarding') {
          upstream.write(message);
          draining = true;
          client.destroy();
        } else {
          client.destroy();
          upstream.destroy();
        }
        return;
      }
      upstream.write(message);
    });
    client.on('data', (chunk: Buffer) => fromClient(chunk));
    client.on('close', () => {
      if (!draining) upstream.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    arm: (match, mode) => {
      armed = { match, mode };
      hasDropped = false;
    },
    dropped: () => hasDropped,
    refuseAfterDrop: (value) => {
      refuse = value;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Cuts a byte stream into whole protocol messages; the client's first message (the start-up
 * packet, or an SSL or cancel request) has no type byte.
 */
function messageFramer(isServer: boolean, onMessage: (type: number, message: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  let isStartup = !isServer;
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const header = isStartup ? 4 : 5;
      if (buffered.length < header) return;
      const length = isStartup ? buffered.readInt32BE(0) : buffered.readInt32BE(1) + 1;
      if (buffered.length < length) return;
      const message = buffered.subarray(0, length);
      buffered = buffered.subarray(length);
      if (isStartup) {
        // an SSLRequest (80877103) is answered with one byte before the real start-up packet
        isStartup = message.length === 8 && message.readInt32BE(4) === 80877103;
        onMessage(0, message);
      } else onMessage(message[0]!, message);
    }
  };
}
