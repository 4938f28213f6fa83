"""Agent accounts: passwords, sessions, throttled logins, and the `users` command."""
