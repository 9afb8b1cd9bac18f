/**
 * The one client for the VaultRoom HTTP API.
 *
 * The session lives in an HttpOnly cookie set by the server, so every request
 * goes out with `credentials: "same-origin"`. The auth endpoints also return
 * the session token in their body; it is deliberately dropped here and never
 * stored anywhere by the app.
 */
import { i18n } from "../i18n";
import type {
  AuditPage,
  Conversation,
  ListUsersParams,
  LoginInput,
  LoginResult,
  Me,
  Message,
  MessagesPage,
  ReadMarker,
  RegisterInput,
  PasswordAndCode,
  Session,
  TwoFactorLoginInput,
  TwoFactorSetup,
  TwoFactorStatus,
  User,
  UsersPage,
} from "./types";

export type FieldErrors = Readonly<Record<string, string>>;

interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  fields?: FieldErrors;
  retryAfter?: number | null;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** Machine-readable snake_case code from the server (or a client fallback). */
  readonly code: string;
  /** Per-field messages, keyed by the request's field names. */
  readonly fields: FieldErrors;
  /** Seconds from a `Retry-After` header, if any. */
  readonly retryAfter: number | null;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? {};
    this.retryAfter = init.retryAfter ?? null;
  }

  get hasFieldErrors(): boolean {
    return Object.keys(this.fields).length > 0;
  }
}

/** The English fallbacks (the messages shown follow the language: apiErrors.* in i18n). */
export const GENERIC_ERROR_MESSAGE = "Something went wrong. Please try again.";
export const NETWORK_ERROR_MESSAGE = "Couldn't reach the server. Check your connection and try again.";

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

export function isUnauthorized(error: unknown): boolean {
  return isApiError(error) && error.status === 401;
}

/** A message fit to show a person for any thrown value. */
export function errorMessage(error: unknown): string {
  if (isApiError(error)) return error.message;
  return i18n.t("apiErrors.generic");
}

function fallbackMessage(status: number): string {
  if (status === 401) return i18n.t("apiErrors.unauthorized");
  if (status === 403) return i18n.t("apiErrors.forbidden");
  if (status === 404) return i18n.t("apiErrors.notFound");
  if (status === 413) return i18n.t("apiErrors.tooLarge");
  if (status === 429) return i18n.t("apiErrors.rateLimited");
  if (status >= 500) return i18n.t("apiErrors.server");
  return i18n.t("apiErrors.generic");
}

