"""Identity: accounts (users and machine clients), tokens, roles and facility scope."""
