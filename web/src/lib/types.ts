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
