"""Accounts of the monitoring store: users with roles, API tokens, login sessions
(``ebpm.accounts.service``)."""
