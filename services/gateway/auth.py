"""Accounts, password hashing (argon2id), sign-in throttling and bearer tokens (HS256, with expiry).

A token names its account, role and the account's ``token_version``; every request reads the account
once (``check_account``), so disabling it, changing its role or its password, or signing out ends the
token at once. Password hashing runs in eventlet's thread pool: argon2 takes tens of milliseconds of
CPU (and releases the GIL), which on the hub would stall every other request of the gateway.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from eventlet import tpool
from eventlet.semaphore import Semaphore
from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField
from mongoengine.errors import NotUniqueError

from shared.errors import ServiceError, detail, not_found, validation_failed
from shared.events import iso_utc, utc_now
from shared.secrets import KNOWN_DEFAULTS, SecretProblem, generate_password

log = logging.getLogger(__name__)
ROLES = ("admin", "organiser", "judge", "chief_expert", "committee")
ALIAS = "gateway"
PASSWORD_MIN_LENGTH = 12
PASSWORD_MIN_DISTINCT = 5
FAILURE_RETENTION = timedelta(days=30)
UNFINISHED = "unfinished (the check was interrupted)"
_hasher = PasswordHasher()
# Verifying against this keeps the time of a sign-in for an unknown user close to a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# Serialises changes that could remove the last active admin (within this gateway process).
_admin_changes = Semaphore()
# Hashes at once: one per core. More threads only thrash the CPU, and each hash takes 64 MiB, so a
# burst of sign-ins waits here (the hub stays free) instead of exhausting memory.
_hashing = Semaphore(max(1, os.cpu_count() or 1))


class User(Document):
    meta = {"db_alias": ALIAS, "collection": "users"}
    username = StringField(primary_key=True)
    role = StringField(required=True, choices=ROLES)
    name = StringField()
    password_hash = StringField(required=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(required=True)
    # Raised whenever role, password or activity changes: tokens carrying an older version are void.
    token_version = IntField(default=0)
    # Signed-out tokens that have not expired yet: [{"jti": ..., "exp": epoch seconds}].
    revoked_tokens = ListField(DictField())

    def public(self) -> dict:
        return {"username": self.username, "role": self.role, "name": self.name, "active": self.active}


class SignInFailure(Document):
    """One refused sign-in (or wrong current password): the audit trail and the throttle's memory."""

    meta = {"db_alias": ALIAS, "collection": "signin_failures", "indexes": [
        {"fields": ["at"], "expireAfterSeconds": int(FAILURE_RETENTION.total_seconds())},
        ("username", "-at"), ("address", "-at")]}
    at = DateTimeField(required=True)
    username = StringField(required=True)
    address = StringField(required=True)
    reason = StringField(required=True)
    # Set when the account signed in successfully afterwards: kept for the audit, no longer counted.
    cleared = BooleanField(default=False)

    def public(self) -> dict:
        return {"at": iso_utc(_aware(self.at)), "username": self.username, "address": self.address, "reason": self.reason}

    def failed(self, reason: str) -> None:
        log.info("sign-in refused for '%s' from %s: %s", self.username, self.address, reason)
        self.update(set__reason=reason)

    def succeeded(self, earlier_failures: list) -> None:
        """Not a failure after all; a success also stops the account's earlier failures counting."""
        self.delete()
        if earlier_failures:
            SignInFailure.objects(username=self.username, cleared__ne=True).update(set__cleared=True)


@dataclass(frozen=True)
class SignInLimits:
    """Failures tolerated in a sliding window before sign-in is refused with 429."""

    account_failures: int = 5
    account_window: int = 900
    address_failures: int = 20
    address_window: int = 300

    @classmethod
    def from_config(cls, config: dict) -> SignInLimits:
        keys = {"account_failures": "SIGNIN_ACCOUNT_FAILURES", "account_window": "SIGNIN_ACCOUNT_WINDOW_SECONDS",
                "address_failures": "SIGNIN_ADDRESS_FAILURES", "address_window": "SIGNIN_ADDRESS_WINDOW_SECONDS"}
        return cls(**{field: int(config[key]) for field, key in keys.items() if config.get(key) not in (None, "")})


