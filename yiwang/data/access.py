"""Who may see and do what in the data room (deny by default). Rows belong to a
department (provider, consumer, importer); staff see their jurisdiction × department
through ``core.access.restrict`` and act there as ``core.access.covers`` says; the
big-data bureau's reviewers see the whole city. ``None`` — the platform — passes every
guard."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.access import (
    covers,
    deny_unless,
    has_perm,
    is_platform,
    reach_divisions,
    require,
    restrict,
)
from yiwang.core.identity import assurance

PUBLISHED = "published"


def by_department(user, qs: QuerySet, perm: str, dept: str) -> QuerySet:
    """``qs`` narrowed to rows whose department ``dept`` lies in the user's scope."""
    return restrict(qs, user, perm, via=dept)


# --- 数据目录 (catalogue) ---


def may_manage(user, department) -> bool:
    """Whether ``user`` holds ``data.manage`` over ``department`` (its data steward, or the
    bureau city-wide)."""
    return covers(user, "data.manage", department=department)


def require_manage(actor, department) -> None:
    """编制、修改目录: ``data.manage`` over the providing department."""
    require(
        actor,
        "data.manage",
        department=department,
        message=_("您不是该部门的数据专员，不能编制或修改其目录。"),
    )


def require_ingest(actor, resource) -> None:
    """归集: the providing department's data stewards load data into its resource."""
    deny_unless(
        actor,
        manageable_resources(actor).filter(pk=resource.pk).exists(),
        _("只有该资源提供部门的数据管理员可以归集数据。"),
    )


def require_review(actor, message: str) -> None:
    """审核目录、维护数据元标准: the big-data bureau's ``data.review`` (city-wide)."""
    require(actor, "data.review", message=message)


def may_work_with_data(user) -> bool:
    """Staff who see the data room's registers (基础库、数据异议): ``data.view``."""
    return getattr(user, "kind", "") == "staff" and has_perm(user, "data.view")


def require_data_staff(user, message: str) -> None:
    """Pages and API of the registers and objections open only to ``may_work_with_data``."""
    deny_unless(user, may_work_with_data(user), message)


def require_steward(actor, message: str) -> None:
    """提出共享申请、数据异议: a department's data steward (``data.manage``), in person.

    The one guard that refuses the platform (``None``) too: the request is made in the
    name of the steward's own department (the share's consumer, the objection's
    requester) and records who raised it (``raised_by`` may not be empty), so there is
    no platform spelling of it — a missing actor here is a caller that lost its user."""
    if is_platform(actor):
        raise PermissionDenied(message)
    require(actor, "data.manage", message=message)


# --- 共享授权 (share grants) ---


def may_revoke(user, grant) -> bool:
    """收回授权: the provider's and the consumer's stewards, and the bureau's reviewers."""
    provider = grant.resource.provider
    return (
        covers(user, "data.manage", department=provider)
        or covers(user, "data.manage", department=grant.consumer)
        or covers(user, "data.review", department=provider)
    )


def require_revoke(actor, grant) -> None:
    deny_unless(actor, may_revoke(actor, grant), _("您无权收回该授权。"))


# --- 信息中介 (information mediator) ---


def may_use_mediator(user, scopes) -> bool:
    """Whether a caller may ask the 信息中介's directory: a consuming or providing system
    (API client) with an ``exchange`` token, as the gateway itself asks. Pages' sessions,
    citizens and staff tokens are refused (deny by default)."""
    return scopes is not None and "exchange" in scopes and getattr(user, "kind", "") == "system"


def require_mediator_client(request) -> None:
    """The directory answers only callers ``may_use_mediator`` lets through (a request
    always has a user, so the platform's pass does not apply)."""
    if not may_use_mediator(request.user, getattr(request, "auth_scopes", None)):
        raise PermissionDenied(_("信息中介目录仅向持有共享交换令牌的系统开放。"))


def resources(user, qs: QuerySet | None = None) -> QuerySet:
    """Catalogue entries: every published one for anyone with ``data.view`` (one unified
    catalogue), drafts and history only for their provider's stewards and reviewers."""
    from yiwang.data.models import DataResource

    qs = qs if qs is not None else DataResource.objects.all()
    if not has_perm(user, "data.view"):
        return qs.none()
    own = by_department(user, qs, "data.manage", "provider").values("pk")
    reviewed = by_department(user, qs, "data.review", "provider").values("pk")
    return qs.filter(Q(status=PUBLISHED) | Q(pk__in=own) | Q(pk__in=reviewed))


