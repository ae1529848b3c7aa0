"""申请材料: checking and storing uploads through ``core.uploads`` (PDF, JPEG, PNG, OFD —
by their content, not their name; size limit from settings; SM3 digest, SM4 encrypted at
rest) and 免证可办 — which of an item's materials an
applicant's valid e-licence or a base-registry record already satisfies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import uploads
from yiwang.core.uploads import CheckedUpload
from yiwang.services.models import Material, MaterialSpec, ServiceItem

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Accepted material types (by content, through ``core.uploads``).
MATERIAL_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "application/ofd"})
REGISTRY_LABELS = {"person": gettext_lazy("人口库"), "legal_entity": gettext_lazy("法人库")}
FACT_ID_TYPES = {"person": "111", "legal_entity": "001"}


def max_bytes() -> int:
    """The largest material file accepted (``YIWANG["SERVICES_UPLOAD_MAX_BYTES"]``)."""
    return int(getattr(settings, "YIWANG", {}).get("SERVICES_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_material(uploaded_file, label: str = "") -> CheckedUpload:
    """Check one uploaded material with ``core.uploads.check_upload``: not empty, within
    the materials' size limit, a PDF, JPEG, PNG or OFD by content, with a matching file
    name ending (an .exe renamed .pdf is refused). Raises ValidationError (codes empty /
    too_large / bad_type) naming the material."""
    what = label or os.path.basename(getattr(uploaded_file, "name", "") or "file")
    return uploads.check_upload(
        uploaded_file,
        allowed=MATERIAL_TYPES,
        max_bytes=max_bytes(),
        label=label,
        refused=_(
            "「%(what)s」的文件类型不被接受：请上传 PDF、OFD、JPG 或 PNG 文件（按文件内容检查）。"
        )
        % {"what": what},
    )


def save_material(
    *,
    application,
    spec: MaterialSpec | None,
    upload: CheckedUpload,
    source: str = Material.Source.UPLOAD,
    stored_as: Material | None = None,
) -> Material:
    """Store one checked upload as a material of the application, SM4 encrypted at rest
    (called inside an application action, which audits it). ``stored_as`` is a material
    already stored with the same bytes for another part of the same 一件事 submission:
    its stored file is shared, not written again."""
    material = Material(
        application=application,
        spec=spec,
        source=source,
        reference=upload.name[:200],
    )
    name = (spec.name if spec else upload.name)[:200]
    if stored_as is not None:
        uploads.share(material, stored_as)
        material.name = name
    else:
        uploads.store(material, upload, name=name)
    material.save()
    return material


# --- 免证可办 ---


@dataclass
class Need:
    """One material of an item as it stands for one applicant: satisfied by an e-licence
    (``source="licence"``), a registry record (``"registry"``) or the platform's own
    申请书 (``"generated"``), or to be supplied."""

    spec: MaterialSpec
    source: str = ""
    reference: str = ""
    label: str = ""

    @property
    def key(self) -> str:
        """The upload field name for this material."""
        return f"material_{self.spec.pk}"

    @property
    def satisfied(self) -> bool:
        return bool(self.source)


def registry_record(fact: str, id_type: str, id_number: str):
    """The base-registry record for the applicant (人口库 by ID number, 法人库 by credit
    code), read through the data room; None when there is none or it does not apply."""
    from yiwang.data.registry import REGISTRIES

    if fact not in FACT_ID_TYPES or FACT_ID_TYPES[fact] != id_type or not id_number:
        return None
    return REGISTRIES[fact].get(id_number)


def registry_reference(fact: str, record) -> tuple[str, str]:
    """(reference stored on the material, label shown): registry, record and version."""
    ref = f"{fact}:{record.pk}@v{record.version}"
    label = _("%(registry)s核验（记录 %(pk)s，第 %(v)s 版）") % {
        "registry": REGISTRY_LABELS.get(fact, fact),
        "pk": record.pk,
        "v": record.version,
    }
    return ref, label


def valid_licence(type_code: str, id_number: str):
    """The applicant's valid e-licence of this type (slug or code), or None."""
    from yiwang.licences.public import find_valid_licence

    if not type_code or not id_number:
        return None
    return find_valid_licence(holder_id=id_number, type_code=type_code)


def resolve_materials(
    item: ServiceItem, *, id_type: str, id_number: str, specs: list | None = None
) -> list[Need]:
    """免证可办: each material of the item for this applicant — satisfied by a valid
    e-licence of the spec's ``licence_type_code`` or by the spec's ``registry_fact``
    record, else to be uploaded. A revoked, suspended or expired licence does not count.
    A ``generated`` material (the 申请书 drawn up from the online form) is provided by
    the platform itself."""
    from yiwang.licences.public import licence_label

    out = []
    for spec in specs if specs is not None else item.materials.all():
        need = Need(spec)
        if spec.generated:
            need.source = Material.Source.GENERATED
            need.label = str(Material.Source.GENERATED.label)
            out.append(need)
            continue
        licence = valid_licence(spec.licence_type_code, id_number)
        if licence is not None:
            need.source = Material.Source.LICENCE
            need.reference = licence.identifier
            need.label = _("电子证照：%s") % licence_label(licence)
        elif spec.registry_fact:
            record = registry_record(spec.registry_fact, id_type, id_number)
            if record is not None:
                need.source = Material.Source.REGISTRY
                need.reference, need.label = registry_reference(spec.registry_fact, record)
        out.append(need)
    return out


def current_materials(application) -> list[Material]:
    """The application's materials, the newest per material spec (补正 adds newer ones)."""
    latest: dict[Any, Material] = {}
    for m in application.materials.select_related("spec").order_by("id"):
        latest[m.spec_id if m.spec_id is not None else f"x{m.pk}"] = m
    return sorted(latest.values(), key=lambda m: (m.spec.position if m.spec else 999, m.pk))
