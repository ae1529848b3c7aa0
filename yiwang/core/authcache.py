"""授权缓存 (authorisation cache): who a bearer token or a session belongs to and what that
account holds where (its role grants, hence its reach, 管辖范围), kept in each process for
a short time so a request does not rebuild them with several ORM queries.

Why it can be trusted: every entry carries a *stamp*, the versions of its account and of
the org structure in the shared store (Redis, or Django's database cache table without
it — the store every worker process and app server shares, as for rate limits), read
again on every request in one statement. Whatever changes what an account may do —
a token revoked or deleted, a role granted or revoked, "log out everywhere", the account
changed or deactivated, an org unit, department or division changed — gives the account
(or the whole org) a new random version, inside the writing transaction and again after
it commits; the next request anywhere finds its stamp stale and reloads from the
database. So a revoked token or role is refused at once, in every process; the TTL
(``YIWANG["AUTH_CACHE_SECONDS"]``) only bounds how long an entry lives if a write ever
escapes the signals below (a raw SQL update).

Loading follows one order so a concurrent change can never be cached under a new stamp:
the stamp is read first and the rows after it; a change committed in between makes the
stamp stale at once. A version is never absent once an entry was stamped with it
(``add`` on first use), so an evicted or culled version reads as a change, never as the
old value.

Each request gets its own copy of the cached user (``copy.copy``), so nothing a request
sets on it leaks into the next one.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete
from django.utils import timezone

ALL_KEY = "yiwang:auth:all"
MAX_ENTRIES = 20_000

Stamp = tuple[Any, Any]


def _user_key(user_id: int) -> str:
    return f"yiwang:auth:u:{user_id}"


def ttl() -> float:
    """Seconds an entry lives at most (0 turns the cache off)."""
    return float(settings.YIWANG.get("AUTH_CACHE_SECONDS", 60))


def _store():
    return caches[settings.YIWANG.get("AUTH_CACHE", "default")]


# --- versions in the shared store ---


def stamp(user_id: int) -> Stamp:
    """The current versions of ``user_id``'s account and of the org structure: one read
    of the shared store (two more, once, when a version is not there yet)."""
    keys = (_user_key(user_id), ALL_KEY)
    store = _store()
    got = store.get_many(keys)
    if len(got) < 2:
        for key in keys:
            if key not in got:
                store.add(key, _fresh(), timeout=None)
        got = store.get_many(keys)
    return got.get(keys[0]), got.get(keys[1])


def _fresh() -> str:
    return secrets.token_hex(8)


class _Bumps:
    """The versions one transaction changes, set again once it commits (see ``_bump``)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def __call__(self) -> None:
        _set(self.keys)


def _set(keys: Iterable[str]) -> None:
    _store().set_many({k: _fresh() for k in keys}, timeout=None)


def _bump(keys: set[str]) -> None:
    """New versions for ``keys`` now (inside a transaction with the database cache, the
    change becomes visible exactly when the transaction commits) and once more after the
    commit (Redis is not transactional: a process that reloaded between the two sees the
    second). Each key is set once per transaction however many rows change."""
    _drop_local(keys)
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _set(keys)
        return
    pending = next((f for _s, f, _r in conn.run_on_commit if isinstance(f, _Bumps)), None)
    if pending is None:
        pending = _Bumps()
        transaction.on_commit(pending)
    new = keys - pending.keys
    if new:
        pending.keys |= new
        _set(new)


def invalidate(*user_ids: int | None) -> None:
    """The accounts' tokens, users and grants changed: refuse every cached entry of them."""
    keys = {_user_key(u) for u in user_ids if u is not None}
    if keys:
        _bump(keys)


def invalidate_all() -> None:
    """The org structure changed (units, departments, divisions): every reach may differ."""
    _bump({ALL_KEY})


# --- entries in this process ---


@dataclass
class UserEntry:
    """An account as loaded: the user row, its grants, and what rooms remember beside it
    (``remember``), all valid under ``stamp``."""

    user: Any
    grants: list
    stamp: Stamp
    born: float
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenEntry:
    """An access token as loaded: whose it is, its scopes and expiry."""

    pk: int
    user_id: int
    scope: str
    expires: Any
    application_id: int | None
    stamp: Stamp
    born: float


_users: dict[int, UserEntry] = {}
_tokens: dict[str, TokenEntry] = {}
_lock = threading.Lock()


