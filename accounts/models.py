from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

# Erased accounts keep their row under an address of this domain (accounts.services.
# user_erase). `.invalid` is reserved (RFC 6761): no mailbox can have such an address,
# so nobody may sign up with one, which would also block the erasure of another account.
ERASED_EMAIL_DOMAIN = "erased.invalid"


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@{ERASED_EMAIL_DOMAIN}"


def validate_deliverable_email(value: str) -> None:
    """Refuse addresses at a reserved, undeliverable domain (`.invalid`)."""
    domain = (value or "").rsplit("@", 1)[-1].strip().rstrip(".").lower()
    if domain == "invalid" or domain.endswith(".invalid"):
        raise ValidationError(
            _("This address cannot receive mail: use another one."), code="undeliverable"
        )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; no username."""

    email = models.EmailField(
        _("email address"), max_length=254, unique=True, validators=[validate_deliverable_email]
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Platform staff: may sign in to the admin and manage the shop."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Email preferences; transactional mail (verification, password reset) ignores them.
    marketing_emails = models.BooleanField(default=False)
    # The language the shop and its mail speak to this person (one of LANGUAGES);
    # empty: their browser's (core.i18n).
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES
    )
    order_updates = models.BooleanField(default=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person erased the account (personal data gone)."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        # Addresses are stored lower-cased so that lookups and uniqueness ignore case.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def preferences(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in PREFERENCE_FIELDS}


PREFERENCE_FIELDS = ("marketing_emails", "order_updates")


# The fields of a postal address, in the order people write them: the address book's,
# an order's snapshot, the forms and serializers all take them from here.
ADDRESS_FIELDS = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)


class Address(models.Model):
    """An entry of a person's address book."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state / region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = CountryField(_("country"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_default = models.BooleanField(_("default shipping address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="accounts_address_one_default_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}, {self.country.code}"

    def as_snapshot(self) -> dict[str, str]:
        """The address as plain data, for orders that must not change when the book does."""
        snapshot = {name: getattr(self, name) for name in ADDRESS_FIELDS}
        snapshot["country"] = self.country.code
        return snapshot
