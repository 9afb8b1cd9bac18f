import { infiniteQueryOptions, keepPreviousData, useInfiniteQuery, useQueries } from "@tanstack/react-query";
import { api } from "../../lib/api";

export const PEOPLE_PAGE_SIZE = 20;

export function peopleQuery(q: string) {
  return infiniteQueryOptions({
    queryKey: ["users", "list", { q }] as const,
    queryFn: ({ pageParam, signal }) =>
      api.listUsers({ q, limit: PEOPLE_PAGE_SIZE, cursor: pageParam, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor ?? undefined,
  });
}

/** Everyone but the caller, optionally narrowed by a username prefix. */
export function usePeople(q: string) {
  return useInfiniteQuery({ ...peopleQuery(q), placeholderData: keepPreviousData });
}

/** Users looked up one by one (e.g. the authors of messages who have since left a group). */
export function useUsersById(ids: readonly number[]) {
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: ["users", "one", id] as const,
      queryFn: ({ signal }: { signal: AbortSignal }) => api.getUser(id, signal),
      staleTime: 5 * 60_000,
      retry: false,
    })),
  });
}
