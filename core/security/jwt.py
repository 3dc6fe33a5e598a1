"""JWT signing keys that can be rotated without signing everybody out.

simplejwt signs and verifies with one key. Here tokens are signed with
`SIMPLE_JWT["SIGNING_KEY"]` (the environment's JWT_SIGNING_KEY) and verified with it or,
failing that, with each of JWT_PREVIOUS_SIGNING_KEYS. To rotate: put the current key in
JWT_PREVIOUS_SIGNING_KEYS, set a new JWT_SIGNING_KEY, and drop the old one once the
longest-lived token signed with it has expired (the refresh lifetime, 7 days).

The keys are read from django.conf.settings on every use, so a test's settings override
reaches them (simplejwt's own backend keeps the key it was built with).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import jwt
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import state
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    InvalidToken,
    TokenBackendError,
    TokenBackendExpiredToken,
)
from rest_framework_simplejwt.settings import api_settings


def current_signing_key() -> str:
    return settings.SIMPLE_JWT["SIGNING_KEY"]


def verification_keys() -> list[str]:
    """The current key first, then the previous ones still accepted."""
    previous = [key for key in getattr(settings, "JWT_PREVIOUS_SIGNING_KEYS", []) if key]
    return [current_signing_key(), *previous]


# Tokens whose signature and claims were verified, with their payload: the same token
# comes back with each request of a signed-in client, and PyJWT's checks (the base64
# alphabet character by character, the HMAC, the claims) cost more than the rest of
# authentication. Keyed by the backend, the token and the keys it was verified with (a
# rotation, or a test's settings, verify anew); a token refused is not kept, and the
# expiry is checked again at each use. Per process, the least recently used forgotten.
VERIFIED_MEMO_SIZE = 4096


@functools.lru_cache(maxsize=VERIFIED_MEMO_SIZE)
def _verified_payload(backend: RotatingKeyTokenBackend, token: Any, keys: tuple[str, ...]):
    return backend._decode(token, list(keys), verify=True)


class RotatingKeyTokenBackend(TokenBackend):
    """simplejwt's TokenBackend (HMAC algorithms) with a current key and previous keys."""

    def __init__(self) -> None:
        super().__init__(
            api_settings.ALGORITHM,
            signing_key=None,
            audience=api_settings.AUDIENCE,
            issuer=api_settings.ISSUER,
            leeway=api_settings.LEEWAY,
            json_encoder=api_settings.JSON_ENCODER,
        )

    def encode(self, payload: dict[str, Any]) -> str:
        jwt_payload = payload.copy()
        if self.audience is not None:
            jwt_payload["aud"] = self.audience
        if self.issuer is not None:
            jwt_payload["iss"] = self.issuer
        return jwt.encode(
            jwt_payload,
            self._prepare_key(current_signing_key()),
            algorithm=self.algorithm,
            json_encoder=self.json_encoder,
        )

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        if not verify:
            return self._decode(token, [current_signing_key()], verify=False)
        payload = _verified_payload(self, token, tuple(verification_keys()))
        # Its signature and claims were checked when first seen; its time, at each use (as
        # PyJWT's own check: expired once `exp` is not after now less the leeway).
        expires = payload.get("exp")
        if expires is not None and int(expires) <= time.time() - self.get_leeway().total_seconds():
            raise TokenBackendExpiredToken(_("Token is expired"))
        return dict(payload)

    def _decode(self, token: Any, keys: list[str], *, verify: bool) -> dict[str, Any]:
        for key in keys:
            try:
                return jwt.decode(
                    token,
                    self._prepare_key(key),
                    algorithms=[self.algorithm],
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.get_leeway(),
                    options={"verify_aud": self.audience is not None, "verify_signature": verify},
                )
            except jwt.InvalidSignatureError:
                continue  # signed with another key, perhaps an older one
            except jwt.InvalidAlgorithmError as exc:
                raise TokenBackendError(_("Invalid algorithm specified")) from exc
            except jwt.ExpiredSignatureError as exc:
                raise TokenBackendExpiredToken(_("Token is expired")) from exc
            except jwt.InvalidTokenError as exc:
                raise TokenBackendError(_("Token is invalid")) from exc
        raise TokenBackendError(_("Token is invalid"))


def install_token_backend() -> None:
    """Every simplejwt token looks its backend up in `state.token_backend` when used."""
    if not api_settings.ALGORITHM.startswith("HS"):
        return  # asymmetric keys: simplejwt's VERIFYING_KEY/JWK_URL handle rotation
    state.token_backend = RotatingKeyTokenBackend()