def _put(table: dict, key: Any, entry: Any) -> None:
    with _lock:
        if len(table) >= MAX_ENTRIES:
            for old in list(table)[: MAX_ENTRIES // 10]:  # the oldest tenth
                table.pop(old, None)
        table[key] = entry


def _drop_local(keys: set[str]) -> None:
    with _lock:
        if ALL_KEY in keys:
            _users.clear()
            _tokens.clear()
            return
        for key in keys:
            uid = int(key.rsplit(":", 1)[1])
            _users.pop(uid, None)
        gone = [k for k, t in _tokens.items() if _user_key(t.user_id) in keys]
        for k in gone:
            _tokens.pop(k, None)


def clear_local() -> None:
    """Forget this process's entries (the shared versions stay)."""
    with _lock:
        _users.clear()
        _tokens.clear()


def _live(entry: UserEntry | TokenEntry | None, now_stamp: Stamp) -> bool:
    return (
        entry is not None
        and None not in now_stamp
        and entry.stamp == now_stamp
        and time.monotonic() - entry.born < ttl()
    )


def _handout(entry: UserEntry):
    """A request's own copy of the cached user, its grants attached (``access.grants``)."""
    user = copy.copy(entry.user)
    user._yiwang_grants = list(entry.grants)
    user._yiwang_auth = entry
    return user


def _load_user(user_id: int, now_stamp: Stamp, loader: Callable[[int], Any]) -> UserEntry | None:
    from yiwang.core.access import load_grants

    user = loader(user_id)
    if user is None:
        return None
    entry = UserEntry(user, load_grants(user), now_stamp, time.monotonic())
    if None not in now_stamp and ttl() > 0 and not _has_broken_values(user):
        _put(_users, user_id, entry)
    return entry


def _has_broken_values(user) -> bool:
    """A value that did not decrypt reads as a placeholder in the language of the request
    that loaded it (and raises an alarm): such an account is read afresh each time."""
    from yiwang.core.fields import undecryptable

    return any(undecryptable(v) for v in vars(user).values())


def _user_entry(user_id: int, now_stamp: Stamp, loader) -> UserEntry | None:
    entry = _users.get(user_id)
    if _live(entry, now_stamp):
        return entry
    return _load_user(user_id, now_stamp, loader)


def _default_loader(user_id: int):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        ._default_manager.select_related("org_unit__division", "org_unit__department")
        .filter(pk=user_id)
        .first()
    )


def session_user(user_id: Any):
    """The active user of a session (``AUTHENTICATION_BACKENDS``' ``get_user``): the
    cached account when its stamp holds, else loaded. One read of the shared store
    instead of the user and grants queries; None for an unknown or inactive account."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    if ttl() <= 0:
        user = _default_loader(uid)
        return user if user is not None and user.is_active else None
    entry = _user_entry(uid, stamp(uid), _default_loader)
    if entry is None or not entry.user.is_active:
        return None
    return _handout(entry)


def checksum(token: str) -> str:
    """The SHA-256 checksum an access token is stored and found by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Bearer:
    """What a valid bearer token gives a request: its user (a copy) and the token."""

    user: Any
    token: TokenEntry


def bearer(token: str) -> Bearer | None:
    """The live access token ``token`` with its user and grants, or None (unknown,
    expired, revoked, or its account inactive). A cached token costs one read of the
    shared store; an unknown or stale one is looked up as ``find_access_token`` does."""
    digest = checksum(token)
    now = timezone.now()
    cached = _tokens.get(digest)
    if cached is not None and ttl() > 0:
        now_stamp = stamp(cached.user_id)
        if _live(cached, now_stamp):
            if cached.expires <= now:
                return None
            entry = _user_entry(cached.user_id, now_stamp, _default_loader)
            return _bearer(entry, cached)
    return _bearer_from_db(digest, now)


def _owner(digest: str) -> int | None:
    from oauth2_provider.models import get_access_token_model

    row = (
        get_access_token_model()
        .objects.filter(token_checksum=digest)
        .values_list("user_id", "application__user_id")
        .first()
    )
    if row is None:
        return None
    return row[0] or row[1]


def _bearer_from_db(digest: str, now) -> Bearer | None:
    """The stamp is read before the token row it guards (see the module's rule)."""
    from oauth2_provider.models import get_access_token_model

    owner = _owner(digest)
    if owner is None:
        return None
    now_stamp = stamp(owner) if ttl() > 0 else (None, None)
    row = (
        get_access_token_model()
        .objects.filter(token_checksum=digest)
        .values_list("pk", "user_id", "application__user_id", "scope", "expires", "application_id")
        .first()
    )
    if row is None:
        return None
    pk, user_id, app_user_id, scope, expires, app_id = row
    uid = user_id or app_user_id
    if uid != owner:
        return None  # changed hands meanwhile: refuse this once
    entry = TokenEntry(pk, uid, scope, expires, app_id, now_stamp, time.monotonic())
    if None not in now_stamp and ttl() > 0:
        _put(_tokens, digest, entry)
    if expires <= now:
        return None
    return _bearer(_user_entry(uid, now_stamp, _default_loader), entry)


