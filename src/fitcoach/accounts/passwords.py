"""Passwords: argon2 hashes (pwdlib), checked in the same time whether or not the account
exists, so the answer's timing does not tell which e-mails have an account."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@cache
def _stand_in() -> str:
    # Verified against when the e-mail has no account (or no password): the same argon2
    # work as a real check, so a wrong e-mail answers as slowly as a wrong password.
    return _hasher().hash("no account has this password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(password: str, stored: str | None) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; with nothing stored, the
    same work is done and the answer is no."""
    if stored is None:
        _hasher().verify(password, _stand_in())
        return False
    return _hasher().verify(password, stored)
