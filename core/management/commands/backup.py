"""`manage.py backup [--to LOCATION] [--keep N]`: the database and a media manifest."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump, custom format, one snapshot) with every "
        "table's row count and checksum and a manifest of the media files, to a folder or "
        "s3://bucket/prefix (BACKUP_LOCATION), keeping the newest BACKUP_KEEP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", dest="target", help="a folder or s3://bucket/prefix")
        parser.add_argument("--keep", type=int, help="how many backups to keep there")

    def handle(self, *args, target=None, keep=None, **options):
        try:
            made = backup(target=target, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {made.location}/{made.name}: ")
            + f"{made.tables} tables, {made.rows} rows, {made.dump_bytes} bytes of dump, "
            f"{made.media_files} media files listed."
        )
        for old in made.removed:
            self.stdout.write(f"Removed the older backup {old}.")
