"""申请材料: checking uploads (PDF, JPEG, PNG, OFD — by their content, not their name;
size limit from settings; SHA-256 recorded) and 免证可办 — which of an item's materials an
applicant's valid e-licence or a base-registry record already satisfies."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.actions.workflow import UPLOAD_TYPES
from yiwang.services.models import Material, MaterialSpec, ServiceItem

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Accepted material types and the file name endings each may carry.
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/ofd": (".ofd",),
}
EXTENSION = {ct: exts[0] for ct, exts in ALLOWED.items()}
REGISTRY_LABELS = {"person": gettext_lazy("人口库"), "legal_entity": gettext_lazy("法人库")}
FACT_ID_TYPES = {"person": "111", "legal_entity": "001"}


def max_bytes() -> int:
    """The largest material file accepted (``YIWANG["SERVICES_UPLOAD_MAX_BYTES"]``)."""
    return int(getattr(settings, "YIWANG", {}).get("SERVICES_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _is_ofd(data: bytes) -> bool:
    """An OFD file (GB/T 33190) is a ZIP package with OFD.xml at its root."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return any(n.lower() == "ofd.xml" for n in package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def sniff(data: bytes) -> str | None:
    """The material type the content really is (by its leading bytes), or None."""
    for content_type in ("application/pdf", "image/jpeg", "image/png"):
        if any(data.startswith(m) for m in UPLOAD_TYPES[content_type] or ()):
            return content_type
    if data.startswith(b"PK") and _is_ofd(data):
        return "application/ofd"
    return None


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks, read into memory with its digest."""

    name: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _error(message: str, code: str, **params: Any) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def check_upload(uploaded_file, label: str = "") -> CheckedUpload:
    """Read one uploaded material and check it: not empty, within the size limit, a PDF,
    JPEG, PNG or OFD by content, with a matching file name ending (an .exe renamed .pdf
    is refused). Raises ValidationError (codes empty / too_large / bad_type)."""
    limit = max_bytes()
    name = os.path.basename(getattr(uploaded_file, "name", "") or "file")[:200] or "file"
    what = label or name
    too_large = _("「%(what)s」文件过大：每个文件不超过 %(mb).0f MB。") % {
        "what": what,
        "mb": limit / 1024 / 1024,
    }
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _error(too_large, "too_large")
    chunks, total = [], 0
    for chunk in uploaded_file.chunks():
        total += len(chunk)
        if total > limit:
            raise _error(too_large, "too_large")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise _error(_("「%(what)s」文件为空。") % {"what": what}, "empty")
    content_type = sniff(data)
    ext = os.path.splitext(name)[1].lower()
    if content_type is None or ext not in ALLOWED[content_type]:
        raise _error(
            _(
                "「%(what)s」的文件类型不被接受：请上传 PDF、OFD、JPG 或 PNG 文件（按文件内容检查）。"
            )
            % {"what": what},
            "bad_type",
        )
    return CheckedUpload(name, content_type, data, hashlib.sha256(data).hexdigest())


def save_material(
    *,
    application,
    spec: MaterialSpec | None,
    upload: CheckedUpload,
    source: str = Material.Source.UPLOAD,
    stored_as: str = "",
) -> Material:
    """Store one checked upload under MEDIA_ROOT as a material of the application (called
    inside an application action, which audits it). ``stored_as`` reuses a file already
    stored for another part of the same 一件事 submission."""
    material = Material(
        application=application,
        spec=spec,
        name=(spec.name if spec else upload.name)[:200],
        source=source,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        reference=upload.name[:200],
    )
    if stored_as:
        material.file.name = stored_as
    else:
        filename = f"{upload.sha256[:24]}{EXTENSION[upload.content_type]}"
        material.file.save(filename, ContentFile(upload.data), save=False)
    material.save()
    return material


# --- 免证可办 ---


@dataclass
class Need:
    """One material of an item as it stands for one applicant: satisfied by an e-licence
    (``source="licence"``) or a registry record (``"registry"``), or to be supplied."""

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
    record, else to be uploaded. A revoked, suspended or expired licence does not count."""
    from yiwang.licences.public import licence_label

    out = []
    for spec in specs if specs is not None else item.materials.all():
        need = Need(spec)
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
