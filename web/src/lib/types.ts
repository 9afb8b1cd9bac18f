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

/** `POST /api/auth/login` answered 202: the account asks for a second factor. */
export interface TwoFactorChallenge {
  two_factor_required: true;
  /** Opaque token for `POST /api/auth/login/2fa`; nobody is signed in yet. */
  challenge: string;
  expires_at: string;
}

/** What signing in with a password leads to: a session, or a code to ask for. */
export type LoginResult = { two_factor_required: false; user: User } | TwoFactorChallenge;

export interface TwoFactorLoginInput {
  challenge: string;
  /** A 6-digit code from the authenticator app, or a recovery code. */
  code: string;
}

/** `GET /api/auth/2fa`: the caller's two-factor sign-in. */
export interface TwoFactorStatus {
  enabled: boolean;
  enabled_at: string | null;
  recovery_codes_left: number;
}

/** `POST /api/auth/2fa/setup`: a new secret to add to an authenticator app. */
export interface TwoFactorSetup {
  /** Base32, for typing into the app by hand. */
  secret: string;
  otpauth_uri: string;
  /** A whole SVG document: shown as an image, never inserted as markup. */
  qr_svg: string;
}

/** Confirming a sensitive change: the password and a TOTP or recovery code. */
export interface PasswordAndCode {
  password: string;
  code: string;
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
  | "two_factor_challenge"
  | "two_factor_enabled"
  | "two_factor_disabled"
  | "recovery_code_used"
  | "recovery_codes_renewed";

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
