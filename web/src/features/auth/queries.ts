import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api, isUnauthorized } from "../../lib/api";
import { closeSocket } from "../../lib/socket";
import type { LoginInput, LoginResult, RegisterInput, TwoFactorLoginInput } from "../../lib/types";

export const meQueryKey = ["auth", "me"] as const;

export const meQuery = queryOptions({
  queryKey: meQueryKey,
  queryFn: ({ signal }) => api.me(signal),
  staleTime: 5 * 60_000,
});

/** The signed-in user; errors with status 401 when nobody is signed in. */
export function useMe() {
  return useQuery(meQuery);
}

/**
 * After a successful sign-in or registration: drop anything cached for a
 * previous session, then load the new user before the caller navigates, so
 * the guarded page renders at once.
 */
function useStartSession() {
  const queryClient = useQueryClient();
  return async () => {
    closeSocket(); // a previous user's socket, if any
    await queryClient.cancelQueries();
    queryClient.removeQueries();
    await queryClient.prefetchQuery(meQuery);
  };
}

/** The password step: signs in, unless the account asks for a second factor. */
export function useLogin() {
  const startSession = useStartSession();
  return useMutation({
    mutationFn: (input: LoginInput) => api.login(input),
    // Its variables hold the password: once nothing watches it, drop it at once.
    gcTime: 0,
    onSuccess: async (result: LoginResult) => {
      if (!result.two_factor_required) await startSession();
    },
  });
}

/** The second step: a code from the authenticator app (or a recovery code) completes the sign-in. */
export function useLoginTwoFactor() {
  const startSession = useStartSession();
  return useMutation({
    mutationFn: (input: TwoFactorLoginInput) => api.loginTwoFactor(input),
    onSuccess: startSession,
  });
}

export function useRegister() {
  const startSession = useStartSession();
  return useMutation({
    mutationFn: (input: RegisterInput) => api.register(input),
    gcTime: 0, // its variables hold the password
    onSuccess: startSession,
  });
}

/** Signs out, forgets every cached query and goes to the sign-in page. */
export function useLogout() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: async () => {
      try {
        await api.logout();
      } catch (error) {
        // Already signed out (expired session): that's what we wanted anyway.
        if (!isUnauthorized(error)) throw error;
      }
    },
    onSuccess: async () => {
      closeSocket();
      await queryClient.cancelQueries();
      // flushSync: the signed-in pages unmount right away, so nothing can
      // re-create their queries after we drop them below.
      await navigate("/login", { replace: true, flushSync: true });
      queryClient.removeQueries();
    },
  });
}
