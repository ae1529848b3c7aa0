"""The demo city as a citizen meets it on day one, for tests that walk every page a
demo citizen or demo staff member sees: ``yiwang demo``'s seeders (small population),
then a demo citizen's own applications (two 秒批, instant approvals, that issued
e-licences, beside the demo's case still waiting), so case pages show licences, checks
made in the base registries, uploaded materials and history."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = "13812345678"
ADDRESS = "河南省焦作市山阳区塔南路 1 号"
CITIZEN = "citizen001"  # the demo citizen holding a 居住证, 社保卡 and 不动产权证书
STAFF = "jiaozuo_window_clerk"
PASSWORD = "Jiaozuo-2026"  # yiwang demo's password for every demo account
INSTANT_ITEM = "410800-GG-0201-02"  # 居住证签注: 秒批 by 持有效电子居住证且人口库有记录
SECOND_ITEM = "410800-GG-0401-01"  # 社会保障卡申领: 秒批 by 人口库有身份信息, one upload


@dataclass
class DemoWorld:
    """What the walks need: the demo citizen, staff member, their cases and licences."""

    citizen: object
    staff: object
    applications: list = field(default_factory=list)
    licences: list = field(default_factory=list)
    cases: list = field(default_factory=list)


def _value(f: dict, division: str) -> object:
    """A valid answer to one 申请表 question."""
    kind = f.get("type", "text")
    by_kind = {
        "select": lambda: str((f.get("choices") or [[""]])[0][0]),
        "checkbox": lambda: "1",
        "date": lambda: "2026-03-01",
        "number": lambda: str(max(50, f.get("min") or 0)),
        "integer": lambda: str(max(12, f.get("min") or 0)),
        "name": lambda: "李四",
        "phone": lambda: PHONE,
        "division": lambda: division,
        "address": lambda: ADDRESS,
    }
    if kind in by_kind:
        return by_kind[kind]()
    return f"{f.get('label', f['name'])}"[: f.get("max_length", 200)]


def apply(user, code: str):
    """The citizen applies online for item ``code``, uploading a PDF for every material
    the platform cannot fetch itself."""
    from yiwang.services.actions.applications import do_apply
    from yiwang.services.models import ServiceItem

    item = ServiceItem.objects.get(code=code)
    form = {f["name"]: _value(f, item.division_id) for f in item.form_fields or []}
    uploads = {
        f"material_{m.pk}": SimpleUploadedFile(f"m{m.pk}.pdf", PDF, "application/pdf")
        for m in item.materials.all()
        if not m.licence_type_code
    }
    app = do_apply(actor=user, item=item, form_data=form, uploads=uploads)
    app.refresh_from_db()
    return app


def build(people: int = 3, enterprises: int = 2) -> DemoWorld:
    """Seed the demo (as ``yiwang demo`` does, smaller) and the citizen's applications."""
    from yiwang.core.actions.demo import do_seed_demo, do_seed_demo_cases
    from yiwang.core.models import Case, User
    from yiwang.core.rooms import DemoRun, demo_seeders
    from yiwang.licences.access import own_licences

    do_seed_demo(actor=None, people=people, enterprises=enterprises)
    do_seed_demo_cases(actor=None)
    run = DemoRun(people=people, enterprises=enterprises, scale="demo", first_run=True)
    for seed in demo_seeders():
        seed(run)
    citizen = User.objects.get(username=CITIZEN)
    world = DemoWorld(citizen=citizen, staff=User.objects.get(username=STAFF))
    world.applications = [apply(citizen, INSTANT_ITEM), apply(citizen, SECOND_ITEM)]
    world.licences = list(own_licences(citizen))
    world.cases = list(Case.objects.filter(applicant=citizen).order_by("pk"))
    return world
