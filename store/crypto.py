"""Field encryption and keyed hashing, both keyed from the one HELPLINE_SECRET_KEY.

Message text is encrypted with AES-GCM (a fresh nonce per value, so equal texts look different
at rest). Channel user ids are stored only as HMAC-SHA256 digests: we can find a returning child
without being able to list who wrote to us. Reply addresses that must be reversible (a Telegram
chat id) are encrypted like message text, never stored in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_FORMAT_V1 = b"\x01"


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose; keys for different purposes are independent."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"helpline/v1", info=purpose.encode()
    ).derive(secret.encode())


class FieldCipher:
    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(derive_key(secret, "field-encryption"))
        self._hash_key = derive_key(secret, "identifier-hashing")

    def encrypt(self, plaintext: str | None) -> bytes | None:
        if plaintext is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        data = plaintext.encode("utf-8", errors="surrogatepass")
        return _FORMAT_V1 + nonce + self._aead.encrypt(nonce, data, None)

    def decrypt(self, token: bytes | None) -> str | None:
        if token is None:
            return None
        if token[:1] != _FORMAT_V1:
            raise ValueError("unknown ciphertext format")
        nonce, body = token[1 : 1 + _NONCE_BYTES], token[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, body, None).decode("utf-8", errors="surrogatepass")

    def encrypt_json(self, value: Any) -> bytes | None:
        return None if value is None else self.encrypt(json.dumps(value, ensure_ascii=False))

    def decrypt_json(self, token: bytes | None) -> Any:
        text = self.decrypt(token)
        return None if text is None else json.loads(text)

    def keyed_hash(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()
