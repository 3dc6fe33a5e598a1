"""Rate limits of the account endpoints: per client address and per account.

Rates come from settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read from the
environment): `register`, `password_reset`, `verify_email`. Signing in is guarded by
failed attempts instead (accounts.signin), not by a rate.
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle

from core.security.throttles import SettingsRate


class ScopedSettingsThrottle(SettingsRate, SimpleRateThrottle):
    """The site's one throttle algorithm (core.security.throttles.SettingsRate: the rate
    read from the settings at each request, a fixed window counted in one round trip)."""


class ClientAddressRateThrottle(ScopedSettingsThrottle):
    """One bucket per client IP address for the endpoint's scope."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": f"{self.scope}_ip", "ident": self.get_ident(request)}


class AccountRateThrottle(ScopedSettingsThrottle):
    """One bucket per account named in the body (its email address, or a key)."""

    field = "email"

    def get_cache_key(self, request, view):
        try:
            value = request.data.get(self.field)
        except AttributeError:  # a body that is not an object: the view rejects it
            return None
        if not value or not isinstance(value, str):
            return None
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": f"{self.scope}_account", "ident": digest}


class RegisterAddressThrottle(ClientAddressRateThrottle):
    scope = "register"


class RegisterAccountThrottle(AccountRateThrottle):
    scope = "register"


class PasswordResetAddressThrottle(ClientAddressRateThrottle):
    scope = "password_reset"


class PasswordResetAccountThrottle(AccountRateThrottle):
    scope = "password_reset"


class VerifyEmailAddressThrottle(ClientAddressRateThrottle):
    scope = "verify_email"


class VerifyEmailKeyThrottle(AccountRateThrottle):
    scope = "verify_email"
    field = "key"