def _bearer(entry: UserEntry | None, token: TokenEntry) -> Bearer | None:
    if entry is None or not entry.user.is_active:
        return None
    return Bearer(_handout(entry), token)


def remember(user, key: str, load: Callable[[], Any]) -> Any:
    """A value derived from ``user``'s rows, kept beside the cached account and dropped
    with it (``invalidate`` of that account): e.g. the exchange gateway's live share
    grants of an API client. ``load`` runs when there is nothing kept, or ``user`` did not
    come from the cache (then nothing is kept)."""
    entry: UserEntry | None = getattr(user, "_yiwang_auth", None)
    if entry is None:
        return load()
    try:
        return entry.memo[key]
    except KeyError:
        value = entry.memo[key] = load()
        return value


# --- what invalidates: every write that changes what an account may do ---


class InvalidatingQuerySet(QuerySet):
    """A queryset whose bulk writes — which send no signals — still invalidate the
    accounts their rows belong to. ``owner`` is the lookup from a row to its account's
    id (``"pk"`` for users themselves, ``"user_id"`` for role assignments …). Used as
    the default manager of every model whose rows decide what an account may do."""

    owner = "pk"
    MANY = 500  # beyond this many accounts, everyone reloads once instead

    def _owners_of(self, qs: QuerySet) -> list[int] | None:
        ids = list(qs.order_by().values_list(self.owner, flat=True).distinct()[: self.MANY + 1])
        return None if len(ids) > self.MANY else [i for i in ids if i is not None]

    def _invalidate(self, owners: list[int] | None) -> None:
        if owners is None:
            invalidate_all()
        elif owners:
            invalidate(*owners)

    def update(self, **kwargs) -> int:
        owners = self._owners_of(self)
        done = super().update(**kwargs)
        if done:
            self._invalidate(owners)
        return done

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(self, objs, fields, batch_size=None) -> int:
        objs = list(objs)
        done = super().bulk_update(objs, fields, batch_size=batch_size)
        self._invalidate_rows(objs)
        return done

    bulk_update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if self.owner != "pk":  # a new account has nothing cached yet
            self._invalidate_rows(created)
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def _invalidate_rows(self, objs) -> None:
        pks = [o.pk for o in objs if o.pk is not None]
        if pks:
            self._invalidate(self._owners_of(self.model._default_manager.filter(pk__in=pks)))


def _on_user(sender, instance, created: bool = False, **kwargs) -> None:
    if not created:
        invalidate(instance.pk)


def _on_owned(sender, instance, **kwargs) -> None:
    """A role assignment, API client or OAuth application added, changed or gone: its
    account (a new role widens the reach at once too)."""
    invalidate(instance.user_id)


def _on_token(sender, instance, created: bool = False, **kwargs) -> None:
    """An access token changed or went (revoked, deleted, rotated): its account. Expired
    tokens are refused by their expiry anyway, so clearing them bumps nothing."""
    if created or (kwargs.get("signal") is post_delete and instance.expires <= timezone.now()):
        return
    owner = instance.user_id
    if owner is None and instance.application_id is not None:
        from oauth2_provider.models import get_application_model

        owner = (
            get_application_model()
            .objects.filter(pk=instance.application_id)
            .values_list("user_id", flat=True)
            .first()
        )
    if owner is None:
        invalidate_all()  # cannot tell whose: everyone reloads once
    else:
        invalidate(owner)


def _on_org(sender, instance, created: bool = False, **kwargs) -> None:
    if not created:
        invalidate_all()


def connect() -> None:
    """Connect the invalidation receivers (``CoreConfig.ready``). Writes that send no
    signal call ``invalidate`` themselves (``QuerySet.update`` of users, ``bulk_create``
    of role assignments)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save
    from oauth2_provider.models import get_access_token_model, get_application_model

    from yiwang.core.models import ApiClient, Department, Division, OrgUnit, RoleAssignment

    pairs: list[tuple[Callable[..., None], Any]] = [
        (_on_user, get_user_model()),
        (_on_owned, RoleAssignment),
        (_on_owned, ApiClient),
        (_on_owned, get_application_model()),
        (_on_token, get_access_token_model()),
        (_on_org, OrgUnit),
        (_on_org, Department),
        (_on_org, Division),
    ]
    for receiver, model in pairs:
        uid = f"yiwang.authcache.{receiver.__name__}.{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
