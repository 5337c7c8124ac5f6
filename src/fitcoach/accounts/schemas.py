"""What the account forms accept: an e-mail address and a password, each checked with a
message that names the field."""

from __future__ import annotations

import re

# One '@', something before it, a domain with a dot after it, no spaces: the rest is the
# mail system's business (fitcoach sends no mail).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MAX_EMAIL = 254
MIN_PASSWORD = 10
# argon2 takes any length; a cap keeps one request from buying seconds of hashing.
MAX_PASSWORD = 256


def normalized_email(value: str) -> str:
    """The form an e-mail is stored and looked up in: trimmed, lower case."""
    return value.strip().lower()


def email_problem(value: str) -> str | None:
    """What is wrong with an e-mail address as typed, or None."""
    email = normalized_email(value)
    if not email:
        return "Enter your e-mail address."
    if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        return "Enter an e-mail address like name@example.com."
    return None


def password_problem(value: str) -> str | None:
    """What is wrong with a new password, or None."""
    if len(value) < MIN_PASSWORD:
        return f"Choose a password of at least {MIN_PASSWORD} characters."
    if len(value) > MAX_PASSWORD:
        return f"Choose a password of at most {MAX_PASSWORD} characters."
    if not value.strip():
        return "Choose a password that is not only spaces."
    return None
