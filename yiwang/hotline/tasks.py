"""Background jobs of the 12345 room (django-tasks, run by ``yiwang worker``): 热点发现 —
hourly detection of clusters of tickets, raising one alert per burst."""

from __future__ import annotations

from django_tasks import task


@task()
def raise_hotspot_alerts() -> int:
    """Detect hotspots in the window ending now and raise or update their alerts;
    scheduled hourly by the worker. Returns how many alerts were raised or updated."""
    from yiwang.hotline.actions.hotspots import do_raise_hotspot_alerts

    return len(do_raise_hotspot_alerts(actor=None))
