from typing import Any

from django.core.management.base import BaseCommand

from safepassage.core.housekeeping import housekeeping


class Command(BaseCommand):
    help = (
        "Expire unconfirmed signatures and offer due mail again "
        "(the worker runs this every minute)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in housekeeping().items():
            self.stdout.write(f"{name}: {count}")
