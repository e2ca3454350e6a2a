"""Passwords: Argon2id through pwdlib, with the library's recommended parameters."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash

MIN_LENGTH = 8


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher().verify(password, hashed)


# Verified against when the user does not exist, so a wrong username costs as long as a wrong
# password and the answer time does not tell which usernames exist.
@cache
def dummy_hash() -> str:
    return _hasher().hash("orglife-no-such-user")
