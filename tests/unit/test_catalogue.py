"""The message catalogue and the code agree: every key is used somewhere, every key the code asks for
exists, in both locales (read with ast, so a key in a comment or a docstring does not count)."""

from __future__ import annotations

import ast
from pathlib import Path

from crm_app.i18n import LOCALES, MESSAGES

ROOT = Path(__file__).resolve().parents[2]
# Calls whose first argument is a catalogue key; UserError's subclasses are found in the code.
KEY_CALLS = {"t", "_t", "UserError"}


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted((ROOT / "crm_app").rglob("*.py"))
            if p.name != "i18n.py"]


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _strings(trees: list[tuple[Path, ast.Module]]) -> tuple[set[str], set[str]]:
    """Every string literal, and the constant start of every built string (f"op.{x}", "op." + x)."""
    literals: set[str] = set()
    prefixes: set[str] = set()
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.add(str(node.values[0].value))
            elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant)
                  and isinstance(node.left.value, str)):
                prefixes.add(node.left.value)
    return literals, {p for p in prefixes if p.endswith(".") and p.count(".") >= 1}


def _asked_for(trees: list[tuple[Path, ast.Module]]) -> list[tuple[str, int, str]]:
    """(file, line, key) for each literal key given to t(), _t(), a UserError (or subclass), or tr[...]."""
    calls = set(KEY_CALLS)
    for _ in range(3):  # subclasses of subclasses
        for _, tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and any(_name(b) in calls for b in node.bases):
                    calls.add(node.name)
    found = []
    for path, tree in trees:
        for node in ast.walk(tree):
            key = None
            if (isinstance(node, ast.Call) and _name(node.func) in calls and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                key = node.args[0].value
            elif (isinstance(node, ast.Subscript) and _name(node.value) == "tr"
                  and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
                key = node.slice.value
            if key is not None:
                found.append((str(path.relative_to(ROOT)), node.lineno, key))
    return found


def test_both_locales_have_the_same_keys() -> None:
    for locale in LOCALES:
        assert set(MESSAGES[locale]) == set(MESSAGES["vi"]), locale


def test_every_catalogue_key_is_used_somewhere() -> None:
    literals, prefixes = _strings(_trees())
    unused = [k for k in MESSAGES["vi"] if k not in literals and not any(k.startswith(p) for p in prefixes)]
    assert unused == []


def test_every_key_the_code_asks_for_exists_in_both_locales() -> None:
    asked = _asked_for(_trees())
    assert len(asked) > 300  # the scan sees the code's keys
    for locale in LOCALES:
        assert [a for a in asked if a[2] not in MESSAGES[locale]] == [], locale


def test_a_message_may_have_a_key_placeholder(sqlite_engine) -> None:
    """UserError(key, /, **params): adding a custom field whose key exists said «key» twice to
    UserError and crashed with a TypeError (found by mypy) instead of the message."""
    import pytest

    from crm_app.db import write_session
    from crm_app.i18n import UserError
    from crm_app.models import User
    from crm_app.services import field_settings
    from crm_app.services.auth import Actor
    from crm_app.services.demo import ensure_demo_users

    with write_session(sqlite_engine) as s:
        admin = Actor.of(s.get(User, ensure_demo_users(session=s)["admin"]))
        field_settings.add_custom_field(s, admin, key="nganh", label_vi="Ngành", label_en="Industry",
                                        field_type="text")
    with write_session(sqlite_engine) as s, pytest.raises(UserError) as caught:
        field_settings.add_custom_field(s, admin, key="nganh", label_vi="Ngành 2", label_en="", field_type="text")
    assert caught.value.message("vi") == "Mã trường «nganh» đã tồn tại."
    assert caught.value.message("en") == "The field key «nganh» already exists."
