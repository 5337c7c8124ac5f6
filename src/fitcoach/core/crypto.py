"""Encryption of tokens at rest, with key rotation (MultiFernet).

The first key encrypts; every key decrypts, so a new key can be put in front of the
list and old tokens stay readable until ``rotate`` re-encrypts them.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from fitcoach.core.errors import FitcoachError


class TokenDecryptionError(FitcoachError):
    """A stored token was encrypted with a key that is no longer configured."""


def key_ring(keys: list[str]) -> MultiFernet:
    if not keys:
        raise FitcoachError("TOKEN_ENCRYPTION_KEYS is empty: at least one key is needed")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(ring: MultiFernet, plaintext: str) -> bytes:
    return ring.encrypt(plaintext.encode())


def decrypt(ring: MultiFernet, ciphertext: bytes) -> str:
    try:
        return ring.decrypt(ciphertext).decode()
    except InvalidToken as error:
        raise TokenDecryptionError(
            "a stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS; "
            "add the key it was written with back to the list"
        ) from error


def rotate(ring: MultiFernet, ciphertext: bytes) -> bytes:
    """Re-encrypt with the first (newest) key."""
    return ring.rotate(ciphertext)
