"""Passwordless sign-in for the web pages: invitations, e-mailed links and server-side sessions."""
