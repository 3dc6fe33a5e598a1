import time

from django.core.management.base import BaseCommand, CommandError

from orders.services import orders_expire_reservations


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
                count = orders_expire_reservations()
                if count:
                    self.stdout.write(f"Cancelled {count} expired unpaid order(s).")
                    self.stdout.flush()
                time.sleep(every)
        except KeyboardInterrupt:
            return
