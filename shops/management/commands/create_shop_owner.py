"""`manage.py create_shop_owner EMAIL --shop NAME`: a new shop and the account that owns it."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from accounts.selectors import user_get_by_email
from accounts.services import user_ensure_verified
from core.errors import ApplicationError
from shops.models import Shop
from shops.services import shop_create


class Command(BaseCommand):
    help = (
        "Open a shop owned by the account with this email address. The account is created "
        "when missing, and its address is marked verified; an existing account keeps its "
        "password unless --password is given. A new account without --password gets a "
        "random password. Prints the login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", metavar="EMAIL", help="The owner's email address (login).")
        parser.add_argument("--shop", required=True, metavar="NAME", help="The new shop's name.")
        parser.add_argument(
            "--password",
            metavar="PASSWORD",
            help=(
                "Set this password (it must pass the password rules). Default: keep an "
                "existing account's password, or make a random one for a new account."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["shop"].strip()
        if not name:
            raise CommandError("--shop must name the shop.")
        existing = Shop.objects.filter(name__iexact=name).first()
        if existing is not None:
            raise CommandError(
                f"A shop named “{existing.name}” already exists (slug {existing.slug}): "
                "choose another name, or add owners to it in the admin."
            )
        password = options["password"]
        if password is None and user_get_by_email(email=options["email"]) is None:
            password = secrets.token_urlsafe(12)  # a new account: printed below
        try:
            with transaction.atomic():
                user, created = user_ensure_verified(email=options["email"], password=password)
                shop = shop_create(owner=user, data={"name": name})
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc

        verb = "Created" if created else "Reused"
        self.stdout.write(self.style.SUCCESS(f"Opened the shop “{shop.name}” (slug {shop.slug})."))
        self.stdout.write(f"{verb} the owner's account (address verified):")
        self.stdout.write(f"  email:    {user.email}")
        if password is not None:
            self.stdout.write(f"  password: {password}")
        else:
            self.stdout.write("  password: unchanged (the account's own)")
        self.stdout.write(f"  login:    {settings.SITE_URL}{reverse('account_login')}")
        self.stdout.write(f"  admin:    {settings.SITE_URL}{reverse('admin:index')}")
