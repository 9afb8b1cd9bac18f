/**
 * A fake socket.io-client for tests (setup.ts mocks the module with it): the
 * app's calls are recorded, acks answered by per-event handlers, and tests
 * play the server with `serverConnect`, `serverEmit` and `serverDisconnect`.
 */
type Listener = (...args: never[]) => void;
type AckHandler = (payload: unknown) => unknown;

export interface Emitted {
  event: string;
  payload: unknown;
}

export class FakeSocket {
  connected = false;
  active = true;
  readonly emitted: Emitted[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly handlers = new Map<string, AckHandler>([
    ["typing", () => ({ ok: true, relayed: true })],
    ["presence:watch", () => ({ ok: true, presence: [] })],
    [
      "conversation:read",
      (payload) => ({ ok: true, last_read_seq: (payload as { seq: number }).seq, unread_count: 0 }),
    ],
  ]);

  on(event: string, listener: Listener): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  off(event?: string, listener?: Listener): this {
    if (event === undefined) this.listeners.clear();
    else if (listener === undefined) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(listener);
    return this;
  }

  removeAllListeners(): this {
    return this.off();
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  emit(event: string, payload: unknown, ack?: (answer: unknown) => void): this {
    this.emitted.push({ event, payload });
    const handler = this.handlers.get(event);
    if (ack && handler) void Promise.resolve(handler(payload)).then(ack);
    return this;
  }

  timeout(_ms: number) {
    return {
      emitWithAck: (event: string, payload: unknown): Promise<unknown> => {
        this.emitted.push({ event, payload });
        const handler = this.handlers.get(event);
        if (!handler) return Promise.reject(new Error("operation has timed out"));
        return Promise.resolve(handler(payload));
      },
    };
  }

  connect(): this {
    return this;
  }

  disconnect(): this {
    this.connected = false;
    this.active = false;
    return this;
  }

  // --- the test plays the server -------------------------------------------------

  /** Answers `event` with `handler(payload)` (a value or a promise; a rejection is a timeout). */
  handle(event: string, handler: AckHandler): void {
    this.handlers.set(event, handler);
  }

  serverEmit(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) (listener as (...a: unknown[]) => void)(...args);
  }

  serverConnect(): void {
    this.connected = true;
    this.serverEmit("connect");
  }

  serverDisconnect(reason = "transport close"): void {
    this.connected = false;
    this.serverEmit("disconnect", reason);
  }

  sent(event: string): unknown[] {
    return this.emitted.filter((e) => e.event === event).map((e) => e.payload);
  }
}

export const sockets: FakeSocket[] = [];

export function io(): FakeSocket {
  const socket = new FakeSocket();
  sockets.push(socket);
  return socket;
}

/** The socket the app opened last. */
export function currentSocket(): FakeSocket {
  const socket = sockets.at(-1);
  if (!socket) throw new Error("the app has not opened a socket");
  return socket;
}
