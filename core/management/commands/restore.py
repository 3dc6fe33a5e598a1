"""`manage.py restore [NAME] [--from LOCATION]`: a backup into an empty database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, location, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` (the newest when no name is given) "
        "into the empty database DATABASE_URL names, then check every table's row count "
        "and checksum against the backup's manifest. `--list` shows the backups."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "name", nargs="?", help="the backup, shop-<time>; the newest if left out"
        )
        parser.add_argument("--from", dest="source", help="a folder or s3://bucket/prefix")
        parser.add_argument("--list", action="store_true", help="list the backups there")

    def handle(self, *args, name=None, source=None, list=False, **options):
        try:
            if list:
                for found in location(source).names():
                    self.stdout.write(found)
                return
            restored = restore(name=name, source=source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Restored {restored.name}: ")
            + f"{restored.tables} tables and {restored.rows} rows, each table's count and "
            "checksum as the backup recorded them."
        )
        if restored.media_missing:
            shown = ", ".join(restored.media_missing[:10])
            self.stdout.write(
                self.style.WARNING(
                    f"{len(restored.media_missing)} media files of the backup's manifest are "
                    f"not in the media storage: {shown}"
                )
            )
        else:
            self.stdout.write("Every media file of the backup's manifest is in the media storage.")
