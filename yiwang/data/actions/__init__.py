"""Every write in the data room: ``do_<verb>(*, actor, ...)``, atomic and audited.
One module per area (standards, catalogue, ingest, quality, sharing, gateway, objections)."""
