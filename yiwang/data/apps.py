"""Data resource room (数据资源体系)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import (
    DemoSeeder,
    IdentityRegistry,
    Manifest,
    NavEntry,
    PeriodicJob,
    ReadSource,
)


class DataConfig(AppConfig):
    name = "yiwang.data"
    label = "data"
    verbose_name = "数据资源"
    manifest = Manifest(
        key="data",
        label=_("数据资源"),
        permissions={
            "data.view": "see the catalogue, registries, sharing and quality (数据资源)",
            "data.manage": "keep the department's resources, sources and grants (数据专员)",
            "data.review": "review catalogue entries and objections city-wide (大数据局)",
        },
        grants={
            "data_steward": frozenset({"data.view", "data.manage"}),
            "bureau_admin": frozenset({"data.view", "data.manage", "data.review"}),
        },
        nav=(
            NavEntry(
                "data",
                _("数据资源"),
                _("目录、归集、共享与质量"),
                ("data:home", "data:index", "data:portal"),
                frozenset({"staff"}),
                "data.view",
                order=70,
            ),
        ),
        urls=(("data/", "yiwang.data.urls"),),
        api="yiwang.data.api.register",
        demo=DemoSeeder("yiwang.data.demo.seed_for_demo", order=10),
        periodic=(PeriodicJob(300, "yiwang.data.tasks.pull_due_sources"),),  # 接口归集
        data_reads=(
            ReadSource(_("谁用了我的数据"), "data:my-data", "yiwang.data.queries.uses.for_centre"),
        ),
        # 实名核验: self-registration checks names and credit codes here.
        identity_registry=IdentityRegistry(
            person="yiwang.data.identity.match_person",
            legal_entity="yiwang.data.identity.match_legal_entity",
            represented_by="yiwang.data.identity.entities_represented_by",
        ),
    )

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from yiwang.data.gateway import invalidate_client
        from yiwang.data.models import ShareGrant

        post_save.connect(invalidate_client, sender=ShareGrant, dispatch_uid="data.grant.saved")
        post_delete.connect(invalidate_client, sender=ShareGrant, dispatch_uid="data.grant.gone")