def manageable_resources(user, qs: QuerySet | None = None) -> QuerySet:
    """Resources the user may draft, edit or load data into (their department's)."""
    from yiwang.data.models import DataResource

    qs = qs if qs is not None else DataResource.objects.all()
    return by_department(user, qs, "data.manage", "provider")


def batches(user, qs: QuerySet | None = None) -> QuerySet:
    from yiwang.data.models import ImportBatch

    qs = qs if qs is not None else ImportBatch.objects.all()
    return by_department(user, qs, "data.view", "department")


def conflicts(user, qs: QuerySet | None = None) -> QuerySet:
    """Conflicts are seen by the department that must resolve them and by the authority."""
    from yiwang.data.models import Conflict

    qs = qs if qs is not None else Conflict.objects.all()
    mine = by_department(user, qs, "data.view", "department").values("pk")
    theirs = by_department(user, qs, "data.view", "authority").values("pk")
    return qs.filter(Q(pk__in=mine) | Q(pk__in=theirs))


def share_requests(user, qs: QuerySet | None = None) -> QuerySet:
    """Share requests: the consumer's and the provider's stewards, and reviewers."""
    from yiwang.data.models import ShareRequest

    qs = qs if qs is not None else ShareRequest.objects.all()
    asked = by_department(user, qs, "data.view", "consumer").values("pk")
    provides = by_department(user, qs, "data.view", "resource__provider").values("pk")
    return qs.filter(Q(pk__in=asked) | Q(pk__in=provides))


def grants(user, qs: QuerySet | None = None) -> QuerySet:
    from yiwang.data.models import ShareGrant

    qs = qs if qs is not None else ShareGrant.objects.all()
    asked = by_department(user, qs, "data.view", "consumer").values("pk")
    provides = by_department(user, qs, "data.view", "resource__provider").values("pk")
    return qs.filter(Q(pk__in=asked) | Q(pk__in=provides))


def objections(user, qs: QuerySet | None = None) -> QuerySet:
    from yiwang.data.models import DataObjection

    qs = qs if qs is not None else DataObjection.objects.all()
    raised = by_department(user, qs, "data.view", "requester").values("pk")
    owed = by_department(user, qs, "data.view", "authority").values("pk")
    return qs.filter(Q(pk__in=raised) | Q(pk__in=owed))


def accesses_as_provider(user, qs: QuerySet | None = None) -> QuerySet:
    """用数记录 a provider sees: reads of the data it supplies."""
    from yiwang.data.models import DataAccess

    qs = qs if qs is not None else DataAccess.objects.all()
    return by_department(user, qs, "data.view", "provider")


def accesses_of_citizen(user, qs: QuerySet | None = None) -> QuerySet:
    """ "Who read my data": gateway reads of the signed-in citizen's own person record."""
    from yiwang.data.models import DataAccess

    qs = qs if qs is not None else DataAccess.objects.all()
    if not getattr(user, "is_authenticated", False) or user.kind != "citizen":
        return qs.none()
    if not user.id_number or not assurance.is_verified(user):
        # Only a 实名 account sees who read the record of the ID number it names.
        return qs.none()
    from yiwang.core.fields import index_for
    from yiwang.data.models import Person

    return qs.filter(subject_index=index_for(Person, "id_number", user.id_number))


REGISTRY_PERMS = ("data.manage", "data.review")


def registry_codes(user) -> set[str]:
    """基础库 the user may look into: those whose published resource their department
    provides, or with an element whose source department is on their department's line
    (stewards with ``data.manage``), and every registry for the bureau's reviewers
    (``data.review``). Which records of it they read is ``registry_records``' reach."""
    from yiwang.data.models import DataItem, DataResource

    if not has_perm(user, "data.view"):
        return set()
    from yiwang.data.registry import REGISTRIES

    # The base registries only: a defined registry (自定义名册) has its own pages.
    live = DataResource.objects.filter(status=PUBLISHED, registry__in=list(REGISTRIES))
    if has_perm(user, "data.review"):
        return set(live.values_list("registry", flat=True))
    codes = set(
        by_department(user, live, "data.manage", "provider").values_list("registry", flat=True)
    )
    # Stewards on the line (条线) of an element's source department: the same rule that
    # makes a department authoritative for a field in ``registry.Authority``.
    from yiwang.core.access import grants
    from yiwang.core.models import Department
    from yiwang.core.roles import ROLES

    dept_ids = {
        g.department_id
        for g in grants(user)
        if g.department_id is not None and "data.manage" in ROLES[g.role].permissions
    }
    lines = set(Department.objects.filter(pk__in=dept_ids).values_list("line", flat=True))
    if lines:
        codes |= set(
            DataItem.objects.filter(
                resource__in=live, element__source_department__line__in=lines
            ).values_list("resource__registry", flat=True)
        )
    return codes


