"""What the permission matrix expects (权限矩阵的期望): for every object type, which
surfaces show it (page, API, export, action) and who may see it there — written as data,
independent of the access code under test.

A rule is a tuple of ``Sees`` clauses; a principal sees an object when one clause says so:

- ``perms`` — a role the principal holds grants one of these permissions, and the role's
  reach (``reaches``) covers one of the object's places;
- ``owners`` — the principal owns the object (its applicant, rater, holder, addressee, the
  grid worker of its grid);
- ``anyone`` — ``"everyone"`` (signed in or not);
- ``flag`` — the clause speaks only of objects carrying that flag (drafts, published).

The reach of a role (管辖范围), from the role table's data alone: a city-wide role held at
city level reaches every place, held in county A only county A's; any other role reaches
its own department (market) and the department's county counterparts when held at city
level, county A's market department alone when held in county A. ``reach="division"``
ignores the department (hotspots, warnings, the ledger: places, not departments);
``reach="held"`` means holding the permission anywhere is enough (one unified catalogue,
the agreed wording of the knowledge base).
"""

from __future__ import annotations

from dataclasses import dataclass

from matrix_world import ALL_PLACES, HOLDER_LINE, LEVELS, Obj

COUNTY = LEVELS["county"]


@dataclass(frozen=True)
class Sees:
    perms: frozenset[str] = frozenset()
    reach: str = "place"  # place | division | held
    owners: bool = False
    anyone: str = ""  # "" | "everyone"
    flag: str = ""


def sees(*perms: str, reach: str = "place", flag: str = "") -> Sees:
    return Sees(perms=frozenset(perms), reach=reach, flag=flag)


OWNER = Sees(owners=True)
PUBLISHED = Sees(anyone="everyone", flag="published")


@dataclass(frozen=True)
class Surface:
    """One way to reach objects of ``kind``: ``url`` formatted with the object's ``ref``
    (a detail page, API detail, download or action), or, for ``listing``, one request
    whose body names the objects it shows (by their markers). ``ok`` are the statuses of
    a request that was let through; ``subset`` lists show only some of what is visible
    (e.g. 待办: cases waiting for the user), so they must show nothing more."""

    kind: str
    channel: str  # page | api | export | action
    url: str
    rule: tuple[Sees, ...]
    listing: bool = False
    subset: bool = False
    ok: frozenset[int] = frozenset({200})
    method: str = "get"
    marker_in_body: bool = False  # detail shown only when the marker is in the body
    mark: str = ""  # a listing names an object by this (formatted with its ref) …
    key: str = ""  # … or, in JSON, by this field holding its ``ref["pk"]``

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.channel}:{self.method.upper()} {self.url}"


def reaches(role, level: str, place: str, mode: str) -> bool:
    """Whether ``role`` held at ``level`` (in the market department) reaches ``place``."""
    code, line = ALL_PLACES[place]
    if mode == "held":
        return True
    if level == "city" and (role.city_wide or mode == "division"):
        return True
    if role.city_wide or mode == "division":
        return code == COUNTY
    if level == "city":
        return line == HOLDER_LINE
    return code == COUNTY and line == HOLDER_LINE


def expected(principal: str, obj: Obj, rule: tuple[Sees, ...], roles) -> bool:
    """Whether ``principal`` ("role@level", "citizen", "enterprise", "anonymous") may see
    ``obj`` under ``rule``."""
    role, _sep, level = principal.partition("@")
    for clause in rule:
        if clause.flag and clause.flag not in obj.flags:
            continue
        if clause.anyone == "everyone":
            return True
        if clause.owners and principal in obj.owners:
            return True
        if clause.perms and level and clause.perms & roles[role].permissions:
            if any(reaches(roles[role], level, p, clause.reach) for p in obj.places):
                return True
    return False


