/**
 * Socket.IO payloads, mirroring src/vaultroom/schemas/events.py (both directions).
 */
import type { ConversationState, Message } from "./types";

// Client -> server ---------------------------------------------------------

export interface SendMessageEvent {
  conversation_id: number;
  client_msg_id: string;
  body: string;
}

export interface EditMessageEvent {
  message_id: number;
  body: string;
}

export interface DeleteMessageEvent {
  message_id: number;
}

export interface ReadEvent {
  conversation_id: number;
  seq: number;
}

export interface TypingEvent {
  conversation_id: number;
}

// Server -> client ---------------------------------------------------------

/** `message:new` and `message:updated`. */
export interface MessageEvent {
  message: Message;
}

/** `conversation:updated`: no per-member `last_read_seq`/`unread_count`. */
export interface ConversationEvent {
  conversation: ConversationState;
}

/** `conversation:removed`. */
export interface ConversationRemovedEvent {
  conversation_id: number;
}

/** `conversation:read`: `unread_count` is set only on the reader's own sockets. */
export interface ReadMarkerEvent {
  conversation_id: number;
  user_id: number;
  seq: number;
  unread_count: number | null;
}

/** `typing`. */
export interface TypingNotice {
  conversation_id: number;
  user_id: number;
}

/** `presence:watch`: receive `presence` only about these users (replaces the previous set). */
export interface PresenceWatchEvent {
  user_ids: number[];
}

/** `presence`. */
export interface PresenceEvent {
  user_id: number;
  online: boolean;
  last_seen_at: string | null;
}

/** `session:revoked`. */
export interface SessionRevokedEvent {
  session_id: number;
}

/** `resync`: run the reconnect resync. */
export type ResyncRequest = Record<string, never>;

// Acks ----------------------------------------------------------------------

export interface AckError {
  code: string;
  message: string;
  fields?: Record<string, string>;
  /** Seconds to wait before retrying (`rate_limited`, `unavailable`). */
  retry_after?: number;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: AckError };

export interface ServerToClientEvents {
  "message:new": (payload: MessageEvent) => void;
  "message:updated": (payload: MessageEvent) => void;
  "conversation:updated": (payload: ConversationEvent) => void;
  "conversation:removed": (payload: ConversationRemovedEvent) => void;
  "conversation:read": (payload: ReadMarkerEvent) => void;
  typing: (payload: TypingNotice) => void;
  presence: (payload: PresenceEvent) => void;
  "session:revoked": (payload: SessionRevokedEvent) => void;
  resync: (payload: ResyncRequest) => void;
}

export interface ClientToServerEvents {
  "message:send": (payload: SendMessageEvent, ack: (answer: Ack<{ message: Message }>) => void) => void;
  "message:edit": (payload: EditMessageEvent, ack: (answer: Ack<{ message: Message }>) => void) => void;
  "message:delete": (payload: DeleteMessageEvent, ack: (answer: Ack<{ message: Message }>) => void) => void;
  "conversation:read": (
    payload: ReadEvent,
    ack: (answer: Ack<{ last_read_seq: number; unread_count: number }>) => void,
  ) => void;
  typing: (payload: TypingEvent, ack: (answer: Ack<{ relayed: boolean }>) => void) => void;
  "presence:watch": (
    payload: PresenceWatchEvent,
    ack: (answer: Ack<{ presence: PresenceEvent[] }>) => void,
  ) => void;
}
