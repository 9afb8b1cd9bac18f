"""Use cases: authorization, validation of business rules, and the transaction."""