CASE_VIEW = sees("case.view")
HOTLINE_VIEW = sees("hotline.view")
# 诉求分类 (taxonomy): held over the whole city, so only at city level.
TAXONOMY = sees("hotline.supervise", reach="division")
LICENCE_VIEW = sees("licence.view")
SEAL_MANAGE = sees("seal.manage")
DATA_VIEW = sees("data.view")
DATA_MANAGE = sees("data.manage")
USER_VIEW = sees("user.view")
SERVICE_MANAGE = sees("service.manage")
# 政务服务中心: its staff (service.hall over the hall's department in its division).
HALL_STAFF = sees("service.hall")
AUDIT_VIEW = sees("audit.view", reach="division")
# 接入系统管理: the bureau's administrators over the whole city (a relying party sits at
# city level, so a county's administrators never reach it).
RP_MANAGE = sees("identity.clients", reach="division")
# Drafts belong to their provider (its stewards and the bureau's reviewers); a published
# resource is in the one unified catalogue every data worker reads.
RESOURCE = (
    sees("data.manage", "data.review", flag="draft"),
    sees("data.view", reach="held", flag="published"),
)
# Published knowledge is the agreed public wording (答复口径) for whoever may search;
# drafts only for the department that keeps them.
KNOWLEDGE_SEARCH = (sees("hotline.view", "knowledge.manage", reach="held", flag="published"),)
KNOWLEDGE = (*KNOWLEDGE_SEARCH, sees("knowledge.manage", flag="draft"))
# Published (or lifted) warnings are public; drafts are for the publishers of the area.
WARNING = (PUBLISHED, sees("warning.publish", reach="division", flag="draft"))
# 基础库 records: the bureau's reviewers and the stewards of the registry (its providers,
# the lines of its sources — the matrix's market stewards are both for 人口库 and 法人库),
# records within the division reach of their grants (户籍区划, 登记区划): a county's
# steward or reviewer reads the county's people and entities only.
REGISTRY = (sees("data.review", "data.manage", reach="division"),)
# 自定义名册: one list of registries for every data worker (like the unified catalogue);
# changing one is its owner department's stewards'.
DEFINITION = (sees("data.view", reach="held"),)
DEFINITION_MANAGE = (sees("data.manage"),)


def _p(kind: str, url: str, rule, **kw) -> Surface:
    return Surface(kind, "page", url, tuple(rule), **kw)


def _a(kind: str, url: str, rule, **kw) -> Surface:
    return Surface(kind, "api", url, tuple(rule), **kw)


def _x(kind: str, url: str, rule, **kw) -> Surface:
    return Surface(kind, "export", url, tuple(rule), **kw)


def _lp(kind: str, url: str, rule, **kw) -> Surface:
    return Surface(kind, "page", url, tuple(rule), listing=True, **kw)


def _la(kind: str, url: str, rule, **kw) -> Surface:
    return Surface(kind, "api", url, tuple(rule), listing=True, **kw)


def _lx(kind: str, url: str, rule, **kw) -> Surface:
    return Surface(kind, "export", url, tuple(rule), listing=True, **kw)


