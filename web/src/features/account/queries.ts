import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";
import type { PasswordAndCode } from "../../lib/types";

export const sessionsKey = ["auth", "sessions"] as const;
export const auditKey = ["auth", "audit"] as const;
export const twoFactorKey = ["auth", "2fa"] as const;
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
    gcTime: 0, // its variables hold both passwords
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: sessionsKey });
      await queryClient.invalidateQueries({ queryKey: auditKey });
    },
  });
}

/** Whether two-factor sign-in is on, since when, and how many recovery codes are left. */
export function useTwoFactorStatus() {
  return useQuery({ queryKey: twoFactorKey, queryFn: ({ signal }) => api.twoFactorStatus(signal), meta: { silent: true } });
}

/** After any two-factor change: its status and the security activity have moved on. */
function useRefreshTwoFactor() {
  const queryClient = useQueryClient();
  return async () => {
    await queryClient.invalidateQueries({ queryKey: twoFactorKey });
    await queryClient.invalidateQueries({ queryKey: auditKey });
  };
}

/** Starts an enrolment (a new secret and QR code); nothing is on until `useEnableTwoFactor`. */
export function useSetupTwoFactor() {
  // gcTime 0 here and below: the variables hold the password; drop them once the form is done.
  return useMutation({ mutationFn: (password: string) => api.setupTwoFactor(password), gcTime: 0 });
}

export function useEnableTwoFactor() {
  const refresh = useRefreshTwoFactor();
  return useMutation({
    mutationFn: (code: string) => api.enableTwoFactor(code),
    onSuccess: refresh,
    gcTime: 0, // its answer holds the recovery codes
  });
}

export function useDisableTwoFactor() {
  const refresh = useRefreshTwoFactor();
  return useMutation({
    mutationFn: (input: PasswordAndCode) => api.disableTwoFactor(input),
    onSuccess: refresh,
    gcTime: 0,
  });
}

export function useRegenerateRecoveryCodes() {
  const refresh = useRefreshTwoFactor();
  return useMutation({
    mutationFn: (input: PasswordAndCode) => api.regenerateRecoveryCodes(input),
    onSuccess: refresh,
    gcTime: 0,
  });
}
