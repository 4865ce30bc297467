from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safepassage.core"

    def ready(self) -> None:
        from django_tasks.signals import task_enqueued

        from safepassage.core import checks  # noqa: F401  (registers the checks)
        from safepassage.core.worker import wake_task_workers

        task_enqueued.connect(wake_task_workers, dispatch_uid="safepassage.wake_task_workers")