function fallbackCode(status: number): string {
  if (status === 401) return "unauthorized";
  if (status === 429) return "rate_limited";
  return `http_${status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseRetryAfter(response: Response): number | null {
  const raw = response.headers.get("Retry-After");
  if (raw === null) return null;
  const seconds = Number.parseInt(raw, 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** Builds an ApiError from a non-2xx response, whatever its body holds. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const status = response.status;
  const retryAfter = parseRetryAfter(response);
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's HTML error page, an empty body...): fall back below.
  }

  const error = isRecord(body) ? body.error : undefined;
  if (isRecord(error) && typeof error.code === "string") {
    const fields: Record<string, string> = {};
    if (isRecord(error.fields)) {
      for (const [name, message] of Object.entries(error.fields)) {
        if (typeof message === "string" && message.trim() !== "") fields[name] = message;
      }
    }
    const message =
      typeof error.message === "string" && error.message.trim() !== ""
        ? error.message
        : fallbackMessage(status);
    return new ApiError({ status, code: error.code, message, fields, retryAfter });
  }

  return new ApiError({ status, code: fallbackCode(status), message: fallbackMessage(status), retryAfter });
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  signal?: AbortSignal | undefined;
}

async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = "GET", body, signal } = options;
  const headers: Record<string, string> = { Accept: "application/json" };
  const init: RequestInit = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (signal) init.signal = signal;

  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    // Let cancellations (e.g. React Query aborting a stale search) propagate untouched.
    if (signal?.aborted) throw cause;
    throw new ApiError({ status: 0, code: "network_error", message: i18n.t("apiErrors.network") });
  }

  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;

  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError({ status: response.status, code: "invalid_response", message: i18n.t("apiErrors.generic") });
  }
}

/** The auth endpoints' bodies; only `user` leaves this module. */
interface AuthResponse {
  user: User;
  token?: string;
  expires_at?: string;
}

/** `POST /api/auth/login`: 200 with a session, or 202 asking for a second factor. */
type LoginResponse = AuthResponse | { two_factor_required: true; challenge: string; expires_at: string };

export const api = {
  async register(input: RegisterInput): Promise<User> {
    const { user } = await request<AuthResponse>("/api/auth/register", { method: "POST", body: input });
    return user;
  },

  /** Signs in, or (202) answers with a challenge to complete with `loginTwoFactor`. */
  async login(input: LoginInput): Promise<LoginResult> {
    const body = await request<LoginResponse>("/api/auth/login", { method: "POST", body: input });
    if ("two_factor_required" in body && body.two_factor_required) {
      return { two_factor_required: true, challenge: body.challenge, expires_at: body.expires_at };
    }
    return { two_factor_required: false, user: (body as AuthResponse).user };
  },

  /** The second sign-in step: a code from the authenticator app or a recovery code. */
  async loginTwoFactor(input: TwoFactorLoginInput): Promise<User> {
    const { user } = await request<AuthResponse>("/api/auth/login/2fa", { method: "POST", body: input });
    return user;
  },

  async logout(): Promise<void> {
    await request<void>("/api/auth/logout", { method: "POST" });
  },

  me(signal?: AbortSignal): Promise<Me> {
    return request<Me>("/api/auth/me", { signal });
  },

  listUsers({ q, limit, cursor, signal }: ListUsersParams = {}): Promise<UsersPage> {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (limit !== undefined) params.set("limit", String(limit));
    if (cursor) params.set("cursor", cursor);
    const query = params.toString();
    return request<UsersPage>(query ? `/api/users?${query}` : "/api/users", { signal });
  },

  getUser(id: number, signal?: AbortSignal): Promise<User> {
    return request<User>(`/api/users/${id}`, { signal });
  },

  async listSessions(signal?: AbortSignal): Promise<Session[]> {
    const { sessions } = await request<{ sessions: Session[] }>("/api/auth/sessions", { signal });
    return sessions;
  },

  /** The caller's security events (sign-ins, password changes...), newest first. */
  listAuditEvents({ limit, cursor, signal }: { limit?: number; cursor?: string | null; signal?: AbortSignal } = {}): Promise<AuditPage> {
    const params = new URLSearchParams();
    if (limit !== undefined) params.set("limit", String(limit));
    if (cursor) params.set("cursor", cursor);
    const query = params.toString();
    return request<AuditPage>(query ? `/api/auth/audit?${query}` : "/api/auth/audit", { signal });
  },

  revokeSession(id: number): Promise<void> {
    return request<void>(`/api/auth/sessions/${id}`, { method: "DELETE" });
  },

  changePassword(input: { current_password: string; new_password: string }): Promise<void> {
    return request<void>("/api/auth/password", { method: "POST", body: input });
  },

  twoFactorStatus(signal?: AbortSignal): Promise<TwoFactorStatus> {
    return request<TwoFactorStatus>("/api/auth/2fa", { signal });
  },

  /** Starts (or restarts) an enrolment; nothing changes until `enableTwoFactor`. */
  setupTwoFactor(password: string): Promise<TwoFactorSetup> {
    return request<TwoFactorSetup>("/api/auth/2fa/setup", { method: "POST", body: { password } });
  },

  /** Turns two-factor sign-in on with a first code; returns the recovery codes, shown once. */
  async enableTwoFactor(code: string): Promise<string[]> {
    const { recovery_codes } = await request<{ recovery_codes: string[] }>("/api/auth/2fa/enable", {
      method: "POST",
      body: { code },
    });
    return recovery_codes;
  },

  disableTwoFactor(input: PasswordAndCode): Promise<void> {
    return request<void>("/api/auth/2fa/disable", { method: "POST", body: input });
  },

  /** New recovery codes; the old ones stop working. */
  async regenerateRecoveryCodes(input: PasswordAndCode): Promise<string[]> {
    const { recovery_codes } = await request<{ recovery_codes: string[] }>("/api/auth/2fa/recovery-codes", {
      method: "POST",
      body: input,
    });
    return recovery_codes;
  },

  async listConversations(signal?: AbortSignal): Promise<Conversation[]> {
    const { conversations } = await request<{ conversations: Conversation[] }>("/api/conversations", { signal });
    return conversations;
  },

  getConversation(id: number, signal?: AbortSignal): Promise<Conversation> {
    return request<Conversation>(`/api/conversations/${id}`, { signal });
  },

  openDirect(userId: number): Promise<Conversation> {
    return request<Conversation>("/api/conversations/direct", { method: "POST", body: { user_id: userId } });
  },

  createGroup(title: string, memberIds: number[]): Promise<Conversation> {
    return request<Conversation>("/api/conversations/group", {
      method: "POST",
      body: { title, member_ids: memberIds },
    });
  },

  renameGroup(id: number, title: string): Promise<Conversation> {
    return request<Conversation>(`/api/conversations/${id}`, { method: "PATCH", body: { title } });
  },

  addMember(id: number, userId: number): Promise<Conversation> {
    return request<Conversation>(`/api/conversations/${id}/members`, { method: "POST", body: { user_id: userId } });
  },

  removeMember(id: number, userId: number): Promise<void> {
    return request<void>(`/api/conversations/${id}/members/${userId}`, { method: "DELETE" });
  },

  /** One page of messages, ascending by seq (see docs/protocol.md). */
  listMessages(
    id: number,
    params: { before_seq?: number; after_seq?: number; changed_after?: number; limit?: number },
    signal?: AbortSignal,
  ): Promise<MessagesPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const suffix = query.toString();
    return request<MessagesPage>(`/api/conversations/${id}/messages${suffix ? `?${suffix}` : ""}`, { signal });
  },

  async sendMessage(id: number, clientMsgId: string, body: string): Promise<Message> {
    const { message } = await request<{ message: Message }>(`/api/conversations/${id}/messages`, {
      method: "POST",
      body: { client_msg_id: clientMsgId, body },
    });
    return message;
  },

  async editMessage(id: number, body: string): Promise<Message> {
    const { message } = await request<{ message: Message }>(`/api/messages/${id}`, { method: "PATCH", body: { body } });
    return message;
  },

  async deleteMessage(id: number): Promise<Message> {
    const { message } = await request<{ message: Message }>(`/api/messages/${id}`, { method: "DELETE" });
    return message;
  },

  markRead(id: number, seq: number): Promise<ReadMarker> {
    return request<ReadMarker>(`/api/conversations/${id}/read`, { method: "POST", body: { seq } });
  },
};