API = "/api/v1"
SURFACES: tuple[Surface, ...] = (
    # --- 办件 (services) ---
    _p("application", "/services/staff/{number}/", [CASE_VIEW]),
    _p("application", "/services/my/{number}/", [OWNER]),
    _a("application", API + "/services/applications/{number}", [CASE_VIEW, OWNER]),
    _lp("application", "/services/staff/?status=", [CASE_VIEW]),
    _lp("application", "/services/my/", [OWNER]),
    _la("application", API + "/services/applications?page_size=200", [CASE_VIEW, OWNER]),
    _x("material", "/services/materials/{pk}/", [CASE_VIEW, OWNER]),
    _x("material", API + "/services/applications/{number}/materials/{pk}", [CASE_VIEW, OWNER]),
    # 办件页 sends a case with a room page of its own there (302): let through.
    _p("case", "/cases/{pk}/", [CASE_VIEW, OWNER], ok=frozenset({200, 302})),
    _a("case", API + "/inbox/{pk}", [CASE_VIEW, OWNER]),
    _lp("case", "/inbox/", [CASE_VIEW], subset=True),
    _la("case", API + "/inbox?page_size=200", [CASE_VIEW], subset=True),
    _x("case_attachment", "/cases/{case}/attachments/{pk}/", [CASE_VIEW, OWNER]),
    _p("bundle_application", "/services/my/bundles/{number}/", [CASE_VIEW, OWNER]),
    _a(
        "bundle_application",
        API + "/services/bundles/applications/{number}",
        [CASE_VIEW, OWNER],
    ),
    _la("bundle_application", API + "/services/bundles/applications", [CASE_VIEW, OWNER]),
    _p("visit", "/services/visits/{number}/", []),  # the clerk who served the visit only
    _p("item", "/services/items/{code}/", [SERVICE_MANAGE]),
    _a("item", API + "/services/items/{code}", [SERVICE_MANAGE]),
    _p("item", "/services/manage/items/{code}/edit/", [SERVICE_MANAGE]),
    _lp("item", "/services/manage/items/", [SERVICE_MANAGE]),
    _la("item", API + "/services/items?manage=true&level=all&page_size=100", [SERVICE_MANAGE]),
    _lp("rating", "/services/ratings/mine/", [OWNER]),
    _la("rating", API + "/services/ratings/mine?page_size=100", [OWNER]),
    _p("rectification", "/services/rectifications/{pk}/", [CASE_VIEW]),
    _p("rectification", "/cases/{case}/", [CASE_VIEW], ok=frozenset({200, 302})),
    _a("rectification", API + "/services/ratings/rectifications/{pk}", [CASE_VIEW]),
    _lp("rectification", "/services/rectifications/?status=", [CASE_VIEW]),
    _la("rectification", API + "/services/ratings/rectifications?page_size=200", [CASE_VIEW]),
    # --- 政务服务中心: 预约 and 取号 ---
    _lp("booking", "/services/me/bookings/", [OWNER]),
    _la("booking", API + "/services/halls/bookings", [OWNER], key="id"),
    _p("booking", "/services/hall/{hall}/?day={day}", [HALL_STAFF], marker_in_body=True),
    _a(
        "booking",
        API + "/services/halls/{hall}/bookings?day={day}",
        [HALL_STAFF],
        marker_in_body=True,
    ),
    # 取消预约 redirects to 我的预约 (302) whoever asks; only the booker's is cancelled.
    Surface(
        "booking",
        "action",
        "/services/me/bookings/{pk}/cancel/",
        (OWNER,),
        method="post",
    ),
    _p("queue_ticket", "/services/me/tickets/{pk}/", [OWNER, HALL_STAFF]),
    _a("queue_ticket", API + "/services/halls/tickets/{pk}", [OWNER, HALL_STAFF]),
    _p("queue_ticket", "/services/hall/{hall}/", [HALL_STAFF], marker_in_body=True),
    # --- 电子证照 (licences) ---
    _p("licence", "/licences/issued/{pk}/", [LICENCE_VIEW]),
    _x("licence", "/licences/issued/{pk}/pdf", [LICENCE_VIEW]),
    _a("licence", API + "/licences/issued/{pk}", [LICENCE_VIEW]),
    _p("licence", "/licences/wallet/{pk}/", [OWNER]),
    _x("licence", "/licences/wallet/{pk}/pdf", [OWNER]),
    _p("licence", "/licences/wallet/{pk}/show/", [OWNER]),  # 亮证
    _a("licence", API + "/licences/mine/{pk}", [OWNER]),
    _lp("licence", "/licences/issued/", [LICENCE_VIEW]),
    _la("licence", API + "/licences/issued?page_size=200", [LICENCE_VIEW]),
    _lp("licence", "/licences/wallet/", [OWNER]),
    _la("licence", API + "/licences/mine?page_size=100", [OWNER]),
    _p("seal", "/licences/seals/{pk}/", [SEAL_MANAGE]),
    _a("seal", API + "/licences/seals/{pk}", [SEAL_MANAGE]),
    _a("seal", API + "/licences/seals/{pk}/usages", [SEAL_MANAGE]),
    _lp("seal", "/licences/seals/", [SEAL_MANAGE]),
    _la("seal", API + "/licences/seals?page_size=200", [SEAL_MANAGE]),
    # --- 12345 (hotline) ---
    _p("ticket", "/hotline/tickets/{pk}/", [HOTLINE_VIEW, OWNER]),
    _p("ticket", "/hotline/my/{pk}/", [OWNER]),
    _a("ticket", API + "/hotline/tickets/{number}", [HOTLINE_VIEW, OWNER]),
    _a("ticket", API + "/hotline/tickets/{number}/similar", [HOTLINE_VIEW, OWNER]),
    _la("ticket", API + "/hotline/tickets?page_size=200", [HOTLINE_VIEW, OWNER]),
    _lp("ticket", "/hotline/my/", [OWNER]),
    _lp("ticket", "/hotline/department/", [sees("hotline.handle")]),
    _lp("ticket", "/hotline/console/", [HOTLINE_VIEW, OWNER], subset=True),
    _lp("ticket", "/hotline/overview/", [HOTLINE_VIEW, OWNER], subset=True),
    _lp("ticket", "/hotline/similar/?text=矩阵咨询", [HOTLINE_VIEW, OWNER], subset=True),
    # Open311 publishes only tickets taken in through Open311 (none of these).
    _la("ticket", "/open311/v2/requests.json", []),
    _a("ticket", "/open311/v2/requests/{number}.json", []),
    _p("grid_event", "/hotline/grid/events/{pk}/", [HOTLINE_VIEW, OWNER]),
    _a(
        "grid_event",
        API + "/hotline/grids/{grid}/events",
        [HOTLINE_VIEW, OWNER],
        marker_in_body=True,
    ),
    _lp("grid_event", "/hotline/grid/", [HOTLINE_VIEW, OWNER], subset=True),
    _x("grid_photo", "/hotline/grid/events/{pk}/photos/{photo}/", [HOTLINE_VIEW, OWNER]),
    _p("warning", "/hotline/warnings/{pk}/", WARNING),
    _a("warning", API + "/hotline/warnings/{pk}", WARNING),
    _p("warning", "/hotline/warnings/{pk}/progress/", [sees("warning.publish", reach="division")]),
    _lp("warning", "/hotline/warnings/", WARNING),
    _lp("warning", "/hotline/warnings/public/", [PUBLISHED]),
    _la("warning", API + "/hotline/warnings", [PUBLISHED]),
    _lp("hotspot", "/hotline/hotspots/", [sees("hotline.view", reach="division")]),
    Surface(
        "hotspot",
        "action",
        "/hotline/hotspots/{pk}/acknowledge/",
        (sees("hotline.supervise", "cockpit.view", reach="division"),),
        method="post",
    ),
    # Open311 接口密钥: the 值班长's, wherever held (keys are the city centre's).
    _lp("open311_key", "/hotline/open311/keys/", [sees("hotline.supervise", reach="held")]),
    Surface(
        "open311_key",
        "action",
        "/hotline/open311/keys/{pk}/revoke/",
        (sees("hotline.supervise", reach="held"),),
        method="post",
    ),
    # 诉求分类维护: the city's 值班长 only (one tree for the whole city).
    _lp("taxonomy_leaf", "/hotline/taxonomy/?q=矩阵分类", [TAXONOMY]),
    _p("taxonomy_leaf", "/hotline/taxonomy/{code}/", [TAXONOMY]),
    _p("taxonomy_leaf", "/hotline/taxonomy/{group}/new/", [TAXONOMY]),
    Surface(
        "taxonomy_leaf",
        "action",
        "/hotline/taxonomy/{code}/active/",
        (TAXONOMY,),
        method="post",
    ),
    _lp("taxonomy_version", "/hotline/taxonomy/versions/", [TAXONOMY]),
    _a("knowledge", API + "/hotline/knowledge/{pk}", KNOWLEDGE),
    _p("knowledge", "/hotline/knowledge/manage/{pk}/", [sees("knowledge.manage")]),
    _lp("knowledge", "/hotline/knowledge/manage/", [sees("knowledge.manage")]),
    _lp("knowledge", "/hotline/knowledge/?q=矩阵问题", KNOWLEDGE_SEARCH),
    _lp("knowledge", "/hotline/knowledge/search/?q=矩阵问题", KNOWLEDGE_SEARCH),
    _la("knowledge", API + "/hotline/knowledge?q=矩阵问题&limit=50", KNOWLEDGE_SEARCH),
    # --- 数据 (data) ---
    _p("resource", "/data/catalogue/{pk}/", RESOURCE),
    _a("resource", API + "/data/catalogue/resources/{pk}", RESOURCE),
    # A published resource's edit page sends its stewards on to a new version (302).
    _p("resource", "/data/catalogue/{pk}/edit/", [DATA_MANAGE], ok=frozenset({200, 302})),
    # 数据资源普查: the published resources of the departments in the user's reach.
    _lp("resource", "/data/quality/census/", [sees("data.view", flag="published")]),
    _la("resource", API + "/data/quality/census", [sees("data.view", flag="published")]),
    _lp("resource", "/data/catalogue/?q=矩阵&status=all", RESOURCE),
    _la("resource", API + "/data/catalogue/resources?q=矩阵&status=all&page_size=200", RESOURCE),
    _lx("resource", "/data/catalogue/export.xlsx?q=矩阵&status=all", RESOURCE),
    _lx("resource", API + "/data/catalogue/export.xlsx?q=矩阵&status=all", RESOURCE),
    _p("share_request", "/data/sharing/requests/{pk}/", [DATA_VIEW]),
    _a("share_request", API + "/data/sharing/requests/{pk}", [DATA_VIEW]),
    _lp("share_request", "/data/sharing/requests/", [DATA_VIEW]),
    _la("share_request", API + "/data/sharing/requests?page_size=200", [DATA_VIEW]),
    _p("share_grant", "/data/sharing/grants/{pk}/", [DATA_VIEW]),
    _a("share_grant", API + "/data/sharing/grants/{pk}", [DATA_VIEW]),
    _lp("share_grant", "/data/sharing/grants/", [DATA_VIEW], mark="/data/sharing/grants/{pk}/"),
    _la("share_grant", API + "/data/sharing/grants?page_size=200", [DATA_VIEW], key="id"),
    _lp("data_access", "/data/sharing/usage/", [DATA_VIEW]),
    _la("data_access", API + "/data/sharing/usage?page_size=200", [DATA_VIEW]),
    _lp("data_access", "/data/my-data/", [OWNER]),
    _la("data_access", API + "/data/sharing/my-data?page_size=200", [OWNER]),
    _la("data_access", API + "/data/sharing/my-data/uses?limit=200", [OWNER]),
    _lp("data_use", "/data/my-data/", [OWNER]),
    _la("data_use", API + "/data/sharing/my-data/uses?limit=200", [OWNER]),
    _p("objection", "/data/objections/{pk}/", [DATA_VIEW]),
    _a("objection", API + "/data/objections/{pk}", [DATA_VIEW]),
    _lp("objection", "/data/objections/?status=", [DATA_VIEW]),
    _la("objection", API + "/data/objections?page_size=200", [DATA_VIEW]),
    _p("conflict", "/data/conflicts/{pk}/", [DATA_VIEW]),
    _a("conflict", API + "/data/objections/conflicts/{pk}", [DATA_VIEW]),
    _lp("conflict", "/data/conflicts/?status=", [DATA_VIEW], mark="/data/conflicts/{pk}/"),
    _la("conflict", API + "/data/objections/conflicts?page_size=200", [DATA_VIEW], key="id"),
    _p("batch", "/data/ingest/{pk}/", [DATA_VIEW]),
    _a("batch", API + "/data/ingest/batches/{pk}", [DATA_VIEW]),
    _p("batch", "/data/ingest/{pk}/progress/", [DATA_VIEW]),
    _a("batch", API + "/data/quality/batches/{pk}", [DATA_VIEW]),
    _lp("batch", "/data/ingest/", [DATA_VIEW]),
    _la("batch", API + "/data/ingest/batches?page_size=200", [DATA_VIEW]),
    _x("batch", "/data/ingest/{pk}/bad-rows.csv", [DATA_MANAGE]),
    _x("batch", "/data/ingest/{pk}/bad-rows.xlsx", [DATA_MANAGE]),
    _x("batch", API + "/data/ingest/batches/{pk}/bad-rows", [DATA_MANAGE]),
    _p("batch", "/data/ingest/{pk}/rows/{row}/", [DATA_MANAGE]),
    _p("registry_definition", "/data/definitions/{pk}/", DEFINITION),
    _a("registry_definition", API + "/registries/database/{pk}", DEFINITION),
    _lp("registry_definition", "/data/definitions/", DEFINITION),
    _la("registry_definition", API + "/registries/databases", DEFINITION),
    _p("registry_definition", "/data/definitions/{pk}/edit/", DEFINITION_MANAGE),
    _p("person", "/data/registries/person/{pk}/", REGISTRY),
    _a("person", API + "/data/registries/person/records/{pk}", REGISTRY),
    _p("legal_entity", "/data/registries/legal_entity/{pk}/", REGISTRY),
    _a("legal_entity", API + "/data/registries/legal_entity/records/{pk}", REGISTRY),
    _lp("legal_entity", "/data/registries/legal_entity/?q=矩阵企业", REGISTRY),
    _la("legal_entity", API + "/data/registries/legal_entity/records?q=矩阵企业", REGISTRY),
    # --- 公共支撑 (core): ledger, staff directory, messages ---
    _p("audit_entry", "/audit/entries/{pk}/", [AUDIT_VIEW]),
    _a("audit_entry", API + "/ledger/entries/{pk}/proof", [AUDIT_VIEW], ok=frozenset({200, 409})),
    _lp("audit_entry", "/audit/?action=matrix.probe", [AUDIT_VIEW]),
    _la("audit_entry", API + "/ledger/entries?action=matrix.probe&page_size=500", [AUDIT_VIEW]),
    _p("staff", "/org/staff/{pk}/", [USER_VIEW]),
    _a("staff", API + "/org/staff/{pk}", [USER_VIEW]),
    _lp("staff", "/org/staff/", [USER_VIEW]),
    _la("staff", API + "/org/staff?page_size=500", [USER_VIEW]),
    _lp("notification", "/messages/", [OWNER]),
    _p("relying_party", "/org/relying-parties/{pk}/", [RP_MANAGE]),
    _lp("relying_party", "/org/relying-parties/", [RP_MANAGE]),
)


