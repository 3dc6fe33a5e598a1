from django.core.management.base import BaseCommand

from orders.services import orders_expire_reservations


class Command(BaseCommand):
    help = (
        "Cancel unpaid orders whose stock reservation has run out and return their stock "
        "(Celery beat runs the same every minute)."
    )

    def handle(self, *args, **options):
        count = orders_expire_reservations()
        self.stdout.write(self.style.SUCCESS(f"Cancelled {count} expired unpaid order(s)."))
