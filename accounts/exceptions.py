from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401
    default_detail = _("The email address or password is not correct.")


class InvalidVerificationKey(ApplicationError):
    code = "invalid_key"
    status_code = 400
    default_detail = _("This verification link is invalid, expired or already used.")


class InvalidResetToken(ApplicationError):
    code = "invalid_token"
    status_code = 400
    default_detail = _("This password reset link is invalid, expired or already used.")


class EmailNotVerified(ApplicationError):
    code = "email_not_verified"
    status_code = 403
    default_detail = _("Verify your email address first: follow the link we sent you.")


class SignInLocked(ApplicationError):
    """Too many wrong passwords for this account from this address, or from this address
    overall (accounts.signin): 429 with Retry-After, like every throttle."""

    code = "throttled"
    status_code = 429

    def __init__(self, *, wait: int):
        minutes = max(1, -(-wait // 60))
        super().__init__(
            ngettext(
                "Too many failed sign-in attempts from here. Try again in %(minutes)d minute.",
                "Too many failed sign-in attempts from here. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
        self.wait = wait


class SecondFactorRequired(ApplicationError):
    """The account uses two-factor sign-in: the password alone is not enough."""

    code = "mfa_required"
    status_code = 401
    default_detail = _(
        "This account uses two-factor sign-in: send the code from your authenticator app "
        "(or a recovery code) as `code`."
    )


class SecondFactorInvalid(ApplicationError):
    code = "invalid_mfa_code"
    status_code = 401
    default_detail = _("The two-factor code is not correct.")


class SecondFactorSetupRequired(ApplicationError):
    """Platform staff must set up two-factor sign-in (STAFF_REQUIRE_MFA) first, on the
    account pages (/accounts/2fa/)."""

    code = "mfa_setup_required"
    status_code = 403
    default_detail = _(
        "Staff accounts need two-factor sign-in: set it up on the account pages first."
    )
