"""Encryption of provider secrets kept in the database (the Zalo OA's OAuth tokens).

A database dump or backup alone must not hand out a working token: tokens are encrypted with
Fernet (AES-CBC + HMAC, from `cryptography`) under a key that does not live in the database —
`CRM_SECRET_KEY` (any string; several machines must share it), else a key file created once in the
data directory, readable by the app's user only (machines sharing CRM_DATA_DIR share it too).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from crm_app.settings import get_settings

KEY_FILE = "secret.key"


class SecretUnreadable(Exception):
    """A stored secret that this key cannot decrypt (the key changed or the value was altered)."""


def _key_file(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside then hard-linked into place: link() fails if another process won the race,
        # so every process ends up with the same key and nobody reads a half-written file.
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes().strip()


@lru_cache(maxsize=4)
def _fernet(secret_key: str, data_dir: str) -> Fernet:
    if secret_key:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))
    return Fernet(_key_file(Path(data_dir)))


def _box() -> Fernet:
    s = get_settings()
    return _fernet(s.secret_key, str(s.data_dir))


def seal(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode() if plain else ""


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("stored secret cannot be decrypted with this key") from exc