class SignInThrottled(ServiceError):
    """Too many failures for this account or address; ``retry_after`` seconds until the next try."""

    def __init__(self, message: str, retry_after: int):
        super().__init__("TOO_MANY_REQUESTS", message)
        self.headers = {"Retry-After": str(retry_after)}  # sent by the gateway's error_response


# --------------------------------------------------------------------------- passwords


def _off_the_hub(function, *args):
    """Run CPU-heavy ``function`` in eventlet's thread pool; argon2 releases the GIL meanwhile."""
    with _hashing:
        return tpool.execute(function, *args)


def hash_password(password: str) -> str:
    return _off_the_hub(_hasher.hash, password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always spends one verification, even without an account."""
    try:
        return _off_the_hub(_hasher.verify, password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, username: str) -> list[str]:
    """Why ``password`` may not be used for ``username`` (empty when it may)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"at least {PASSWORD_MIN_LENGTH} characters")
    if len(set(password)) < PASSWORD_MIN_DISTINCT:
        problems.append(f"at least {PASSWORD_MIN_DISTINCT} different characters")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    if password.lower() in KNOWN_DEFAULTS:
        problems.append("is a published default password")
    return problems


def check_password_policy(password: str, username: str, path: str = "/password") -> None:
    problems = password_problems(password, username)
    if problems:
        raise validation_failed("the password is too weak", [detail(path, p) for p in problems])


# --------------------------------------------------------------------------- accounts


def create_user(username: str, password: str, role: str, name: str | None = None) -> User:
    check_password_policy(password, username)
    user = User(username=username, role=role, name=name, password_hash=hash_password(password), created_at=utc_now())
    try:
        user.save(force_insert=True)
    except NotUniqueError:
        raise ServiceError("DUPLICATE", f"user '{username}' already exists", [detail("/username", "taken")]) from None
    return user


def bootstrap_admin(username: str, password: str) -> None:
    """Create the admin at first start; an existing account keeps its password.

    Without a configured password one is generated and printed once. An admin still holding a
    published default password gets a generated one instead (old local data folders).
    """
    if not username:
        log.warning("ADMIN_USERNAME is empty: no admin account bootstrapped")
        return
    existing = User.objects(username=username).first()
    if existing is not None:
        _replace_default_password(existing)
        return
    generated = not password
    password = password or generate_password()
    try:
        create_user(username, password, "admin", "administrator")
    except ServiceError as error:
        if error.code == "DUPLICATE":
            return  # another gateway instance created it at the same moment
        raise
    log.info("admin account '%s' created", username)
    if generated:
        _announce_password(username, password, "created")


def check_admin_password(username: str, password: str) -> None:
    """Refuse to start with a configured ``ADMIN_PASSWORD`` that the password policy refuses."""
    problems = password_problems(password, username) if password else []
    if problems:
        raise SecretProblem(f"ADMIN_PASSWORD is too weak ({'; '.join(problems)}); set a strong one "
                            f"or leave ADMIN_PASSWORD unset to have one generated and shown once")


def _replace_default_password(user: User) -> None:
    if not any(password_matches(user.password_hash, known) for known in KNOWN_DEFAULTS):
        return
    password = generate_password()
    User.objects(username=user.username).update_one(set__password_hash=hash_password(password), inc__token_version=1)
    _announce_password(user.username, password, "had a published default password; it was replaced")


def _announce_password(username: str, password: str, what: str) -> None:
    """Shown once, on the console of whoever starts the system; it is stored only as a hash."""
    line = "=" * 72
    print(f"\n{line}\nadmin account '{username}' {what}.\n  password: {password}\n"
          f"Shown only this once. Change it with PUT /api/v1/users/me/password.\n{line}\n",
          file=sys.stderr, flush=True)


