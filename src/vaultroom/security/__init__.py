"""Password hashing and policy, session tokens."""
