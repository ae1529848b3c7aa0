"""The permission matrix's world (权限矩阵的测试世界): one object of every object type the
platform keeps, placed in 武陟县 (county A, 410823), 博爱县 (county B, 410822) and at city
level (焦作市, 410800), each in two departments (市场监管 market, 住建 housing), and the
people who ask for them — every role held at city level and in county A (both in the
market department), a citizen, an enterprise and nobody at all.

Built once per test module through the actions (as the platform would), inside one
transaction that is rolled back when the module ends. ``World.objects`` lists what was
built: each object with its type, its place(s), a marker unique in every page (its
number, code or a probe string), the ids its URLs need and who owns it."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

# Places an object can sit in: (division code, department line).
PLACES: dict[str, tuple[str, str]] = {
    "city_market": ("410800", "market"),
    "city_housing": ("410800", "housing"),
    "a_market": ("410823", "market"),
    "a_housing": ("410823", "housing"),
    "b_market": ("410822", "market"),
    "b_housing": ("410822", "housing"),
}
# City departments nobody in the matrix belongs to: the providers of shared data and the
# authority of the person registry (公安), and the 12345 centre.
OTHERS: dict[str, tuple[str, str]] = {
    "city_security": ("410800", "public_security"),
    "city_resources": ("410800", "natural_resources"),
    "city_hotline": ("410800", "hotline"),
}
ALL_PLACES = {**PLACES, **OTHERS}
# Where the people asking hold their roles: the market department of the city or county A.
LEVELS = {"city": "410800", "county": "410823"}
HOLDER_LINE = "market"
NON_STAFF = ("citizen", "enterprise", "anonymous")
PUBLISHED = frozenset({"published"})

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CITIZEN_ID = "11010519491231002X"
OTHER_CITIZEN_ID = "410823199001011234"
# Divisions of tickets, hotspots and grid events: a district for the city (tickets are
# placed where they happen), the county seat's township for the counties.
TOWNSHIP_OF = {"410800": "410802", "410823": "410823", "410822": "410822"}


# The platform's models (``app.Model``) and the matrix's object types their rows are.
MODEL_KINDS: dict[str, tuple[str, ...]] = {
    "core.Case": ("case",),
    "core.CaseAttachment": ("case_attachment",),
    "core.AuditEntry": ("audit_entry",),
    "core.RelyingParty": ("relying_party",),
    "core.User": ("staff",),
    "core.Notification": ("notification",),
    "services.Application": ("application",),
    "services.Material": ("material",),
    "services.BundleApplication": ("bundle_application",),
    "services.Rating": ("rating", "rectification"),
    "services.ServiceItem": ("item",),
    "services.WindowVisit": ("visit",),
    "services.Booking": ("booking",),
    "services.QueueTicket": ("queue_ticket",),
    "licences.Licence": ("licence",),
    "licences.Seal": ("seal",),
    "hotline.Ticket": ("ticket", "grid_event"),
    "hotline.TicketAttachment": ("grid_photo",),
    "hotline.Warning": ("warning",),
    "hotline.HotspotAlert": ("hotspot",),
    "hotline.KnowledgeEntry": ("knowledge",),
    "hotline.Open311Key": ("open311_key",),
    "hotline.Category": ("taxonomy_leaf",),
    "hotline.TaxonomyVersion": ("taxonomy_version",),
    "data.DataResource": ("resource",),
    "data.ShareRequest": ("share_request",),
    "data.ShareGrant": ("share_grant",),
    "data.DataAccess": ("data_access",),
    "core.DataUse": ("data_use",),
    "data.DataObjection": ("objection",),
    "data.Conflict": ("conflict",),
    "data.ImportBatch": ("batch",),
    "data.QuarantinedRow": ("batch",),  # problem rows: the batch's exports and row page
    "data.Person": ("person",),
    "data.RegistryDefinition": ("registry_definition",),
    "data.LegalEntity": ("legal_entity",),
}
# Models whose rows are not objects of their own in the matrix, and why.
NOT_OBJECTS: dict[str, str] = {
    "core.ApiClient": "API clients: system administration (Django admin)",
    "core.OidcSession": "single sign-on bookkeeping of relying parties: never shown",
    "core.PhoneChallenge": "one's own pending 实名 SMS code: hashed, never shown",
    "core.RateCounter": "rate-limit counters: never shown",
    "core.RecoveryCode": "one's own TOTP recovery codes: hashed, shown once at creation",
    "core.AuditBlock": "sealed ledger blocks: heads only, shown with their entries",
    "core.CalendarDay": "working-day calendar: public reference data",
    "core.CalendarYear": "working-day calendar: public reference data",
    "core.CaseEvent": "a case's history, shown only on its case",
    "core.Delivery": "a notification's channel deliveries, shown only with it",
    "core.Department": "org structure: public reference data",
    "core.Division": "org structure: public reference data",
    "core.OrgUnit": "org structure: public reference data",
    "core.NumberSequence": "internal counters",
    "core.RoleAssignment": "shown with the staff member (staff directory)",
    "core.Workflow": "workflow definitions: reference data",
    "data.Catalogue": "the catalogue's classification tree: reference data",
    "data.CreditRecord": "信用库: no division of its own; read from city level only "
    "(registry_records), as the person and legal-entity rows show",
    "data.Place": "空间地理库: same registry_records reach as person and legal entity",
    "data.DataElement": "data elements (standards): shared reference data",
    "data.DataItem": "a resource's items, shown only with it",
    "data.PullSource": "scheduled pull configuration of a resource (its stewards)",
    "data.QualityResult": "a batch's quality results (its quality API is in the matrix)",
    "data.QualityRule": "quality rules: shared reference data",
    "data.RecordHistory": "a registry record's history, shown only with the record",
    "data.DefinedRecord": "a defined registry's records: shown masked only with its definition, "
    "served to systems by share grants (the GovStack data API)",
    "hotline.Callback": "part of a ticket, shown only with it",
    "hotline.Extension": "part of a ticket, shown only with it",
    "hotline.TicketLink": "part of a ticket, shown only with it",
    "hotline.TicketReturn": "part of a ticket, shown only with it",
    "hotline.ClassifierVersion": "分类模型 versions: model data, shown only on the classifier "
    "page (in the page matrix)",
    "hotline.ClassificationLabel": "分类标注: counted per leaf and month on the classifier page, "
    "never listed",
    "hotline.TicketTerm": "a ticket's content signature (an index), never shown on its own",
    "hotline.RoutingRule": "派单规则: reference data",
    "hotline.Grid": "网格: reference data",
    "hotline.WarningRecipient": "who a warning reached, shown only to its publishers",
    "licences.LicenceEvent": "a licence's history, shown only with it",
    "licences.LicenceType": "licence catalogue: public",
    "licences.SealUsage": "a seal's usage log (its usages API is in the matrix)",
    "opendata.Dataset": "open data: public",
    "services.Bundle": "一件事 definitions: public",
    "services.BundleItem": "part of a 一件事 definition: public",
    "services.MaterialSpec": "part of an item's guide",
    "services.ProcessStep": "part of an item's guide",
    "services.ServiceHall": "政务服务中心: public (the hall list API); their bookings and "
    "queue are the matrix's objects",
    "services.BookingSlot": "places taken per 预约时段: counts only (free places are public)",
    "services.NoticeSetting": "one's own 办件进度短信 choice (个人中心)",
    "licences.Showing": "亮证 codes: kept as digests, shown once to the holder who made them "
    "(the wallet's 亮证 page is in the matrix)",
}


@dataclass
class Obj:
    """One object of the world: ``kind`` (its type), ``places`` (where it belongs; most
    have one, a share request its consumer's and its provider's), ``marker`` (a string
    found in a page only where the object is shown), ``ref`` (ids its URLs need) and
    ``owners`` (principals who own it: the applicant, the rater, the addressee …)."""

    kind: str
    places: tuple[str, ...]
    marker: str
    ref: dict[str, Any] = field(default_factory=dict)
    owners: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()

    @property
    def place(self) -> str:
        return self.places[0]

    def __repr__(self) -> str:
        return f"<{self.kind} {self.place} {self.marker}>"


@dataclass
class World:
    principals: dict[str, Any]  # name → User (None for anonymous)
    objects: list[Obj]
    workers: dict[str, Any] = field(default_factory=dict)  # place → the staff working there

    def of(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.kind == kind]


def principal_names(roles: Iterable[str]) -> list[str]:
    """Every role at each level, then the accounts without roles."""
    return [f"{r}@{lvl}" for r in roles for lvl in LEVELS] + list(NON_STAFF)


class _Builder:
    """Builds the world step by step; each room's part is one method."""

    def __init__(self) -> None:
        from yiwang.core.models import Department, Division, OrgUnit

        self.Department, self.Division, self.OrgUnit = Department, Division, OrgUnit
        self.objects: list[Obj] = []
        self.principals: dict[str, Any] = {}
        self.workers: dict[str, Any] = {}
        self.serial = itertools.count(1)

    # --- helpers ---

    def dept(self, place: str):
        code, line = ALL_PLACES[place]
        return self.Department.objects.get(code=f"{code}-{line}")

    def unit(self, place: str):
        code, line = ALL_PLACES[place]
        return self.OrgUnit.objects.get(department__code=f"{code}-{line}", division=code)

    def township(self, place: str):
        return self.Division.objects.get(code=TOWNSHIP_OF[ALL_PLACES[place][0]])

    def street(self, place: str):
        """The first township (乡镇街道) of the place's district or county: grids lie there."""
        top = self.township(place)
        return (
            self.Division.objects.filter(path__startswith=top.path, level="township")
            .order_by("code")
            .first()
        )

    def probe(self, prefix: str) -> str:
        """A marker no page shows by accident: MX, the prefix and a fixed-width serial."""
        return f"MX{prefix}{next(self.serial):04d}"

    def add(self, kind: str, places, marker: str, **kw) -> Obj:
        places = (places,) if isinstance(places, str) else tuple(places)
        obj = Obj(kind, places, marker, **kw)
        self.objects.append(obj)
        return obj

    # --- people ---

    def people(self, roles: Iterable[str]) -> None:
        from yiwang.core.actions.users import (
            do_create_citizen,
            do_create_enterprise,
            do_create_staff,
        )
        from yiwang.core.identifiers import make_credit_code

        for role in roles:
            for level, code in LEVELS.items():
                unit = self.OrgUnit.objects.get(
                    department__code=f"{code}-{HOLDER_LINE}", division=code
                )
                self.principals[f"{role}@{level}"] = do_create_staff(
                    actor=None,
                    username=f"mx_{role}_{level}",
                    full_name="矩阵人员",
                    org_unit=unit,
                    roles=[role],
                    password=None,
                    validate=False,
                )
        self.principals["citizen"] = do_create_citizen(
            actor=None,
            username="mx_citizen",
            full_name="张三",
            id_number=CITIZEN_ID,
            password=None,
            phone="13812345678",
            validate=False,
        )
        self.principals["enterprise"] = do_create_enterprise(
            actor=None,
            username="mx_enterprise",
            enterprise_name="焦作矩阵科技有限公司",
            credit_code=make_credit_code("91", "410800", "MA3XYW12"),
            full_name="李四",
            password=None,
            validate=False,
        )
        self.principals["anonymous"] = None
        self.other_citizen = do_create_citizen(
            actor=None,
            username="mx_other_citizen",
            full_name="王五",
            id_number=OTHER_CITIZEN_ID,
            password=None,
            phone="13812345679",
            validate=False,
        )
        # Staff who do the work in each place (受理, 审批, 数据专员, 承办): also the staff
        # directory's objects.
        for place in ALL_PLACES:
            w = do_create_staff(
                actor=None,
                username=f"mxworker{place.replace('_', '')}",
                full_name="矩阵工作人员",
                org_unit=self.unit(place),
                roles=[
                    "window_clerk",
                    "approver",
                    "dept_admin",
                    "data_steward",
                    "hotline_handler",
                ],
                password=None,
                validate=False,
            )
            self.workers[place] = w
            if place in PLACES:
                self.add("staff", place, w.username, ref={"pk": w.pk})

    def owner_of(self, place: str):
        """The applicant of a place's objects: the matrix's citizen owns county A's
        market objects; another citizen owns the rest."""
        if place == "a_market":
            return self.principals["citizen"], frozenset({"citizen"})
        return self.other_citizen, frozenset()

    # --- services: items, applications, materials, cases, ratings, rectifications ---

    def services(self) -> None:
        from yiwang.services.actions.applications import do_act, do_apply
        from yiwang.services.actions.ratings import do_issue_visit_ticket, do_rate_application
        from yiwang.services.models import MaterialSpec, ServiceItem

        for n, place in enumerate(PLACES, start=1):
            dept = self.dept(place)
            main = ServiceItem.objects.create(
                code=f"MX{n:03d}00",
                name=f"矩阵事项{n}",
                kind="licensing",
                department=dept,
                implementer=dept.name,
                legal_basis="《测试依据》",
                level=ServiceItem.Level.MAIN,
                division=dept.division,
                status=ServiceItem.Status.PUBLISHED,
            )
            item = ServiceItem.objects.create(
                code=f"MX{n:03d}01",
                name=f"矩阵事项{n}（新办）",
                kind="licensing",
                department=dept,
                implementer=dept.name,
                legal_basis="《测试依据》",
                level=ServiceItem.Level.HANDLING,
                parent=main,
                handling=ServiceItem.Handling.NEW,
                division=dept.division,
                statutory_days=20,
                promised_days=10,
                form_fields=[
                    {"name": "shop_name", "label": "经营场所名称", "type": "text"},
                ],
                status=ServiceItem.Status.PUBLISHED,
            )
            spec = MaterialSpec.objects.create(item=item, position=1, name="场所证明")
            applicant, owners = self.owner_of(place)
            app = do_apply(
                actor=applicant,
                item=item,
                form_data={"shop_name": "矩阵小店"},
                uploads={f"material_{spec.pk}": SimpleUploadedFile("证明.pdf", PDF)},
            )
            material = app.materials.get()
            self.add(
                "application",
                place,
                app.number,
                ref={"number": app.number, "pk": app.pk},
                owners=owners,
            )
            self.add(
                "material",
                place,
                f"material-{material.pk}",
                ref={"number": app.number, "pk": material.pk},
                owners=owners,
            )
            self.add("case", place, app.flow.number, ref={"pk": app.flow.pk}, owners=owners)
            done = do_apply(
                actor=applicant,
                item=item,
                form_data={"shop_name": "矩阵小店二"},
                uploads={f"material_{spec.pk}": SimpleUploadedFile("证明.pdf", PDF)},
            )
            do_act(actor=self.workers[place], application=done, action="not_accept", comment="不符")
            done.refresh_from_db()
            rating = do_rate_application(
                actor=applicant, application=done, level=5, comment=self.probe("RATE")
            )
            rating.refresh_from_db()
            self.add(
                "rating",
                place,
                rating.comment,
                ref={"pk": rating.pk},
                owners=owners,
            )
            self.add(
                "rectification",
                place,
                rating.rectification.number,
                ref={"pk": rating.pk, "case": rating.rectification.pk},
            )
            self.bundle(n, place, item, spec, applicant, owners)
            self.item_draft(n, place, dept)
            if place.endswith("market"):
                visit = do_issue_visit_ticket(actor=self.workers[place], item=item)
                self.add("visit", place, visit.number, ref={"number": visit.number})
                self.hall(n, place, dept, item, applicant, owners)

    def hall(self, n: int, place: str, dept, item, applicant, owners) -> None:
        """政务服务中心 of the place's division, kept by its department: a 预约 a week
        ahead for the place's item and a 排队号 for the day the cases run, both by the place's
        applicant (the hall's staff see both, the booker their own)."""
        from yiwang.services.models import Booking, QueueTicket, ServiceHall
        from yiwang.services.models.halls import DEFAULT_HOURS, DEFAULT_WINDOWS

        hall = ServiceHall.objects.create(
            code=f"mxhall{n}",
            name=f"矩阵政务服务中心{n}",
            division=dept.division,
            department=dept,
            hours=DEFAULT_HOURS,
            windows=DEFAULT_WINDOWS,
        )
        today = timezone.localdate()
        booking = Booking.objects.create(
            hall=hall,
            item=item,
            citizen=applicant,
            division=hall.division,
            department=dept,
            day=today + dt.timedelta(days=7),
            start=dt.time(9, 0),
            end=dt.time(9, 30),
        )
        self.add(
            "booking",
            place,
            item.name,
            ref={"pk": booking.pk, "hall": hall.code, "day": booking.day.isoformat()},
            owners=owners,
        )
        number = self.probe("Q")
        # Taken for the day the cases run: the world is built the evening before
        # (conftest's clock), and the hall's desk shows the queue of today.
        ticket = QueueTicket.objects.create(
            hall=hall,
            division=hall.division,
            department=dept,
            day=(timezone.localtime() + dt.timedelta(hours=12)).date(),
            window="A",
            seq=1,
            number=number,
            citizen=applicant,
        )
        self.add(
            "queue_ticket", place, number, ref={"pk": ticket.pk, "hall": hall.code}, owners=owners
        )

    def bundle(self, n: int, place: str, item, spec, applicant, owners) -> None:
        """一件事: one bundle over the place's item, applied for by its applicant."""
        from yiwang.services.actions.bundles import do_apply_bundle, do_define_bundle

        bundle = do_define_bundle(
            actor=None, code=f"MXB{n:03d}", name=f"矩阵一件事{n}", kind="life", items=[item]
        )
        submission = do_apply_bundle(
            actor=applicant,
            bundle=bundle,
            form_data={"shop_name": "矩阵小店三"},
            uploads={f"material_{spec.pk}": SimpleUploadedFile("证明.pdf", PDF + b"b")},
        )
        self.add(
            "bundle_application",
            place,
            submission.number,
            ref={"number": submission.number},
            owners=owners,
        )

    def item_draft(self, n: int, place: str, dept) -> None:
        """事项 being drafted (草稿): only its department's keepers see it."""
        from yiwang.services.models import ServiceItem

        draft = ServiceItem.objects.create(
            code=f"MX{n:03d}90",
            name=f"矩阵草稿事项{n}",
            kind="licensing",
            department=dept,
            implementer=dept.name,
            legal_basis="《测试依据》",
            level=ServiceItem.Level.MAIN,
            division=dept.division,
            status=ServiceItem.Status.DRAFT,
        )
        self.add("item", place, draft.code, ref={"code": draft.code}, flags=frozenset({"draft"}))

    # --- core: case attachments, ledger entries, notifications ---

    def core(self) -> None:
        from yiwang.core import audit
        from yiwang.core.actions.notify import do_notify
        from yiwang.core.actions.oidc import do_register_relying_party
        from yiwang.core.actions.workflow import do_attach
        from yiwang.core.models import Case

        # 接入系统: the platform's own, managed only by the city's bureau (city level).
        name = self.probe("RP")
        rp = do_register_relying_party(
            actor=None, name=name, redirect_uris="https://rp.example/cb"
        ).party
        self.add("relying_party", "city_market", name, ref={"pk": rp.pk})

        for o in self.of("application"):
            case = Case.objects.get(pk=self.find("case", o.place).ref["pk"])
            att = do_attach(
                actor=self.workers[o.place],
                case=case,
                uploaded_file=SimpleUploadedFile("附件.pdf", PDF),
                comment=self.probe("ATT"),
            )
            self.add(
                "case_attachment",
                o.place,
                f"attachment-{att.pk}",
                ref={"case": case.pk, "pk": att.pk},
                owners=o.owners,
            )
        for place in PLACES:
            marker = self.probe("AUD")
            audit.record(actor=self.workers[place], action="matrix.probe", obj=("matrix", marker))
            from yiwang.core.models import AuditEntry

            entry = AuditEntry.objects.get(object_id=marker)
            self.add("audit_entry", place, marker, ref={"pk": entry.pk})
        # 站内消息: one to a person in the matrix, one to a county-held role, one to a
        # worker nobody else reads.
        for name, place in (
            ("citizen", "a_market"),
            ("leader@county", "a_market"),
            (None, "b_market"),
        ):
            user = self.principals[name] if name else self.workers[place]
            marker = self.probe("MSG")
            do_notify(actor=None, user=user, title=marker, body="矩阵消息")
            self.add("notification", place, marker, owners=frozenset({name} if name else ()))

    def of(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.kind == kind]

    def find(self, kind: str, place: str) -> Obj:
        return next(o for o in self.objects if o.kind == kind and o.place == place)

    # --- licences: e-licences and e-seals ---

    def licences(self) -> None:
        from yiwang.core.identifiers import make_credit_code
        from yiwang.licences.actions import do_create_seal, do_seed_licence_types
        from yiwang.licences.models import Seal
        from yiwang.licences.public import do_issue_licence

        do_seed_licence_types(actor=None)
        for n, place in enumerate(PLACES, start=1):
            dept = self.dept(place)
            seal = Seal.objects.filter(owner=dept, kind="licensing").first()
            if seal is None:
                seal = do_create_seal(actor=None, department=dept, kind="licensing")
            self.add("seal", place, seal.code, ref={"pk": seal.pk})
            owners = frozenset({"enterprise"}) if place == "a_market" else frozenset()
            code = (
                self.principals["enterprise"].credit_code
                if owners
                else make_credit_code("91", "410800", f"MA3XM{n:03d}")
            )
            licence = do_issue_licence(
                actor=None,
                licence_type="food_business",
                holder_name=f"矩阵商户{n}",
                holder_id=code,
                holder_id_type="001",
                data={
                    "legal_rep": "李四",
                    "address": "焦作市解放区民主南路 88 号",
                    "main_form": "食品销售经营者",
                    "items": "预包装食品销售",
                },
                issuer=dept,
            )
            self.add("licence", place, licence.identifier, ref={"pk": licence.pk}, owners=owners)

    # --- hotline: tickets, grid events and photos, warnings, hotspots, knowledge ---

    def hotline(self) -> None:
        from yiwang.core.actions.users import do_create_staff
        from yiwang.hotline.actions.handling import do_dispatch
        from yiwang.hotline.actions.tickets import do_take_ticket

        centre = self.unit("city_hotline")
        self.agent = do_create_staff(
            actor=None,
            username="mxagent",
            full_name="矩阵话务员",
            org_unit=centre,
            roles=["hotline_agent", "hotline_supervisor"],
            password=None,
            validate=False,
        )
        address = {
            "410800": "焦作市解放区民主南路 88 号",
            "410823": "武陟县城关镇建设路 12 号",
            "410822": "博爱县清化镇建设路 5 号",
        }
        for place, (code, _line) in PLACES.items():
            owner = self.principals["citizen"] if place == "a_market" else None
            ticket = do_take_ticket(
                actor=self.agent,
                channel="phone",
                kind="consult",
                content=f"矩阵咨询 {self.probe('TKT')}",
                category="060101",
                address=address[code],
                contact_name="李女士",
                contact_phone="13912345678",
                citizen=owner,
            )
            ticket = do_dispatch(actor=self.agent, ticket=ticket, department=self.dept(place))
            self.add(
                "ticket",
                place,
                ticket.number,
                ref={"pk": ticket.pk, "number": ticket.number},
                owners=frozenset({"citizen"}) if owner else frozenset(),
            )
        self.grids(address)
        self.warnings()
        self.hotspots()
        self.knowledge()
        self.open311_keys()
        self.taxonomy()

    def grids(self, address: dict[str, str]) -> None:
        from yiwang.core.actions.users import do_create_staff
        from yiwang.hotline.actions.grid import (
            do_define_grid,
            do_report_grid_event,
            do_set_grid_workers,
        )

        for n, (place, county) in enumerate(
            (("city_market", "410800"), ("a_market", "410823"), ("b_market", "410822")), 1
        ):
            grid = do_define_grid(
                actor=None,
                code=f"MXGRID{n}",
                name=f"矩阵网格{n}",
                division=self.street(place),
            )
            reporter = do_create_staff(
                actor=None,
                username=f"mxgrid{n}",
                full_name="矩阵网格员",
                org_unit=self.unit(place),
                roles=["grid_worker"],
                password=None,
                validate=False,
            )
            workers = [reporter]
            owners: frozenset[str] = frozenset()
            if county == "410823":  # the matrix's grid workers work county A's grid
                workers += [self.principals.get(f"grid_worker@{lvl}") for lvl in LEVELS]
                owners = frozenset(f"grid_worker@{lvl}" for lvl in LEVELS)
            do_set_grid_workers(actor=None, grid=grid, workers=[w for w in workers if w])
            event = do_report_grid_event(
                actor=reporter,
                grid=grid,
                kind="report",
                content=f"矩阵网格事件 {self.probe('GRD')}",
                category="060101",
                address=address[county],
                photos=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
            )
            event.refresh_from_db()
            where = self.place_of(event.division.path, event.department)
            self.add(
                "grid_event",
                where,
                event.number,
                ref={"pk": event.pk, "grid": grid.code},
                owners=owners,
            )
            photo = event.attachments.get()
            self.add(
                "grid_photo",
                where,
                f"photo-{photo.pk}",
                ref={"pk": event.pk, "photo": photo.pk},
                owners=owners,
            )

    def place_of(self, division_path: str, department) -> str:
        """The world's place of a row routed by the platform (division × department)."""
        county = "410823" if "/410823/" in division_path else None
        county = county or ("410822" if "/410822/" in division_path else "410800")
        line = department.line if department is not None else HOLDER_LINE
        for place, where in PLACES.items():
            if where == (county, line):
                return place
        raise LookupError((division_path, department))

    def warnings(self) -> None:
        from yiwang.hotline.actions.warnings import do_draft_warning, do_publish_warning

        for place in ("city_market", "a_market", "b_market"):
            for publish in (False, True):
                marker = self.probe("WRN")
                w = do_draft_warning(
                    actor=self.agent,
                    title=f"矩阵预警 {marker}",
                    body="矩阵预警内容",
                    kind="暴雨",
                    level="blue",
                    divisions=[self.township(place)],
                    groups=["grid_workers"],
                )
                if publish:
                    do_publish_warning(actor=self.agent, warning=w)
                self.add(
                    "warning",
                    place,
                    marker,
                    ref={"pk": w.pk},
                    flags=frozenset({"published"} if publish else {"draft"}),
                )

    def hotspots(self) -> None:
        from yiwang.hotline.models import Category, HotspotAlert

        category = Category.objects.get(code="060101")
        now = timezone.now()
        for n, place in enumerate(("city_market", "a_market", "b_market")):
            marker = self.probe("HOT")
            alert = HotspotAlert.objects.create(
                category=category,
                division=self.township(place),
                window_start=now - dt.timedelta(hours=24 + n),
                window_end=now,
                count=9,
                baseline=1.0,
                sample=[{"id": self.find("ticket", place).ref["pk"], "number": marker}],
            )
            self.add("hotspot", place, marker, ref={"pk": alert.pk})

    def open311_keys(self) -> None:
        """Open311 接口密钥: the city's 12345 centre's, not a department's (reach "held")."""
        from yiwang.hotline.actions.open311 import do_issue_open311_key

        marker = self.probe("KEY")
        row, _clear = do_issue_open311_key(actor=None, name=f"矩阵调用方 {marker}")
        self.add("open311_key", "city_resources", marker, ref={"pk": row.pk})

    def taxonomy(self) -> None:
        """诉求分类: one city-wide tree kept by the city's 12345 值班长 (reach "division" at
        city level: a county's 值班长 never edits it) — a leaf added and a version."""
        from yiwang.hotline.actions.taxonomy import do_add_leaf, do_publish_taxonomy
        from yiwang.hotline.models import Category

        group = Category.objects.filter(code__regex=r"^\d{4}$").order_by("code").first()
        marker = self.probe("TAX")
        leaf = do_add_leaf(
            actor=None,
            group=group,
            name=f"矩阵分类 {marker}",
            name_en="Matrix category",
            description="矩阵",
            keywords=marker,
            line=group.line,
        )
        ref = {"code": leaf.code, "group": group.code}
        self.add("taxonomy_leaf", "city_hotline", marker, ref=ref)
        marker = self.probe("VER")
        do_publish_taxonomy(actor=None, note=f"矩阵版本 {marker}")
        self.add("taxonomy_version", "city_hotline", marker)

    def knowledge(self) -> None:
        from yiwang.hotline.actions.knowledge import do_save_entry

        for place in PLACES:
            for state in ("draft", "published"):
                marker = self.probe("KNW")
                entry = do_save_entry(
                    actor=None,
                    department=self.dept(place),
                    question=f"矩阵问题 {marker}",
                    answer="矩阵答案",
                    keywords="矩阵",
                    state=state,
                )
                self.add("knowledge", place, marker, ref={"pk": entry.pk}, flags=frozenset({state}))

    # --- data: catalogue, share requests and grants, objections, batches, registries ---

    def data(self) -> None:
        from yiwang.data.actions.standards import do_seed_data_standards

        do_seed_data_standards(actor=None)
        self.registry_people()
        self.catalogue()
        self.definitions()
        self.sharing()
        self.objections()
        self.batches()

    def registry_people(self) -> None:
        from yiwang.core.identifiers import id_check_char, make_credit_code
        from yiwang.data.models import DataResource
        from yiwang.data.registry import REGISTRIES, apply_rows, derive

        resource = DataResource.objects.get(registry="person", status="published")
        self.people_ids: dict[str, str] = {}
        # 人口库: one resident registered (户籍区划) in each place's division.
        for n, (place, code) in enumerate(
            (("city_market", "410802"), ("a_market", "410823"), ("b_market", "410822")), 1
        ):
            body = f"{code}19800101{n:02d}3"
            idn = body + id_check_char(body)
            with transaction.atomic():
                apply_rows(
                    registry="person",
                    rows=[
                        derive(
                            "person", {"id_number": idn, "name": f"矩阵居民{n}", "division": code}
                        )
                    ],
                    resource=resource,
                    department=self.dept("city_security"),
                )
            record = REGISTRIES["person"].get(idn)
            self.people_ids[place] = idn
            self.add("person", place, f"person-{record.pk}", ref={"pk": record.pk})
        # 法人库: one market entity registered in each place's division.
        entities = DataResource.objects.get(registry="legal_entity", status="published")
        for n, (place, code) in enumerate(
            (("city_market", "410802"), ("a_market", "410823"), ("b_market", "410822")), 1
        ):
            credit = make_credit_code("91", code, f"MA3XE{n:03d}")
            with transaction.atomic():
                apply_rows(
                    registry="legal_entity",
                    rows=[
                        derive(
                            "legal_entity",
                            {"credit_code": credit, "name": f"矩阵企业{n}", "division": code},
                        )
                    ],
                    resource=entities,
                    department=self.dept("city_market"),
                )
            record = REGISTRIES["legal_entity"].get(credit)
            self.add("legal_entity", place, record.name, ref={"pk": record.pk})

    def definitions(self) -> None:
        """自定义名册: one registry defined by schema per place's department."""
        from yiwang.data.actions.defined import Definition, do_define_registry

        schema = {"type": "object", "properties": {"ID": {"type": "string", "primaryKey": True}}}
        for n, place in enumerate(PLACES, 1):
            marker = self.probe("REG")
            d = do_define_registry(
                actor=None,
                values=Definition(code=f"mx{n}", name=f"矩阵名册 {marker}"),
                schema=schema,
                owner=self.dept(place),
            )
            self.add("registry_definition", place, marker, ref={"pk": d.pk})

    def catalogue(self) -> None:
        from yiwang.data.actions.catalogue import do_draft_resource

        for place in PLACES:
            marker = self.probe("RES")
            resource = do_draft_resource(
                actor=None,
                provider=self.dept(place),
                catalogue="201",
                values={
                    "name": f"矩阵资源 {marker}",
                    "abstract": "矩阵资源摘要。",
                    "share_type": "unconditional",
                    "open_type": "none",
                    "update_cycle": "monthly",
                    "grade": "general",
                    "level": 4,
                },
                items=[{"name": "公民身份号码", "element": "DE00001"}],
            )
            self.add("resource", place, marker, ref={"pk": resource.pk}, flags=frozenset({"draft"}))

    def sharing(self) -> None:
        from yiwang.data.actions.sharing import do_request_share
        from yiwang.data.models import DataResource

        person = DataResource.objects.get(registry="person", status="published")
        places = DataResource.objects.get(registry="place", status="published")
        today = timezone.localdate()
        for place in PLACES:
            kw = {
                "purpose": "矩阵用途",
                "legal_basis": "《矩阵依据》",
                "consumer_system": "matrix",
                "starts_on": today,
                "ends_on": today + dt.timedelta(days=30),
            }
            asked = do_request_share(
                actor=self.workers[place],
                resource=person,
                fields=[i.name for i in person.items.all()[:2]],
                **kw,
            )
            req = asked.request
            self.add("share_request", (place, "city_security"), req.number, ref={"pk": req.pk})
            granted = do_request_share(
                actor=self.workers[place],
                resource=places,
                fields=[i.name for i in places.items.all()[:2]],
                **kw,
            )
            grant = granted.grant
            self.add(
                "share_grant",
                (place, "city_resources"),
                f"grant-{grant.pk}",
                ref={"pk": grant.pk},
            )
            if place in ("a_market", "b_market"):
                self.data_access(place, grant)

    def data_access(self, place: str, grant) -> None:
        """用数记录: a read through the exchange gateway, of the matrix citizen's record
        (county A's) or of another person's; the provider and the citizen see it."""
        from yiwang.core.fields import index_for
        from yiwang.data.models import DataAccess, Person

        marker = self.probe("USE")
        idn = CITIZEN_ID if place == "a_market" else OTHER_CITIZEN_ID
        DataAccess.objects.create(
            at=timezone.now(),
            kind=DataAccess.Kind.READ,
            grant=grant,
            consumer=grant.consumer,
            provider=grant.resource.provider,
            resource=grant.resource,
            registry=grant.resource.registry,
            subject_index=index_for(Person, "id_number", idn),
            fields=["名称"],
            purpose=marker,
        )
        owners = frozenset({"citizen"}) if place == "a_market" else frozenset()
        self.add("data_access", "city_resources", marker, owners=owners)
        # 用数记录（平台内）: a use inside the platform (a reveal with its purpose) of the
        # same person's data; only they see it.
        from yiwang.core import datause

        use = self.probe("USE")
        datause.note(subject=idn, kind="unmask", user_label=grant.consumer.name, purpose=use)
        self.add("data_use", "city_resources", use, owners=owners)

    def objections(self) -> None:
        from yiwang.data.actions.objections import do_raise_objection

        for place in PLACES:
            marker = self.probe("OBJ")
            objection = do_raise_objection(
                actor=self.workers[place],
                registry="person",
                field="address",
                proposed_value="焦作市矩阵路 1 号",
                reason=f"矩阵异议 {marker}",
                key=self.people_ids["a_market"],
            )
            self.add(
                "objection",
                (place, "city_security"),
                objection.number,
                ref={"pk": objection.pk},
            )

    def batches(self) -> None:
        from yiwang.data.actions.ingest import do_create_batch, do_process_batch
        from yiwang.data.models import Conflict, DataElement, DataItem, DataResource

        base = DataResource.objects.get(registry="person", status="published")
        for n, place in enumerate(PLACES, start=1):
            resource = DataResource.objects.create(
                code=f"399-{n:04d}",
                status="published",
                catalogue=base.catalogue,
                kind=base.kind,
                name=f"矩阵人员信息{n}",
                provider=self.dept(place),
                registry="person",
                share_type="conditional",
                open_type="none",
                update_cycle="monthly",
                grade="general",
            )
            for i, (name, code, fld, key) in enumerate(
                [
                    ("公民身份号码", "DE00001", "id_number", True),
                    ("姓名", "DE00002", "name", False),
                ],
                start=1,
            ):
                element = DataElement.objects.get(code=code)
                DataItem.objects.create(
                    resource=resource,
                    position=i,
                    name=name,
                    data_type=element.data_type,
                    element=element,
                    field=fld,
                    required=True,
                    is_key=key,
                )
            good = self.people_ids["a_market"]
            rows = f"公民身份号码,姓名\n{good},矩阵别名{n}\n{good[:17]}0,矩阵坏行{n}\n"
            batch, _again = do_create_batch(
                actor=self.workers[place],
                resource=resource,
                filename=f"matrix{n}.csv",
                data=rows.encode(),
            )
            batch = do_process_batch(actor=self.workers[place], batch=batch)
            row = batch.bad_rows.first()
            self.add("resource", place, resource.name, ref={"pk": resource.pk}, flags=PUBLISHED)
            assert row is not None, "the bad row of the batch is quarantined"
            self.add("batch", place, f"matrix{n}.csv", ref={"pk": batch.pk, "row": row.pk})
            # The good row names the person differently from 公安 (the authority): a 数据冲突.
            conflict = Conflict.objects.get(batch=batch)
            self.add(
                "conflict",
                (place, "city_security"),
                f"conflict-{conflict.pk}",
                ref={"pk": conflict.pk},
            )


def build(roles: Iterable[str]) -> World:
    """The whole world (inside the caller's transaction)."""
    from yiwang.core.actions.org import do_seed_org

    roles = list(roles)
    do_seed_org(actor=None, townships=True)
    b = _Builder()
    b.people(roles)
    b.services()
    b.core()
    b.licences()
    b.hotline()
    b.data()
    return World(b.principals, b.objects, b.workers)