def registry_records(user, registry: str) -> QuerySet:
    """A registry's records for this user (none when the registry is not theirs to see,
    ``registry_codes``: the same 404 as an absent record), within the reach of their
    ``data.manage`` or ``data.review``: all of them from city level; from a county, the
    records registered there (户籍区划, 登记区划, 所在区划) — a county's steward or
    reviewer never reads another county's people or entities. A registry whose records
    have no division (信用库) is read from city level only."""
    from yiwang.core.models import Division
    from yiwang.data.registry import REGISTRIES

    model = REGISTRIES[registry].model
    qs = model._default_manager.all()
    if registry not in registry_codes(user):
        return qs.none()
    paths = _county_reach(user)
    if paths is None:
        return qs
    if not paths or not any(f.name == "division" for f in model._meta.get_fields()):
        return qs.none()
    inside = Q(pk__in=[])
    for path in paths:  # the divisions in reach, matched on the record's own key
        inside |= Q(division__in=Division.objects.filter(path__startswith=path).values("pk"))
    return qs.filter(inside)


def reads_whole_registry(user, registry: str) -> bool:
    """Whether ``registry_records`` gives ``user`` every record of the registry (a reach
    held at city level), not only a county's."""
    return registry in registry_codes(user) and _county_reach(user) is None


def _county_reach(user) -> list[str] | None:
    """The division paths the user's ``data.manage``/``data.review`` reach: None when
    one of them is held at city level (every record, those without a division too)."""
    from yiwang.core.access import CITY_LEVELS
    from yiwang.core.models import Division

    codes: set[str] = set()
    for perm in REGISTRY_PERMS:
        reach = reach_divisions(user, perm)
        if reach is None:
            return None
        codes |= set(reach)
    places = Division.objects.filter(code__in=codes)
    if any(d.level in CITY_LEVELS for d in places):
        return None
    return [d.path for d in places]


# --- 归集 and 数据质量 ---


def manageable_batches(user, qs: QuerySet | None = None) -> QuerySet:
    """Import batches whose problem rows the user may download, fix and re-submit (the
    loading department's data stewards)."""
    from yiwang.data.models import ImportBatch

    qs = qs if qs is not None else ImportBatch.objects.all()
    return by_department(user, qs, "data.manage", "department")


def census_resources(user, qs: QuerySet | None = None) -> QuerySet:
    """数据资源普查: published resources of the departments in the user's ``data.view``
    scope (a department's stewards see their own; city-wide reviewers see all)."""
    from yiwang.data.models import DataResource

    qs = qs if qs is not None else DataResource.objects.filter(status=PUBLISHED)
    return by_department(user, qs, "data.view", "provider")


# --- 自定义名册 (registries defined by schema) ---

BULK_MAX = 100  # records one GovStack update-entries call may change


def may_define(user, department) -> bool:
    """Whether ``user`` may define, change or stop ``department``'s registries (its data
    steward, ``data.manage`` there)."""
    return covers(user, "data.manage", department=department)


def require_define(actor, department) -> None:
    """定义、修改、停用名册: ``data.manage`` over the owner department."""
    require(
        actor,
        "data.manage",
        department=department,
        message=_("您不是%s的数据专员，不能定义或修改其名册。") % department.name,
    )


def department_of(user):
    """The department of a staff member's own unit (a new registry's default owner)."""
    unit = getattr(user, "org_unit", None)
    return unit.department if unit is not None and unit.department_id else None


def definitions(user, qs: QuerySet | None = None) -> QuerySet:
    """Registry definitions listed to ``user``: every live one for staff with
    ``data.view`` (one catalogue of registries, as the data catalogue is); a system
    client sees those it holds a share grant for. Stopped ones only to their owner's
    stewards."""
    from yiwang.data.models import RegistryDefinition, ShareGrant

    qs = qs if qs is not None else RegistryDefinition.objects.all()
    kind = getattr(user, "kind", "")
    if kind == "system":
        codes = ShareGrant.objects.filter(client__user_id=user.pk).values("resource__registry")
        return qs.filter(archived_at=None, code__in=codes)
    if kind != "staff" or not has_perm(user, "data.view"):
        return qs.none()
    own = by_department(user, qs, "data.manage", "owner").values("pk")
    return qs.filter(Q(archived_at=None) | Q(pk__in=own))
