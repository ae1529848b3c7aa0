"""Background jobs of the data room (django-tasks): running import batches and pulling
configured HTTP JSON sources (接口归集) on their schedule."""

from __future__ import annotations

from django_tasks import task


@task()
def process_batch(batch_id: int) -> str:
    """Run (or resume) one import batch; returns its status."""
    from yiwang.data.actions.ingest import do_process_batch
    from yiwang.data.models import ImportBatch

    batch = ImportBatch.objects.select_related("resource", "created_by").filter(pk=batch_id).first()
    if batch is None:
        return "missing"
    return do_process_batch(actor=batch.created_by, batch=batch).status


@task()
def pull_due_sources() -> int:
    """Pull every enabled source whose interval has passed; returns how many ran."""
    from yiwang.data.actions.ingest import do_pull, due_sources

    ran = 0
    for source in due_sources():
        do_pull(actor=None, source=source)
        ran += 1
    return ran