# --- Revocation ---------------------------------------------------------------------------
# A token dies before it expires when its user's password changes (simplejwt's
# CHECK_REVOKE_TOKEN: every token carries a hash of the password hash, compared with the
# user row that authentication loads anyway), when the user is switched off (simplejwt's
# is_active check), or on logout: the access token's id is denied in the cache until the
# token would have expired (read with the user's card, below: one cache round trip).

DENIED_PREFIX = "jwt:denied:"


def token_deny(token) -> None:
    """Refuse `token` (a simplejwt token object) from now until it expires."""
    from django.core.cache import cache

    jti = token.get(api_settings.JTI_CLAIM)
    expires = token.get("exp")
    if not jti or not expires:
        return
    remaining = int(expires - time.time()) + 1
    if remaining > 0:
        cache.set(f"{DENIED_PREFIX}{jti}", 1, timeout=remaining)


def token_denied(token) -> bool:
    from django.core.cache import cache

    jti = token.get(api_settings.JTI_CLAIM)
    return bool(jti) and cache.get(f"{DENIED_PREFIX}{jti}") is not None


def token_matches_password(token, user) -> bool:
    """The token was issued for the user's current password (CHECK_REVOKE_TOKEN)."""
    from rest_framework_simplejwt.utils import get_md5_hash_password

    if not api_settings.CHECK_REVOKE_TOKEN:
        return True
    return token.get(api_settings.REVOKE_TOKEN_CLAIM) == get_md5_hash_password(user.password)


# --- The user behind a token, without a query ----------------------------------------------
# What authentication needs of the user (whether the account is active, whether the token
# was issued for its current password) and the user's own fields are kept in the cache,
# one entry per user, forgotten whenever the user row is saved (any path: the services,
# the admin, allauth's pages) or deleted. A valid token then costs one cache round trip,
# the denied-token check included, and no query; the user is a real User instance whose
# password alone loads from the database if something asks for it.

CARD_PREFIX = "jwt:user:"
CARD_TIMEOUT = 10 * 60


def _card_key(user_id: Any) -> str:
    return f"{CARD_PREFIX}{user_id}"


def _card_fields() -> list[str]:
    from django.contrib.auth import get_user_model

    return [
        field.attname
        for field in get_user_model()._meta.concrete_fields
        if field.attname != "password"
    ]


def user_card_load(user_id: Any) -> dict[str, Any] | None:
    """The user's fields (not the password: a digest of it) from the database, cached."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from rest_framework_simplejwt.utils import get_md5_hash_password

    fields = _card_fields()
    row = get_user_model().objects.filter(pk=user_id).values(*fields, "password").first()
    if row is None:
        return None
    card = {name: row[name] for name in fields}
    card["password_digest"] = get_md5_hash_password(row["password"])
    cache.set(_card_key(user_id), card, CARD_TIMEOUT)
    return card


def user_card_forget(user_id: Any) -> None:
    """The user changed: forget their cached card now and, in a transaction, at commit
    (a request reading it meanwhile would cache the old row again)."""
    from django.core.cache import cache
    from django.db import transaction

    cache.delete(_card_key(user_id))
    transaction.on_commit(lambda: cache.delete(_card_key(user_id)))


def forget_saved_user(sender, instance, **kwargs) -> None:
    user_card_forget(instance.pk)


# Cache keys of a person that their requests will read anyway, fetched with the card in
# its one round trip (a registry: the apps above the kernel name them, e.g. which shops
# the person manages, shops.selectors). `key_of(user_id)` answers the key; what was
# found is on the user as `cache_read` ({key: value}, a key left out: not cached).
_companions: list[Callable[[Any], str]] = []


def register_card_companion(key_of: Callable[[Any], str]) -> None:
    if key_of not in _companions:
        _companions.append(key_of)


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing tokens denied at logout, with the user read
    from the cache (one round trip for both; a query only when the card is not cached)."""

    def get_user(self, validated_token):
        from django.contrib.auth import get_user_model
        from django.core.cache import cache
        from django.db import DEFAULT_DB_ALIAS

        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        jti = validated_token.get(api_settings.JTI_CLAIM)
        companions = [key_of(user_id) for key_of in _companions]
        keys = [_card_key(user_id), *companions] + ([f"{DENIED_PREFIX}{jti}"] if jti else [])
        found = cache.get_many(keys)
        if jti and f"{DENIED_PREFIX}{jti}" in found:
            raise InvalidToken(_("This token was revoked (signed out)."), code="token_revoked")
        card = found.get(_card_key(user_id)) or user_card_load(user_id)
        if card is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not card["is_active"]:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if (
            api_settings.CHECK_REVOKE_TOKEN
            and validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != card["password_digest"]
        ):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        fields = _card_fields()
        user = get_user_model().from_db(DEFAULT_DB_ALIAS, fields, [card[name] for name in fields])
        user.cache_read = {key: found[key] for key in companions if key in found}
        return user
