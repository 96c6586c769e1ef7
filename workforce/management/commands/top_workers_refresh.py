"""`manage.py top_workers_refresh [--worker WORKER_ID ...]`: recompute the Top workers
qualification now, for the named workers or for every worker with a job standing."""

from django.core.management.base import BaseCommand, CommandError

from workforce.models import WorkerProfile
from workforce.system_qualifications import (
    top_workers_qualifications_refresh,
    top_workers_qualifications_refresh_all,
)


class Command(BaseCommand):
    help = "Grant, update or revoke the Top workers qualification from cross-job skill."

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker",
            action="append",
            default=[],
            metavar="WORKER_ID",
            help="A worker's public id; repeat for several. Default: every worker.",
        )

    def handle(self, *args, worker: list[str], **options):
        if worker:
            found = dict(
                WorkerProfile.objects.filter(worker_id__in=worker).values_list("worker_id", "pk")
            )
            unknown = sorted(set(worker) - set(found))
            if unknown:
                raise CommandError(f"No such worker: {', '.join(unknown)}.")
            holders = top_workers_qualifications_refresh(worker_ids=sorted(found.values()))
        else:
            holders = top_workers_qualifications_refresh_all()
        self.stdout.write(f"{holders} worker(s) hold Top workers.")
