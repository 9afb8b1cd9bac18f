import type { Conversation, Message } from "../lib/types";
import { json, makeMe, mockApi, noContent, type Handler } from "./server";

/** A signed-in fake API with conversations and their messages (served by seq). */
export function chatApi(
  conversations: Conversation[],
  messages: Record<number, Message[]> = {},
  overrides: Record<string, Handler> = {},
) {
  const routes: Record<string, Handler> = {
    "GET /api/auth/me": () => json(200, makeMe()),
    "POST /api/auth/logout": noContent,
    "GET /api/conversations": () => json(200, { conversations }),
    "GET /api/users": () => json(200, { users: [], next_cursor: null }),
  };
  for (const conversation of conversations) {
    routes[`GET /api/conversations/${conversation.id}`] = () => json(200, conversation);
    routes[`GET /api/conversations/${conversation.id}/messages`] = ({ url }) => {
      const all = messages[conversation.id] ?? [];
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const after = url.searchParams.get("after_seq");
      const before = url.searchParams.get("before_seq");
      const changed = url.searchParams.get("changed_after");
      if (changed !== null) {
        const list = all.filter((m) => m.change_seq > Number(changed)).sort((a, b) => a.change_seq - b.change_seq);
        return json(200, { messages: list.slice(0, limit), has_more: list.length > limit });
      }
      if (after !== null) {
        const list = all.filter((m) => m.seq > Number(after));
        return json(200, { messages: list.slice(0, limit), has_more: list.length > limit });
      }
      const list = before !== null ? all.filter((m) => m.seq < Number(before)) : all;
      return json(200, { messages: list.slice(-limit), has_more: list.length > limit });
    };
  }
  return mockApi({ ...routes, ...overrides });
}
