"""E-licence room (电子证照与电子印章): licence types, licences, seals, verification."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import DemoSeeder, Manifest, NavEntry, PeriodicJob

_MANAGE = frozenset({"licence.view", "licence.issue", "licence.manage"})


class LicencesConfig(AppConfig):
    name = "yiwang.licences"
    label = "licences"
    verbose_name = "电子证照"
    manifest = Manifest(
        key="licences",
        label=_("电子证照"),
        permissions={
            "licence.view": "see licences issued in scope (证照查询)",
            "licence.issue": "issue licences (证照签发)",
            "licence.manage": "revoke, renew and correct licences; keep licence types",
            "seal.manage": "keep the department's electronic seals (电子印章)",
        },
        grants={
            "approver": _MANAGE,
            "dept_admin": _MANAGE | {"seal.manage"},
            "bureau_admin": frozenset({"licence.view"}),
        },
        # Open to everyone: verification is public, holders reach their wallet from it.
        nav=(
            NavEntry(
                "licences",
                _("电子证照"),
                _("证照签发、核验与用证"),
                ("licences:home", "licences:index", "licences:portal"),
                order=80,
            ),
        ),
        urls=(("licences/", "yiwang.licences.urls"),),
        api="yiwang.licences.api.register",
        demo=DemoSeeder("yiwang.licences.demo.seed_for_demo", order=20),
        periodic=(PeriodicJob(3600, "yiwang.licences.tasks.expire_licences"),),  # 到期失效
    )

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from yiwang.core.actions.keys import register_encrypted_column
        from yiwang.licences.models import SEAL_KEY_CONTEXT, Licence, LicenceType, Seal
        from yiwang.licences.verify import forget_checks

        for model in (Licence, Seal, LicenceType):
            post_save.connect(forget_checks, sender=model, dispatch_uid=f"verify.{model.__name__}")
            post_delete.connect(
                forget_checks, sender=model, dispatch_uid=f"verify-{model.__name__}"
            )

        # Seal private keys are SM4-encrypted like department keys: rotate them too.
        register_encrypted_column("licences.Seal", "sm2_private_enc", SEAL_KEY_CONTEXT)
