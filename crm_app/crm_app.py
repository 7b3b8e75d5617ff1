import reflex as rx
from fastapi import FastAPI

api = FastAPI()

@api.get("/api/health")
def health():
    return {"ok": True}

def index():
    return rx.text("hello")

app = rx.App(api_transformer=api)
app.add_page(index)
