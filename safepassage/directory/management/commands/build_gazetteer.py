from typing import Any

from django.core.management.base import BaseCommand

from safepassage.lib.geo import cityindex


class Command(BaseCommand):
    help = "Build the offline city index (once; later runs find it ready)."

    def handle(self, *args: Any, **options: Any) -> None:
        path = cityindex.ensure_index()
        self.stdout.write(f"city index ready: {path}")
