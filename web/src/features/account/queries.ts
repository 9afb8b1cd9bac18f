import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";

export const sessionsKey = ["auth", "sessions"] as const;
export const auditKey = ["auth", "audit"] as const;
export const AUDIT_PAGE_SIZE = 20;

/** The caller's security activity, newest first, a page at a time. */
export function useSecurityActivity() {
  return useInfiniteQuery({
    queryKey: auditKey,
    queryFn: ({ pageParam, signal }) => api.listAuditEvents({ limit: AUDIT_PAGE_SIZE, cursor: pageParam, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor ?? undefined,
    meta: { silent: true },
  });
}

export function useSessions() {
  return useQuery({ queryKey: sessionsKey, queryFn: ({ signal }) => api.listSessions(signal), meta: { silent: true } });
}

export function useRevokeSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.revokeSession(id),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: sessionsKey });
      await queryClient.invalidateQueries({ queryKey: auditKey });
    },
  });
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { current_password: string; new_password: string }) => api.changePassword(input),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: sessionsKey });
      await queryClient.invalidateQueries({ queryKey: auditKey });
    },
  });
}
