import secrets

from django.core.management.base import BaseCommand, CommandError

from accounts.services import staff_user_ensure

DEFAULT_STAFF_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = (
        "Load the demo data (idempotent: running it again changes nothing but the staff "
        "password) and print a staff login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--staff-email", default=DEFAULT_STAFF_EMAIL)
        parser.add_argument(
            "--staff-password",
            default=None,
            help="Password for the staff login (default: a new random one, printed).",
        )
        parser.add_argument(
            "--no-staff", action="store_true", help="Do not create or reset the staff login."
        )

    def handle(self, *args, **options):
        if not options["no_staff"]:
            password = options["staff_password"] or secrets.token_urlsafe(12)
            if len(password) < 8:
                raise CommandError("--staff-password must be at least 8 characters.")
            user, created = staff_user_ensure(email=options["staff_email"], password=password)
            verb = "Created" if created else "Reset"
            self.stdout.write(self.style.SUCCESS(f"{verb} the staff login:"))
            self.stdout.write(f"  email:    {user.email}")
            self.stdout.write(f"  password: {password}")
            self.stdout.write("  admin:    http://127.0.0.1:8000/admin/")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
