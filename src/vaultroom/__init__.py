"""VaultRoom: self-hosted, secure, real-time chat."""
