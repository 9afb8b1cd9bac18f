/**
 * The one Socket.IO connection of the app: a module-level singleton opened
 * after sign-in (by the signed-in shell) and closed on sign-out. The browser
 * authenticates it with the HttpOnly session cookie; the token never reaches
 * this code. Listeners are added and removed by hooks; this module only keeps
 * the connection state and reconnects with backoff.
 */
import { useSyncExternalStore } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "./events";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** `connecting`: first attempt; `reconnecting`: lost (or never reached) and retrying. */
export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting";

let socket: ChatSocket | null = null;
let state: ConnectionState = "idle";
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let manualAttempts = 0;
const stateListeners = new Set<() => void>();

function setState(next: ConnectionState): void {
  if (state === next) return;
  state = next;
  for (const listener of stateListeners) listener();
}

/** After the server itself closed the socket, socket.io does not retry: we do, with backoff. */
function scheduleManualReconnect(target: ChatSocket): void {
  if (retryTimer !== null) return;
  const delay = Math.min(30_000, 1000 * 2 ** manualAttempts) * (0.5 + Math.random());
  manualAttempts += 1;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (socket === target && !target.connected) target.connect();
  }, delay);
}

function onBrowserOnline(): void {
  if (socket && !socket.connected) socket.connect();
}

/** Opens the connection if it isn't open yet; returns the socket either way. */
export function openSocket(): ChatSocket {
  if (socket) return socket;
  const created: ChatSocket = io({
    path: "/socket.io",
    transports: ["websocket"],
    withCredentials: true,
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5,
  });
  socket = created;
  setState("connecting");
  created.on("connect", () => {
    manualAttempts = 0;
    setState("connected");
  });
  created.on("disconnect", (reason) => {
    setState("reconnecting");
    if (reason === "io server disconnect") scheduleManualReconnect(created);
  });
  created.on("connect_error", () => {
    setState("reconnecting");
    // A refusal by the server's middleware is not retried by socket.io itself.
    if (!created.active) scheduleManualReconnect(created);
  });
  if (typeof window !== "undefined") window.addEventListener("online", onBrowserOnline);
  return created;
}

/** The open socket, or null when signed out. */
export function getSocket(): ChatSocket | null {
  return socket;
}

/** Closes the connection (sign-out, revoked session). */
export function closeSocket(): void {
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  manualAttempts = 0;
  if (typeof window !== "undefined") window.removeEventListener("online", onBrowserOnline);
  const current = socket;
  socket = null;
  if (current) {
    current.removeAllListeners();
    current.disconnect();
  }
  setState("idle");
}

export function getConnectionState(): ConnectionState {
  return state;
}

function subscribe(listener: () => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(subscribe, getConnectionState, getConnectionState);
}