def update_user(username: str, changes: dict) -> User:
    """Admin changes to an account; a change of role, activity or password voids its tokens."""
    with _admin_changes:
        user = User.objects(username=username).first()
        if user is None:
            raise not_found("user", username)
        if "password" in changes:
            check_password_policy(changes["password"], username)
        if _removes_admin(user, changes) and not User.objects(role="admin", active=True, username__ne=username).count():
            raise ServiceError("CONFLICT", "this would leave no active admin; make another account admin first",
                               [detail("/active" if "active" in changes else "/role", "last active admin")])
        updates = {f"set__{field}": changes[field] for field in ("active", "role", "name") if field in changes}
        if "password" in changes:
            updates["set__password_hash"] = hash_password(changes["password"])
        if {"active", "role", "password"} & set(changes):
            updates["inc__token_version"] = 1
        User.objects(username=username).update_one(**updates)
    return User.objects(username=username).first()


def _removes_admin(user: User, changes: dict) -> bool:
    return user.role == "admin" and user.active and (changes.get("active") is False or changes.get("role", "admin") != "admin")


def change_own_password(username: str, current: str, new: str, address: str, limits: SignInLimits) -> User:
    """The signed-in user's new password; the wrong current one counts as a failed sign-in."""
    attempt, earlier_failures = begin_attempt(username, address, limits)
    user = User.objects(username=username).first()
    if user is None or not password_matches(user.password_hash, current):
        attempt.failed("wrong current password on password change")
        raise ServiceError("FORBIDDEN", "the current password is wrong", [detail("/current_password", "does not match")])
    attempt.succeeded(earlier_failures)
    check_password_policy(new, username, "/new_password")
    if current == new:
        raise validation_failed("the new password must differ from the current one",
                                [detail("/new_password", "same as the current password")])
    User.objects(username=username).update_one(set__password_hash=hash_password(new), inc__token_version=1)
    return User.objects(username=username).first()


