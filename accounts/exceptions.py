from config.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401
    default_detail = "The email address or password is not correct."


class InvalidVerificationKey(ApplicationError):
    code = "invalid_key"
    status_code = 400
    default_detail = "This verification link is invalid, expired or already used."


class InvalidResetToken(ApplicationError):
    code = "invalid_token"
    status_code = 400
    default_detail = "This password reset link is invalid, expired or already used."


class EmailNotVerified(ApplicationError):
    code = "email_not_verified"
    status_code = 403
    default_detail = "Verify your email address first: follow the link we sent you."
