import logging
import time

from django.core.management.base import BaseCommand, CommandError

from orders.services import orders_expire_reservations

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Cancel unpaid orders whose stock reservation has run out and return their stock "
        "(Celery beat runs the same every minute). With --every N it keeps doing so every "
        "N seconds until stopped: the quickstart (`make run`), which runs no beat, starts it so."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="repeat every SECONDS seconds until interrupted, printing only what it cancels",
        )

    def handle(self, *args, **options):
        every = options["every"]
        if every is None:
            count = orders_expire_reservations()
            self.stdout.write(self.style.SUCCESS(f"Cancelled {count} expired unpaid order(s)."))
            return
        if every < 1:
            raise CommandError("--every must be at least 1 second.")
        try:
            while True:
                try:
                    count = orders_expire_reservations()
                except Exception:  # a locked database, say: try again next round
                    logger.exception("expiring reservations failed; trying again")
                else:
                    if count:
                        self.stdout.write(f"Cancelled {count} expired unpaid order(s).")
                        self.stdout.flush()
                time.sleep(every)
        except KeyboardInterrupt:
            return
