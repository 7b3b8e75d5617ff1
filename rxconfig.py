import reflex as rx

config = rx.Config(app_name="crm_app", telemetry_enabled=False)
