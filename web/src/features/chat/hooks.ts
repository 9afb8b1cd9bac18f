import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api } from "../../lib/api";
import type { MessageEvent, TypingNotice } from "../../lib/events";
import { getSocket, useConnectionState } from "../../lib/socket";
import type { Conversation } from "../../lib/types";
import { applyOwnRead } from "../conversations/conversationList";
import { updateConversations } from "../conversations/queries";
import { hasSendingMessages, lastSeq, type MessagesState } from "./messageState";
import { fillAfter } from "./queries";

/** How long "is typing" stays up after the last notice (they come every 2 s at most). */
export const TYPING_SHOW_MS = 5000;

/** The ids of the members typing in a conversation right now. */
export function useTypingUsers(conversationId: number, meId: number): number[] {
  const [typing, setTyping] = useState<number[]>([]);
  const connection = useConnectionState();

  useEffect(() => {
    const socket = getSocket();
    if (!socket) return;
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    const stop = (userId: number) => {
      const timer = timers.get(userId);
      if (timer !== undefined) clearTimeout(timer);
      timers.delete(userId);
      setTyping((ids) => (ids.includes(userId) ? ids.filter((id) => id !== userId) : ids));
    };
    const onTyping = (notice: TypingNotice) => {
      if (notice.conversation_id !== conversationId || notice.user_id === meId) return;
      const timer = timers.get(notice.user_id);
      if (timer !== undefined) clearTimeout(timer);
      timers.set(notice.user_id, setTimeout(() => stop(notice.user_id), TYPING_SHOW_MS));
      setTyping((ids) => (ids.includes(notice.user_id) ? ids : [...ids, notice.user_id]));
    };
    const onMessage = ({ message }: MessageEvent) => {
      if (message.conversation_id === conversationId) stop(message.sender_id);
    };
    socket.on("typing", onTyping);
    socket.on("message:new", onMessage);
    return () => {
      socket.off("typing", onTyping);
      socket.off("message:new", onMessage);
      for (const timer of timers.values()) clearTimeout(timer);
      setTyping([]);
    };
  }, [conversationId, meId, connection === "idle"]);

  return typing;
}

/** Tells the others we are typing (the composer throttles the calls). */
export function emitTyping(conversationId: number): void {
  const socket = getSocket();
  if (socket?.connected) socket.emit("typing", { conversation_id: conversationId }, () => undefined);
}

function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== "hidden");
  useEffect(() => {
    const update = () => setVisible(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", update);
    return () => document.removeEventListener("visibilitychange", update);
  }, []);
  return visible;
}

/** Moves our read marker to the latest message held while the conversation is on screen. */
export function useMarkRead(conversation: Conversation, state: MessagesState | undefined): void {
  const queryClient = useQueryClient();
  const visible = usePageVisible();
  const inFlight = useRef(0);
  const seq = state ? lastSeq(state) : 0;
  const behind = seq > conversation.last_read_seq || (conversation.unread_count > 0 && seq >= conversation.last_seq);

  useEffect(() => {
    if (!visible || !behind || seq === 0 || inFlight.current >= seq) return;
    inFlight.current = seq;
    const id = conversation.id;
    const done = (answer: { last_read_seq: number; unread_count: number }) =>
      updateConversations(queryClient, (list) => applyOwnRead(list, id, answer.last_read_seq, answer.unread_count));
    const socket = getSocket();
    const request = socket?.connected
      ? socket
          .timeout(10_000)
          .emitWithAck("conversation:read", { conversation_id: id, seq })
          .then((answer) => (answer.ok ? answer : Promise.reject(new Error(answer.error.code))))
      : api.markRead(id, seq);
    request.then(done).catch(() => {
      if (inFlight.current === seq) inFlight.current = 0; // try again on the next change
    });
  }, [visible, behind, seq, conversation.id, queryClient]);
}

/**
 * Self-healing: when the list says the conversation has messages past the
 * ones held (an event was missed, or came while the first page loaded), fetch them.
 */
export function useCatchUp(conversation: Conversation, state: MessagesState | undefined): void {
  const queryClient = useQueryClient();
  const held = state ? lastSeq(state) : 0;
  const sending = state ? hasSendingMessages(state) : false;
  useEffect(() => {
    if (!state || sending || conversation.last_seq <= held) return;
    void fillAfter(queryClient, conversation.id).catch(() => undefined);
  }, [conversation.last_seq, conversation.id, held, sending, state !== undefined, queryClient]);
}
