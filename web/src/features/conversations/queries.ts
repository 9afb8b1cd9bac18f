import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, isApiError } from "../../lib/api";
import type { Conversation } from "../../lib/types";
import { mergeFreshList, sortConversations, upsertConversation } from "./conversationList";

export const conversationsKey = ["conversations"] as const;

export function fetchConversations(signal?: AbortSignal): Promise<Conversation[]> {
  return api.listConversations(signal).then(sortConversations);
}

/** The caller's conversations, most recent activity first; kept live by the socket events. */
export function useConversations() {
  return useQuery({
    queryKey: conversationsKey,
    // Merged with what is held: events that came while it loaded are not undone.
    queryFn: async ({ client, signal }) =>
      mergeFreshList(client.getQueryData<Conversation[]>(conversationsKey), await fetchConversations(signal)),
    // Events keep it fresh; a resync refetches it after every (re)connect.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function getConversations(queryClient: QueryClient): Conversation[] | undefined {
  return queryClient.getQueryData<Conversation[]>(conversationsKey);
}

/** Applies `update` to the cached list, if the list is loaded. */
export function updateConversations(
  queryClient: QueryClient,
  update: (list: Conversation[]) => Conversation[],
): void {
  queryClient.setQueryData<Conversation[]>(conversationsKey, (list) => (list ? update(list) : list));
}

/** Puts a conversation answered by the server (create, open, rename...) into the list. */
export function storeConversation(queryClient: QueryClient, conversation: Conversation, meId: number): void {
  const list = getConversations(queryClient);
  queryClient.setQueryData<Conversation[]>(conversationsKey, upsertConversation(list ?? [], conversation, meId));
}

/**
 * One conversation: from the list when it is there, else fetched on its own
 * (and then added to the list). `missing` when the server says it isn't ours.
 */
export function useConversation(id: number, meId: number) {
  const queryClient = useQueryClient();
  const list = useConversations();
  const fromList = list.data?.find((c) => c.id === id);
  const single = useQuery({
    queryKey: ["conversation", id],
    queryFn: async ({ signal }) => {
      const conversation = await api.getConversation(id, signal);
      storeConversation(queryClient, conversation, meId);
      return conversation;
    },
    enabled: list.isSuccess && !fromList && Number.isInteger(id) && id > 0,
    retry: false,
    meta: { silent: true },
    staleTime: 0,
    gcTime: 0,
  });
  const missing =
    !Number.isInteger(id) ||
    id <= 0 ||
    (list.isSuccess && !fromList && single.isError && isApiError(single.error) && single.error.status === 404);
  return {
    conversation: fromList,
    isLoading: !fromList && !missing && !single.isError,
    isError: !fromList && (single.isError || list.isError) && !missing,
    missing,
    retry: () => void (list.isError ? list.refetch() : single.refetch()),
  };
}
