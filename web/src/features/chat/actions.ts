/**
 * Sending, retrying, editing and deleting messages over the socket (with acks),
 * falling back to REST while the socket is down. A send keeps its
 * client_msg_id for every retry, so the server stores it once.
 */
import type { QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, ApiError, isApiError } from "../../lib/api";
import type { Ack, AckError } from "../../lib/events";
import { getSocket } from "../../lib/socket";
import type { Message } from "../../lib/types";
import { i18n } from "../../i18n";
import { applyNewMessage, applyUpdatedMessage } from "../conversations/conversationList";
import { updateConversations } from "../conversations/queries";
import { addPending, applyMessages, setPendingStatus, type PendingMessage } from "./messageState";
import { checkGap, getMessages, updateMessages } from "./queries";

const ACK_TIMEOUT_MS = 10_000;

function ackError(error: AckError): ApiError {
  const status = error.code === "rate_limited" ? 429 : error.code === "unavailable" ? 503 : 400;
  return new ApiError({
    status,
    code: error.code,
    message: error.message,
    fields: error.fields ?? {},
    retryAfter: error.retry_after ?? null,
  });
}

/** One request over the socket when connected (REST otherwise), answered with a message. */
async function withMessage(
  viaSocket: (socket: NonNullable<ReturnType<typeof getSocket>>) => Promise<Ack<{ message: Message }>>,
  viaRest: () => Promise<Message>,
): Promise<Message> {
  const socket = getSocket();
  if (!socket?.connected) return viaRest();
  let answer: Ack<{ message: Message }>;
  try {
    answer = await viaSocket(socket);
  } catch {
    throw new ApiError({ status: 0, code: "timeout", message: i18n.t("common.somethingWrong") });
  }
  if (!answer.ok) throw ackError(answer.error);
  return answer.message;
}

/** Holds a message we now know is stored: in its conversation and the list's preview. */
export function receiveMessage(queryClient: QueryClient, message: Message, meId: number, visible: boolean): void {
  updateMessages(queryClient, message.conversation_id, (s) => applyMessages(s, [message]));
  updateConversations(queryClient, (list) => applyNewMessage(list, message, meId, visible));
}

function failureText(error: unknown): string {
  if (isApiError(error) && error.code === "rate_limited") {
    return i18n.t("message.rateLimited", { seconds: error.retryAfter ?? 10 });
  }
  const detail = isApiError(error) ? ` ${error.message}` : "";
  return `${i18n.t("message.sendFailed")}${detail}`;
}

/** Sends (or re-sends) a pending message; it ends either stored or marked failed. */
export async function deliver(
  queryClient: QueryClient,
  pending: PendingMessage,
  meId: number,
  attempt = 0,
): Promise<void> {
  const { conversation_id: conversationId, client_msg_id: clientMsgId, body } = pending;
  updateMessages(queryClient, conversationId, (s) => addPending(s, { ...pending, status: "sending" }));
  try {
    const message = await withMessage(
      (socket) =>
        socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck("message:send", { conversation_id: conversationId, client_msg_id: clientMsgId, body }),
      () => api.sendMessage(conversationId, clientMsgId, body),
    );
    receiveMessage(queryClient, message, meId, true);
    checkGap(queryClient, conversationId);
  } catch (error) {
    // The server was busy (503): it asks for the same send again shortly; do it once ourselves.
    if (attempt === 0 && isApiError(error) && error.code === "unavailable") {
      const seconds = Math.min(error.retryAfter ?? 1, 10);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      return deliver(queryClient, pending, meId, 1);
    }
    updateMessages(queryClient, conversationId, (s) => setPendingStatus(s, clientMsgId, "failed"));
    toast.error(failureText(error), { id: `send-failed:${clientMsgId}` });
    checkGap(queryClient, conversationId);
  }
}

export function newClientMsgId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/** Shows the message at once as "sending", then delivers it. */
export function sendMessage(queryClient: QueryClient, conversationId: number, body: string, meId: number): void {
  const pending: PendingMessage = {
    client_msg_id: newClientMsgId(),
    conversation_id: conversationId,
    body,
    created_at: new Date().toISOString(),
    status: "sending",
  };
  void deliver(queryClient, pending, meId);
}

/** Retries a failed send with the same client_msg_id. */
export function retryMessage(queryClient: QueryClient, conversationId: number, clientMsgId: string, meId: number): void {
  const pending = getMessages(queryClient, conversationId)?.pending.find((p) => p.client_msg_id === clientMsgId);
  if (pending) void deliver(queryClient, pending, meId);
}

function applyChanged(queryClient: QueryClient, message: Message): void {
  updateMessages(queryClient, message.conversation_id, (s) => applyMessages(s, [message]));
  updateConversations(queryClient, (list) => applyUpdatedMessage(list, message));
}

export async function editMessage(queryClient: QueryClient, message: Message, body: string): Promise<void> {
  const updated = await withMessage(
    (socket) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck("message:edit", { message_id: message.id, body }),
    () => api.editMessage(message.id, body),
  );
  applyChanged(queryClient, updated);
}

export async function deleteMessage(queryClient: QueryClient, message: Message): Promise<void> {
  const deleted = await withMessage(
    (socket) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck("message:delete", { message_id: message.id }),
    () => api.deleteMessage(message.id),
  );
  applyChanged(queryClient, deleted);
}
