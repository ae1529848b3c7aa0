"""Every write of the hotline room (``do_<verb>(*, actor, ...)``), atomic and audited.
Modules by subject: categories, tickets, handling, knowledge, hotspots, grid, warnings."""
