"""Accounts, password hashing (argon2id) and bearer tokens (HS256, with expiry)."""
from __future__ import annotations

import logging
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from mongoengine import BooleanField, DateTimeField, Document, StringField
from mongoengine.errors import NotUniqueError

from shared.errors import ServiceError
from shared.events import utc_now

log = logging.getLogger(__name__)
ROLES = ("admin", "organiser", "judge", "chief_expert", "committee")
ALIAS = "gateway"
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user close to a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class User(Document):
    meta = {"db_alias": ALIAS, "collection": "users"}
    username = StringField(primary_key=True)
    role = StringField(required=True, choices=ROLES)
    name = StringField()
    password_hash = StringField(required=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(required=True)

    def public(self) -> dict:
        return {"username": self.username, "role": self.role, "name": self.name, "active": self.active}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(username: str, password: str, role: str, name: str | None = None) -> User:
    user = User(username=username, role=role, name=name, password_hash=hash_password(password), created_at=utc_now())
    try:
        user.save(force_insert=True)
    except NotUniqueError:
        raise ServiceError("DUPLICATE", f"user '{username}' already exists", [{"path": "/username", "problem": "taken"}])
    return user


def bootstrap_admin(username: str, password: str) -> None:
    """Create the admin from configuration once; an existing account keeps its password."""
    if not username or not password:
        log.warning("ADMIN_USERNAME/ADMIN_PASSWORD not set: no admin account bootstrapped")
        return
    if User.objects(username=username).first() is None:
        create_user(username, password, "admin", "administrator")
        log.info("admin account '%s' created", username)


def authenticate(username: str, password: str) -> User:
    user = User.objects(username=username).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise ServiceError("UNAUTHENTICATED", "unknown username or wrong password")
    return user


def issue_token(user: User, secret: str, ttl_seconds: int) -> dict:
    now = int(time.time())
    claims = {"sub": user.username, "role": user.role, "iat": now, "exp": now + ttl_seconds}
    return {
        "token": jwt.encode(claims, secret, algorithm="HS256"),
        "token_type": "Bearer",
        "expires_in": ttl_seconds,
        "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(claims["exp"])),
        "username": user.username,
        "role": user.role,
    }


def verify_bearer(header: str | None, secret: str) -> dict:
    """The token's claims, or ``UNAUTHENTICATED`` saying what is wrong with it."""
    if not header:
        raise ServiceError("UNAUTHENTICATED", "missing Authorization header; send 'Authorization: Bearer <token>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError("UNAUTHENTICATED", "Authorization must be 'Bearer <token>'")
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=["HS256"], options={"require": ["exp", "sub", "role"]})
    except jwt.ExpiredSignatureError:
        raise ServiceError("UNAUTHENTICATED", "the token has expired; request a new one at /api/v1/auth/tokens")
    except jwt.InvalidTokenError:
        raise ServiceError("UNAUTHENTICATED", "the token is not valid")
    if claims.get("role") not in ROLES:
        raise ServiceError("UNAUTHENTICATED", "the token is not valid")
    return claims


def authorise(claims: dict, roles: frozenset[str]) -> None:
    if claims["role"] != "admin" and claims["role"] not in roles:
        allowed = ", ".join(sorted(roles | {"admin"}))
        raise ServiceError("FORBIDDEN", f"role '{claims['role']}' may not do this; allowed: {allowed}")
