/** Object shapes of the VaultRoom JSON API. Times are ISO 8601 UTC strings. */

export type Role = "user" | "moderator" | "admin";

export interface User {
  id: number;
  username: string;
  display_name: string | null;
  role: Role;
  online: boolean;
  last_seen_at: string | null;
  created_at: string;
}

/** The signed-in user, as returned by `GET /api/auth/me`. */
export interface Me extends User {
  email: string;
}

export interface UsersPage {
  users: User[];
  next_cursor: string | null;
}

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  display_name?: string;
}

export interface LoginInput {
  /** Username or email address. */
  login: string;
  password: string;
}

export interface ListUsersParams {
  q?: string;
  limit?: number;
  cursor?: string | null;
  signal?: AbortSignal;
}

/** Every error response of the API has this body. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string>;
  };
}

export interface Session {
  id: number;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

/** What an audit log entry records (`GET /api/auth/audit`). */
export type AuditKind =
  | "register"
  | "login_success"
  | "login_failure"
  | "logout"
  | "password_change"
  | "session_revoked"
  | "role_change"
  | "two_factor_enabled"
  | "two_factor_disabled"
  | "recovery_code_used";

export interface AuditEvent {
  id: number;
  user_id: number | null;
  kind: AuditKind;
  created_at: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, string | number | boolean | null>;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

export type ConversationKind = "direct" | "group";
export type MemberRole = "owner" | "admin" | "member";

export interface Membership {
  user_id: number;
  role: MemberRole;
  last_read_seq: number;
  joined_at: string;
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  sender_id: number;
  client_msg_id: string;
  body: string;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  /** 0 until edited or deleted; of two copies, the higher one is newer. */
  change_seq: number;
}

/** What every member sees alike (the payload of `conversation:updated`). */
export interface ConversationState {
  id: number;
  kind: ConversationKind;
  title: string | null;
  members: User[];
  memberships: Membership[];
  last_message: Message | null;
  last_seq: number;
  last_change_seq: number;
  created_at: string;
}

/** A conversation as the caller sees it. */
export interface Conversation extends ConversationState {
  last_read_seq: number;
  unread_count: number;
}

export interface MessagesPage {
  messages: Message[];
  has_more: boolean;
}

export interface ReadMarker {
  conversation_id: number;
  last_read_seq: number;
  unread_count: number;
}