# Routes that show no object of the matrix's types, each with the reason: forms that
# create, writes (each guarded by the room's ``require_*`` after the same scoped pick as
# the page it posts from), public catalogues and reference data, aggregate figures,
# one's own account, and the gateways for other systems. A new route must be added to
# ``SURFACES`` or here (``test_every_route_is_in_the_matrix``).
NOT_OBJECT_SURFACES: dict[str, str] = {
    "/": "portal home",
    "/healthz": "health check",
    "/login/": "sign-in",
    "/login/totp/": "sign-in second factor",
    "/login/unlock/": "lifting one's own login wait",
    "/login/unlock/verify/": "lifting one's own login wait",
    "/login/reset/": "找回密码: one's own account, by SMS code",
    "/login/reset/verify/": "找回密码: one's own account, by SMS code",
    "/account/verify/send/": "one's own 实名 SMS code",
    "/account/verify/": "one's own 实名 SMS code",
    "/account/totp/change/": "one's own account",
    "/account/totp/recovery-codes/": "one's own account",
    "/api/v1//ledger/status": "ledger sealing counts, no entry shown",
    "/logout/": "sign-out",
    "/elder/": "elder-mode switch",
    "/register/citizen/": "registration form",
    "/register/enterprise/": "registration form",
    "/account/": "one's own account",
    "/account/password/": "one's own account",
    "/account/elder/": "one's own account",
    "/account/logout-everywhere/": "one's own account",
    "/account/totp/": "one's own account",
    "/account/totp/disable/": "one's own account",
    "/account/enterprises/{}/confirm/": "法定代表人确认: only accounts the registry ties to the "
    "caller (test_identity_assurance)",
    "/api/v1//me/enterprises-to-confirm": "法定代表人确认: accounts the registry ties to the "
    "caller (test_identity_assurance)",
    "/org/identity/": "窗口实名核验: citizen and enterprise accounts, shown only after a POSTed "
    "search (require_identity_verifier), none of the matrix's objects",
    "/workbench/": "entry points by role; lists come from the inbox (in the matrix)",
    "/me/": "citizen home: links to one's own lists (in the matrix)",
    "/api/v1//org/divisions/{}/children": "行政区划: public master data for the division picker",
    "/enterprise/": "enterprise home: links to one's own lists (in the matrix)",
    "/services/": "service hall (published items: public)",
    "/services/items/": "published items: public",
    "/services/bundles/": "published 一件事: public",
    "/services/bundles/{}/apply/": "application form",
    "/services/items/{}/apply/": "application form",
    "/services/window/": "一窗受理 form (window clerks)",
    "/services/visits/new/": "窗口服务编号 form (window clerks)",
    "/services/manage/items/new/": "item form",
    "/services/manage/items/{}/{}/": "write: publish/withdraw after manageable_items",
    "/services/my/{}/rate/": "rating form of one's own application (own_applications)",
    "/services/rate/visit/{}/": "rating form: proof of the visit (rating code), public",
    "/services/ratings/": "好差评 statistics: counts, per staff only over staff_ratings",
    "/services/items/{}/book/": "预约 form: a published item's hall and its free places "
    "(public counts); the bookings made are in the matrix",
    "/services/me/bookings/{}/arrive/": "write: 到达取号 after own_booking (the booker's pick, "
    "as 我的预约)",
    "/services/me/notices/": "one's own 办件进度短信 choice",
    "/services/hall/": "the halls one works (staffed_halls); each hall's desk is in the matrix",
    "/services/hall/{}/ticket/": "write: 取号 for a visitor after may_staff_hall (as the desk)",
    "/services/hall/{}/call/": "write: 叫号 after may_staff_hall (as the desk)",
    "/licences/": "licence room home: counts over staff_licences",
    "/licences/types/": "licence catalogue: public",
    "/licences/issue/": "issue form",
    "/licences/verify/": "public verification of a presented licence (masked)",
    "/licences/issued/{}/status": "write: status change after the staff_licences pick",
    "/hotline/": "12345 home: entry points",
    "/hotline/submit/": "citizen's submission form",
    "/hotline/track/": "tracking by number and 查询码 (proof, not a permission)",
    "/hotline/console/caller/": "caller history: access.tickets by phone (agents)",
    "/hotline/routing/": "routing rules: reference data",
    "/hotline/knowledge/{}/cite/": "write: cite a published entry",
    "/hotline/knowledge/manage/new/": "entry form",
    "/hotline/knowledge/manage/{}/withdraw/": "write: after may_manage_knowledge",
    "/hotline/grid/manage/": "grids and workers: reference data (grid managers)",
    "/hotline/classifier/": "classifier versions and figures: model data, no citizen record",
    "/hotline/classifier/retrain/": "write: after access.require_classifier",
    "/hotline/classifier/rollback/": "write: after access.require_classifier",
    "/hotline/classifier/{}/promote/": "write: after access.require_classifier",
    "/data/": "data room home: counts over the scoped querysets",
    "/data/catalogue/new/": "resource form",
    "/data/elements/": "data elements (standards): shared reference data",
    "/data/elements/new/": "element form",
    "/data/elements/{}/": "data element (standard): shared reference data",
    "/data/ingest/{}/resubmit/": "write: after manageable_batches",
    "/data/quality/": "quality rules: shared reference data",
    "/data/sharing/requests/new/": "share request form",
    "/data/registries/": "the registries one may open, with counts (registry_records)",
    "/data/definitions/new/": "registry definition form",
    "/data/definitions/{}/stop/": "write: after the definitions pick, do_archive_registry",
    "/data/objections/new/": "objection form",
    "/opendata/": "open data: public",
    "/open311/v2/": "Open311 root",
    "/open311/v2/discovery.{}": "Open311 discovery",
    "/open311/v2/services.{}": "Open311 service list: public",
    "/open311/v2/services/{}.{}": "Open311 service definition: public",
    "/open311/v2/tokens/{}.{}": "Open311 token of one's own submission",
    "/open311/v2/{}": "Open311 unknown path (404)",
    "/api/v1/me": "one's own account",
    "/api/v1/org/divisions": "org structure: public reference data",
    "/api/v1/org/divisions/{}": "org structure: public reference data",
    "/api/v1/org/departments": "org structure: public reference data",
    "/api/v1/org/units": "org structure: public reference data",
    "/api/v1/ledger/head": "newest signed block head (no entries)",
    "/api/v1/ledger/verify": "chain verification result (no entries)",
    "/api/v1/data/catalogue/elements": "data elements: shared reference data",
    "/api/v1/data/catalogue/elements/{}": "data element: shared reference data",
    "/api/v1/data/quality/rules": "quality rules: shared reference data",
    "/api/v1/data/registries": "the registries one may open, with counts",
    "/api/v1/data/registries/places/points": "空间地理库 points: registry_records('place')",
    "/api/v1/registries/data/MyPersonalDataUsage/1.0": "exchange gateway (clients)",
    "/api/v1/registries/data/{}/{}": "exchange gateway (clients with a share grant)",
    "/api/v1/im/listClients": "信息中介 directory: departments and systems (exchange clients)",
    "/api/v1/im/r1/{}/{}/{}/{}/listMethods": "信息中介 directory: a system's services",
    "/api/v1/im/r1/{}/{}/{}/{}/allowedMethods": "信息中介 directory: the caller's own grants",
    "/api/v1/im/r1/{}/{}/{}/{}/getOpenAPI": "信息中介 directory: a service's OpenAPI",
    "/api/v1/registries/data/mypersonalDataUsage": "one's own data uses (data_usage scope)",
    "/api/v1/registries/data/{}/{}/{}/read-value/{}.{}": "exchange gateway (share grants)",
    "/api/v1/registries/data/{}/{}/{}/readValue/{}.{}": "exchange gateway (share grants)",
    "/api/v1/registries/database/modify": "write: do_define_registry (owner's stewards)",
    "/api/v1/services/bundles": "published 一件事: public",
    "/api/v1/services/bundles/{}": "published 一件事: public",
    "/api/v1/services/ratings/stats": "好差评 statistics: counts",
    "/api/v1/services/halls/": "政务服务中心 taking bookings: public",
    "/api/v1/services/halls/{}/slots": "free 预约时段 of a hall: public counts",
    "/api/v1/licences/types": "licence catalogue: public",
    "/api/v1/hotline/categories": "categories: reference data",
    "/api/v1/hotline/stats": "考核指标: counts over access.tickets",
    "/api/v1/hotline/grids": "grids: reference data",
    "/api/v1/opendata/datasets": "open data: public",
}
