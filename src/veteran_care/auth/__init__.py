"""Who is calling, for every domain: the principal, the role matrix, the ``allow()``
dependency, token checks and password hashing. Accounts themselves are ``identity``'s."""
