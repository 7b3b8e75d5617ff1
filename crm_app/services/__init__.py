"""Plain-Python business services. Never import Reflex here."""
