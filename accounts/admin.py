"""Admin of people and their address books: platform staff only. Shop members who sign
in to the admin for their shops never see other people's accounts or addresses."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import ADDRESS_FIELDS, Address, User
from accounts.policies import (
    PRIVILEGE_FIELDS,
    may_change_user,
    may_delete_user,
    mfa_required_but_missing,
)
from accounts.selectors import user_list
from accounts.services import (
    address_create,
    address_delete,
    address_set_default,
    address_update,
    user_deactivate,
    user_tokens_revoke,
)
from core.admin import (
    ExtensibleAdminMixin,
    ReadOnlyAdminMixin,
    StaffOnlyAdminMixin,
    register_admin_guard,
)
from core.errors import NotPermitted


class EmailVerifiedFilter(admin.SimpleListFilter):
    """Whether the user's current address is verified: the `email_verified` annotation of
    `accounts.selectors.user_list`, the same rule checkout applies."""

    title = "email verified"
    parameter_name = "email_verified"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_verified=True)
        if self.value() == "no":
            return queryset.filter(email_verified=False)
        return queryset


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    fields = ["email", "verified", "primary"]
    extra = 0


class AddressInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown, not edited here: the address book's rules (one default, a successor when the
    default goes) live in the services, which the Address admin calls."""

    model = Address
    fields = ["full_name", "line1", "city", "postal_code", "country", "is_default"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(User)
class UserAdmin(StaffOnlyAdminMixin, ExtensibleAdminMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "email_verified",
        "date_joined",
    ]
    list_filter = ["is_active", "is_staff", EmailVerifiedFilter]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    actions = ["deactivate_users"]
    # shops/admin.py adds the user's shop memberships: accounts may not import shops.
    inlines = [EmailAddressInline, AddressInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        """Privileges are a superuser's to give (accounts.policies.may_change_user)."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [name for name in PRIVILEGE_FIELDS if name not in readonly]
            if obj is not None and obj.is_staff:
                readonly.append("is_active")
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not may_change_user(request.user, obj):
            return False  # a staff or superuser account, for anyone but a superuser
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and not may_delete_user(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        # "Delete selected" deletes only what the person may delete.
        if not request.user.is_superuser:
            queryset = queryset.filter(is_staff=False, is_superuser=False)
        super().delete_queryset(request, queryset)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_tokens_revoke(user=obj)  # as switching off through the services does

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = user_list()
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    @admin.display(description="verified", boolean=True, ordering="email_verified")
    def email_verified(self, user: User) -> bool:
        return user.email_verified

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        refused = []
        for user in queryset:
            try:
                user_deactivate(user=user, by=request.user)
            except NotPermitted:
                refused.append(user.email)
                continue
            count += 1
        if refused:
            self.message_user(
                request,
                f"Only a superuser may switch off {', '.join(refused)}.",
                messages.ERROR,
            )
        users = "user" if count == 1 else "users"
        self.message_user(
            request,
            f"Deactivated {count} {users}; their refresh tokens are revoked.",
            messages.SUCCESS,
        )


@admin.register(Address)
class AddressAdmin(StaffOnlyAdminMixin, admin.ModelAdmin):
    """Writes go through the address book services, so that a user keeps exactly one
    default address whatever staff do here."""

    list_display = ["full_name", "user_email", "city", "country", "is_default"]
    list_select_related = ["user"]
    list_filter = ["is_default", "country"]
    search_fields = ["user__email", "full_name", "city", "postal_code"]
    autocomplete_fields = ["user"]
    readonly_fields = ["is_default", "created_at", "updated_at"]
    actions = ["make_default"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("user")  # an address does not move to another address book
        return readonly

    @admin.display(description="user", ordering="user__email")
    def user_email(self, address: Address) -> str:
        return address.user.email

    def save_model(self, request, obj, form, change) -> None:
        data = {
            name: form.cleaned_data[name] for name in ADDRESS_FIELDS if name in form.cleaned_data
        }
        if change:
            address_update(address=obj, data=data)
            return
        created = address_create(user=obj.user, data=data)
        obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj) -> None:
        address_delete(address=obj)

    def delete_queryset(self, request, queryset) -> None:
        for address in queryset.select_related("user"):
            address_delete(address=address)

    @admin.action(description="Make the default address of its user", permissions=["change"])
    def make_default(self, request: HttpRequest, queryset: QuerySet[Address]) -> None:
        for address in queryset.select_related("user"):
            address_set_default(address=address)
        self.message_user(request, "Default addresses updated.", messages.SUCCESS)


def _second_factor_first(request):
    """Staff who must use a second factor and have not set it up are sent to do so before
    any admin page (registered with the admin site below)."""
    if mfa_required_but_missing(request.user):
        messages.warning(
            request, "Set up two-factor sign-in first: staff need it to use the admin."
        )
        return redirect_to_login(request.get_full_path(), reverse("mfa_activate_totp"))
    return None


register_admin_guard(_second_factor_first)


# --- Second factors (allauth.mfa) -----------------------------------------------------------
# allauth's own admin shows an authenticator's secret (`data`, stored as it is) to anyone
# with the view permission, and lets anyone with the delete permission strip another
# person's second factor. Here only superusers see them, without the secret, and may
# delete one (a person who lost their phone and their recovery codes).
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
    list_select_related = ["user"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser
