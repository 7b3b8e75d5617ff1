"""The session cookie's name, shared by the Reflex auth state and the API routes."""

SESSION_COOKIE = "crm_session"