# --------------------------------------------------------------------------- sign-in and its throttle


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _retry_after(times: list[datetime], limit: int, window: int, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` of ``times`` (newest first) fall inside the window."""
    if limit <= 0 or len(times) < limit:
        return None
    free_at = _aware(times[limit - 1]) + timedelta(seconds=window)
    return max(1, int((free_at - now).total_seconds() + 0.999)) if free_at > now else None


def refuse_if_throttled(username: str, address: str, limits: SignInLimits, before: ObjectId) -> list[datetime]:
    """Raise ``SignInThrottled`` when the account or the address is over its limit.

    Counts the failures recorded before attempt ``before`` (ids give every attempt one place in a
    total order), so of a burst arriving together exactly the first ones within the limit go on to
    the password check, however the checks interleave. One query reads both counters; returns the
    account's counted failures.
    """
    now = utc_now()
    since = now - timedelta(seconds=max(limits.account_window, limits.address_window))
    recent = SignInFailure.objects(at__gte=since, id__lt=before).filter(
        __raw__={"$or": [{"username": username}, {"address": address}]}).order_by("-at").only(
        "at", "username", "address", "cleared")
    account, by_address = [], []
    for failure in recent:
        at = _aware(failure.at)
        if failure.username == username and not failure.cleared and at >= now - timedelta(seconds=limits.account_window):
            account.append(at)
        if failure.address == address and at >= now - timedelta(seconds=limits.address_window):
            by_address.append(at)
    wait = _retry_after(account, limits.account_failures, limits.account_window, now)
    if wait:
        raise SignInThrottled("too many failed sign-ins for this account; try again later", wait)
    wait = _retry_after(by_address, limits.address_failures, limits.address_window, now)
    if wait:
        raise SignInThrottled("too many failed sign-ins from this address; try again later", wait)
    return account


def begin_attempt(username: str, address: str, limits: SignInLimits) -> tuple[SignInFailure, list[datetime]]:
    """Check the throttle, then count this attempt as a failure until it succeeds.

    Recorded before the (slow, queued) password check, so that attempts made at the same time count
    against each other; a gateway stopping mid-check leaves the attempt counted ("unfinished").
    """
    attempt = SignInFailure(at=utc_now(), username=username, address=address, reason=UNFINISHED).save()
    try:
        earlier_failures = refuse_if_throttled(username, address, limits, before=attempt.id)
    except SignInThrottled:
        attempt.delete()  # checked no password: neither a failure to audit nor one that extends the lock
        raise
    return attempt, earlier_failures


def authenticate(username: str, password: str, address: str, limits: SignInLimits) -> User:
    """The account for these credentials; refusals are recorded and throttled."""
    attempt, earlier_failures = begin_attempt(username, address, limits)
    user = User.objects(username=username).first()
    matches = password_matches(user.password_hash if user else None, password)
    if not matches or not user.active:
        attempt.failed("unknown username" if user is None else "wrong password" if not matches else "account disabled")
        raise ServiceError("UNAUTHENTICATED", "unknown username or wrong password")
    attempt.succeeded(earlier_failures)
    return user


def failures(username: str | None, limit: int) -> list[dict]:
    query = SignInFailure.objects(username=username) if username else SignInFailure.objects
    return [f.public() for f in query.order_by("-at").limit(limit)]


# --------------------------------------------------------------------------- tokens


def issue_token(user: User, secret: str, ttl_seconds: int) -> dict:
    now = int(time.time())
    claims = {"sub": user.username, "role": user.role, "ver": user.token_version or 0, "jti": uuid.uuid4().hex,
              "iat": now, "exp": now + ttl_seconds}
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
        claims = jwt.decode(token.strip(), secret, algorithms=["HS256"],
                            options={"require": ["exp", "sub", "role", "ver", "jti"]})
    except jwt.ExpiredSignatureError:
        raise ServiceError("UNAUTHENTICATED", "the token has expired; request a new one at /api/v1/auth/tokens") from None
    except jwt.InvalidTokenError:
        raise ServiceError("UNAUTHENTICATED", "the token is not valid") from None
    if claims.get("role") not in ROLES or not isinstance(claims.get("ver"), int):
        raise ServiceError("UNAUTHENTICATED", "the token is not valid")
    return claims


def check_account(claims: dict) -> None:
    """The token's account exists, is active, still has the token's role and did not revoke it.

    One read of the account per request: version and revocations live on the account itself.
    """
    account = User._get_collection().find_one(
        {"_id": claims["sub"]}, {"role": 1, "active": 1, "token_version": 1, "revoked_tokens": 1})
    if account is None or not account.get("active", True):
        raise ServiceError("UNAUTHENTICATED", "the token's account does not exist or is disabled")
    if account.get("role") != claims["role"] or (account.get("token_version") or 0) != claims["ver"]:
        raise ServiceError("UNAUTHENTICATED", "the account changed since this token was issued; sign in again")
    if any(entry.get("jti") == claims["jti"] for entry in account.get("revoked_tokens") or ()):
        raise ServiceError("UNAUTHENTICATED", "the token was revoked (signed out); sign in again")


def revoke_token(claims: dict) -> None:
    """Sign out: the token stays void until it would have expired anyway."""
    collection = User._get_collection()
    collection.update_one({"_id": claims["sub"]}, {"$pull": {"revoked_tokens": {"exp": {"$lt": int(time.time())}}}})
    collection.update_one({"_id": claims["sub"]}, {"$push": {"revoked_tokens": {"jti": claims["jti"], "exp": claims["exp"]}}})


def authorise(claims: dict, roles: frozenset[str]) -> None:
    if claims["role"] != "admin" and claims["role"] not in roles:
        allowed = ", ".join(sorted(roles | {"admin"}))
        raise ServiceError("FORBIDDEN", f"role '{claims['role']}' may not do this; allowed: {allowed}")
