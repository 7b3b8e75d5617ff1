"""Kept for branches written before `field_values`: every parser lives there now."""

from crm_app.services.field_values import format_date, is_email, parse_date

__all__ = ["format_date", "is_email", "parse_date"]
