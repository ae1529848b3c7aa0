"""makemessages that also finds strings marked with ``gettext_lazy`` imported under the
short names this project uses (``_l``, ``_lazy``), so ``--no-obsolete`` keeps them."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_l", "--keyword=_lazy"]
