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

from typing import Any

import jwt
from django.conf import settings
from django.utils.translation import gettext as _
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
        keys = verification_keys() if verify else [current_signing_key()]
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
# token would have expired (one cache read per authenticated request; no query).

DENIED_PREFIX = "jwt:denied:"


def token_deny(token) -> None:
    """Refuse `token` (a simplejwt token object) from now until it expires."""
    from django.core.cache import cache

    jti = token.get(api_settings.JTI_CLAIM)
    expires = token.get("exp")
    if not jti or not expires:
        return
    import time

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


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing tokens denied at logout."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if token_denied(token):
            raise InvalidToken(_("This token was revoked (signed out)."), code="token_revoked")
        return token
