"""亮证: the holder makes a one-minute verification code for a licence in the wallet."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.errors import NotFound
from yiwang.licences import access, showing
from yiwang.licences.models import Licence, Showing


@transaction.atomic
def do_show_licence(*, actor, licence: Licence) -> showing.Shown:
    """亮证: a new dynamic code for the holder's own licence (anyone else's is a 404),
    valid for ``showing.SHOW_SECONDS``. Each call makes a fresh code: the numeric code
    is shown once and kept only as a digest."""
    if not access.own_licences(actor).filter(pk=licence.pk).exists():
        raise NotFound(_("未找到该证照，或它不属于您。"))
    code = showing.new_code()
    row = Showing.objects.create(
        licence=licence,
        code_index=showing.code_index(code),
        expires_at=showing.expires_for(timezone.now()),
        shown_by=actor,
    )
    audit.record(
        actor=actor,
        action="licences.licence.show",
        obj=row,
        change={"licence": licence.identifier, "expires_at": row.expires_at.isoformat()},
    )
    return showing.Shown(row, showing.token_of(row), code)
