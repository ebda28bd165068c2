"""Staff accounts, logins, lockout and CSRF tokens for the web front end.

    accounts = Accounts(store, settings)
    accounts.add("wang", "a long password")           # `policybot staff add wang` (argon2id hash)
    outcome = accounts.login("wang", password)          # Login(ok, name, token, csrf, message)
    accounts.staff_for(token)                           # (name, csrf) of a live login, or None

Logins: every successful login issues a new random cookie token (the old one, if the browser
sent one, is dropped), so a session id known before the login is worthless after it. Only the
token's sha256 is stored. `login_max_failures` wrong passwords in a row lock the name for
`login_lockout_minutes`, whether or not the name exists (so a probe cannot tell), and a locked
name is refused even with the right password.

CSRF: a token tied to something only the real browser has. For a login it is the staff session's
own random token (stored beside it); before login and in the web chat it is an HMAC of the
browser's cookie under the server's secret key: `web-secret.key` in the data dir (mode 0600), or,
with POLICYBOT_DATABASE_URL, a key kept in the shared database, so a form a page from one worker
signed is accepted by every other worker, on any machine.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.web.store import WebStore

NAME_RE = re.compile(r"^[\w.-]{1,32}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("policybot-dummy-password")  # verified for unknown names: same timing


class AccountError(ValueError):
    """A name or password that cannot be used; the message says what to change."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_secret(data_dir: Path, store: WebStore | None = None) -> bytes:
    """The server's HMAC key, created once: in the shared database when `store` is on PostgreSQL
    (every worker everywhere), else in the data dir (0600; every worker on this data dir)."""
    if store is not None and store.backend == "postgres":
        return store.shared_secret("form-signing-key")
    path = Path(data_dir) / "web-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            key = path.read_bytes()
            if len(key) >= 32:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is damaged: delete it and restart (logins and forms will need a reload)") from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def sign(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()[:32]


def check_signed(secret: bytes, purpose: str, value: str, token: str | None) -> bool:
    return bool(token) and bool(value) and hmac.compare_digest(sign(secret, purpose, value), token)


@dataclass(frozen=True)
class Login:
    ok: bool
    name: str = ""
    token: str = ""
    csrf: str = ""
    message: str = ""
    locked: bool = False


class Accounts:
    def __init__(self, store: WebStore, settings):
        self.store = store
        self.max_failures = settings.login_max_failures
        self.lockout_s = settings.login_lockout_minutes * 60
        self.session_s = settings.staff_session_hours * 3600

    # --- accounts -----------------------------------------------------------------------------
    @staticmethod
    def check_name(name: str) -> str:
        name = name.strip()
        if not NAME_RE.match(name):
            raise AccountError("用户名须为1–32个字符（字母、数字、汉字、. _ -），不含空格")
        return name

    def add(self, name: str, password: str) -> bool:
        """Create or reset an account (clears its lockout and logs it out everywhere); True if new."""
        name = self.check_name(name)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"密码至少{MIN_PASSWORD}个字符")
        return self.store.put_staff(name, _hasher.hash(password))

    def remove(self, name: str) -> tuple[bool, int]:
        return self.store.remove_staff(name.strip())

    # --- logins -------------------------------------------------------------------------------
    def _locked_message(self, until: float) -> str:
        minutes = max(1, math.ceil((until - time.time()) / 60))
        return (f"登录失败次数过多，该账号已暂时锁定。请在 {minutes} 分钟后再试；"
                "如忘记密码，请管理员运行 policybot staff add 用户名 重设。")

    def login(self, name: str, password: str) -> Login:
        name = name.strip()[:64]
        until = self.store.locked_until(name)
        if until > time.time():
            return Login(False, message=self._locked_message(until), locked=True)
        stored = self.store.staff_hash(name) if NAME_RE.match(name) else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
            good = stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            good = False
        if not good:
            failures, locked = self.store.record_failure(name, max_failures=self.max_failures,
                                                         lockout_s=self.lockout_s)
            if locked:
                return Login(False, message=self._locked_message(locked), locked=True)
            left = self.max_failures - failures
            return Login(False, message=f"用户名或密码不正确，请重新输入（再错 {left} 次将暂时锁定）。")
        self.store.clear_failures(name)
        if stored and _hasher.check_needs_rehash(stored):
            self.store.put_staff(name, _hasher.hash(password))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        self.store.add_staff_session(hash_token(token), name, csrf, time.time() + self.session_s)
        return Login(True, name=name, token=token, csrf=csrf)

    def staff_for(self, token: str | None) -> tuple[str, str] | None:
        if not token or len(token) > 200:
            return None
        return self.store.staff_session(hash_token(token))

    def logout(self, token: str | None) -> None:
        if token:
            self.store.drop_staff_session(hash_token(token))
