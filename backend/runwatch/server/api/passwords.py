"""Hashed passwords for the dashboard's users file (hashlib.scrypt, no extra dependency).

A users file has one `name:hash` per line (`#` starts a comment); make a line with

    python -m runwatch.server.api.passwords NAME      # asks for the password

The hash is `scrypt$n$r$p$salt$key` (salt and key base64), so parameters can be raised later
without invalidating old lines.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import sys
from pathlib import Path

_N, _R, _P = 2**14, 8, 1
_KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_KEY_BYTES)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        given = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                               p=int(p), dklen=len(expected), maxmem=2**26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


class UsersFileError(ValueError):
    pass


def load_users(path: Path) -> dict[str, str]:
    """name → stored hash. UsersFileError names the line that is wrong."""
    users: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsersFileError(f"cannot read the users file {path}: {exc}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not name or not stored.startswith("scrypt$"):
            raise UsersFileError(f"{path}:{number}: expected name:scrypt$..., "
                                 "made by `python -m runwatch.server.api.passwords NAME`")
        users[name] = stored
    return users


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or ":" in args[0]:
        sys.stderr.write("usage: python -m runwatch.server.api.passwords NAME\n")
        return 2
    password = getpass.getpass(f"password for {args[0]}: ")
    if not password or password != getpass.getpass("again: "):
        sys.stderr.write("the passwords are empty or differ\n")
        return 1
    sys.stdout.write(f"{args[0]}:{hash_password(password)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
