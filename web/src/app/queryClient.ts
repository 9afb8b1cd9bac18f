import { QueryCache, QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { errorMessage, isApiError, isUnauthorized } from "../lib/api";
import { meQueryKey } from "../features/auth/queries";

interface QueryClientOptions {
  /** Retry failed queries (network errors and 5xx only). Tests turn this off. */
  retry?: boolean;
  gcTime?: number;
}

function shouldRetry(failureCount: number, error: unknown): boolean {
  // 4xx answers won't change by asking again.
  if (isApiError(error) && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

function isMeQuery(queryKey: readonly unknown[]): boolean {
  return meQueryKey.every((part, index) => queryKey[index] === part);
}

export function createQueryClient({ retry = true, gcTime }: QueryClientOptions = {}): QueryClient {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError(error, query) {
        if (isUnauthorized(error)) {
          // The session ended (expired, revoked, signed out elsewhere): re-check
          // who we are, and the auth guard sends the person to the sign-in page.
          if (!isMeQuery(query.queryKey)) void queryClient.invalidateQueries({ queryKey: meQueryKey });
          return;
        }
        // Queries that show their own error state opt out with `meta: { silent: true }`.
        if (query.meta?.silent === true) return;
        // One toast per failing query, however often it fails.
        toast.error(errorMessage(error), { id: `query-error:${query.queryHash}` });
      },
    }),
    defaultOptions: {
      queries: {
        retry: retry ? shouldRetry : false,
        staleTime: 30_000,
        ...(gcTime !== undefined ? { gcTime } : {}),
      },
      mutations: { retry: false },
    },
  });
  return queryClient;
}
