"""The ``yiwang`` command: Django's management commands under the platform's name,
e.g. ``yiwang demo``, ``yiwang serve``, ``yiwang worker``, ``yiwang audit verify``."""

from __future__ import annotations

import os
import sys

ALIASES = {
    "serve": ["runserver"],
}


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``audit verify`` and ``keys rotate`` read naturally."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args = ALIASES[args[0]] + args[1:]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yiwang", *args])


if __name__ == "__main__":
    main()
