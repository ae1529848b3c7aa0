"""Every write of the core room happens here (``do_<verb>(*, actor, ...)``), atomic and
audited. Modules by subject: org, users, workflow, notify, keys."""
