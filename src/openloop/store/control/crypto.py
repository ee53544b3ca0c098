"""Encryption at rest for AI-provider keys.

A Fernet key (AES-128-CBC + HMAC-SHA256) is derived from the app secret with HKDF-SHA256, so
the same secret always opens the same ciphertexts and nothing but the secret needs keeping.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openloop.errors import ConfigError, UsageError

__all__ = ["SecretBox"]

_HKDF_INFO = b"openloop provider secrets v1"


class SecretBox:
    """Encrypts and decrypts short secrets with a key derived from ``secret_key``."""

    def __init__(self, secret_key: bytes) -> None:
        if not secret_key:
            raise UsageError("the control store needs a non-empty secret_key")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            secret_key
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str, *, what: str = "secret") -> str:
        """Plaintext of ``ciphertext``; :class:`ConfigError` when the secret key cannot open it."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise ConfigError(
                f"cannot decrypt {what}: it was saved with a different secret key. Restore the "
                "previous OPENLOOP_SECRET_KEY (or <data_dir>/secret.key), or enter the key again.",
                status=409,
            ) from exc
