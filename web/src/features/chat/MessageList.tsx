import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Spinner } from "../../components/ui/Spinner";
import { ArrowDownIcon } from "../../components/ui/icons";
import { useLanguage } from "../../i18n";
import { formatDay } from "../../lib/time";
import type { Conversation, Message } from "../../lib/types";
import { displayName } from "../conversations/conversationList";
import { useUsersById } from "../people/queries";
import { MessageItem } from "./MessageItem";
import type { MessagesState } from "./messageState";
import { buildTimeline, seenSeq } from "./timeline";

/** Within this many pixels of an edge counts as being at it. */
const EDGE_PX = 120;

interface MessageListProps {
  conversation: Conversation;
  meId: number;
  state: MessagesState;
  onLoadOlder: () => Promise<void>;
  onRetry: (clientMsgId: string) => void;
  onEdit: (message: Message, body: string) => Promise<boolean>;
  onDelete: (message: Message) => void;
}

export function MessageList({ conversation, meId, state, onLoadOlder, onRetry, onEdit, onDelete }: MessageListProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const scrollerRef = useRef<HTMLDivElement>(null);
  const stickRef = useRef(true);
  const prevRef = useRef<{ first: number | undefined; last: string | undefined; height: number } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [newBelow, setNewBelow] = useState(false);
  const [atBottom, setAtBottom] = useState(true);

  const rows = useMemo(() => buildTimeline(state, meId), [state, meId]);
  // Authors who are no longer members (they left or were removed) are looked up by id.
  const formerIds = useMemo(() => {
    const current = new Set(conversation.members.map((m) => m.id));
    const ids = new Set<number>();
    for (const row of rows) if (row.type === "item" && !current.has(row.senderId)) ids.add(row.senderId);
    return [...ids].sort((a, b) => a - b);
  }, [rows, conversation.members]);
  const formerMembers = useUsersById(formerIds);
  const membersById = useMemo(() => {
    const byId = new Map<number, { display_name: string | null; username: string }>(
      conversation.members.map((m) => [m.id, m]),
    );
    for (const result of formerMembers) if (result.data) byId.set(result.data.id, result.data);
    return byId;
  }, [conversation.members, formerMembers]);
  const other = conversation.kind === "direct" ? conversation.memberships.find((m) => m.user_id !== meId) : undefined;
  const seen = other ? seenSeq(state.messages, meId, other.last_read_seq) : null;

  const firstSeq = state.messages[0]?.seq;
  const lastRow = rows.at(-1);
  const lastKey = lastRow?.type === "item" ? lastRow.key : undefined;
  const lastIsMine = lastRow?.type === "item" && lastRow.senderId === meId;

  const scrollToBottom = useCallback((smooth = false) => {
    const el = scrollerRef.current;
    if (!el) return;
    if (smooth && typeof el.scrollTo === "function") el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
    else el.scrollTop = el.scrollHeight;
    stickRef.current = true;
  }, []);

  const loadOlder = useCallback(() => {
    if (loadingOlder || !state.hasOlder) return;
    setLoadingOlder(true);
    onLoadOlder()
      .catch(() => undefined)
      .finally(() => setLoadingOlder(false));
  }, [loadingOlder, state.hasOlder, onLoadOlder]);

  // Keep the view where it should be as messages come and go.
  useLayoutEffect(() => {
    const el = scrollerRef.current;
    if (!el) return;
    const prev = prevRef.current;
    if (!prev) {
      el.scrollTop = el.scrollHeight; // open at the latest message
    } else {
      if (firstSeq !== prev.first && prev.first !== undefined && !stickRef.current) {
        el.scrollTop += el.scrollHeight - prev.height; // older page above: keep what was on screen
      }
      if (lastKey !== prev.last) {
        if (stickRef.current || lastIsMine) scrollToBottom();
        else setNewBelow(true);
      }
    }
    prevRef.current = { first: firstSeq, last: lastKey, height: el.scrollHeight };
  }, [firstSeq, lastKey, lastIsMine, scrollToBottom]);

  // A first page that doesn't fill the screen can't be scrolled up: load more at once.
  useEffect(() => {
    const el = scrollerRef.current;
    // (Only with a real layout: a hidden list has no height.)
    if (el && state.hasOlder && el.clientHeight > 0 && el.scrollHeight <= el.clientHeight + EDGE_PX) loadOlder();
  }, [state.hasOlder, firstSeq, loadOlder]);

  // Stay at the bottom when the pane resizes (composer grows, keyboard opens).
  useEffect(() => {
    const el = scrollerRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (stickRef.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    const el = scrollerRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX;
    stickRef.current = bottom;
    if (prevRef.current) prevRef.current.height = el.scrollHeight;
    if (bottom !== atBottom) setAtBottom(bottom);
    if (bottom) setNewBelow(false);
    if (el.scrollTop < EDGE_PX) loadOlder();
  };

  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      <div
        ref={scrollerRef}
        role="log"
        aria-label={t("conversation.messages")}
        aria-live="off"
        data-testid="message-scroller"
        tabIndex={0}
        onScroll={onScroll}
        className="min-h-0 flex-1 overflow-y-auto py-3 [overflow-anchor:none] focus-visible:-outline-offset-2"
      >
        <div className="flex justify-center py-2 text-xs text-slate-500 dark:text-slate-400">
          {state.hasOlder ? (
            loadingOlder ? <Spinner label={t("conversation.loadingOlder")} /> : <span className="h-4" />
          ) : state.messages.length > 0 ? (
            <span>{t("conversation.beginning")}</span>
          ) : null}
        </div>
        {rows.length === 0 && (
          <p className="px-6 py-12 text-center text-sm text-slate-600 dark:text-slate-400">{t("conversation.empty")}</p>
        )}
        {rows.map((row) =>
          row.type === "day" ? (
            <div key={row.key} className="my-3 flex items-center gap-3 px-4" role="presentation">
              <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
              <span className="text-xs font-medium text-slate-500 dark:text-slate-400">{formatDay(row.iso, language)}</span>
              <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
            </div>
          ) : (
            <MessageItem
              key={row.key}
              item={row.item}
              mine={row.senderId === meId}
              senderName={senderName(membersById.get(row.senderId))}
              showName={conversation.kind === "group"}
              startsGroup={row.startsGroup}
              endsGroup={row.endsGroup}
              seen={row.item.kind === "message" && row.item.message.seq === seen}
              onRetry={onRetry}
              onEdit={onEdit}
              onDelete={onDelete}
            />
          ),
        )}
      </div>
      {newBelow && !atBottom && (
        <button
          type="button"
          onClick={() => {
            setNewBelow(false);
            scrollToBottom(true);
          }}
          className="absolute bottom-3 left-1/2 inline-flex -translate-x-1/2 items-center gap-1.5 rounded-full bg-brand-600 px-4 py-1.5 text-sm font-medium text-white shadow-lg hover:bg-brand-700 dark:bg-brand-500 dark:text-slate-950"
        >
          <ArrowDownIcon className="size-4" />
          {t("conversation.jumpToLatest")}
        </button>
      )}
    </div>
  );
}

function senderName(user: { display_name: string | null; username: string } | undefined): string {
  return user ? displayName(user) : "?";
}
