"""Reads of the data room shared by its pages and its API, one module per area
(registries, objections). They write nothing: a read that must be logged goes through an
action in ``data.actions.reads``."""
