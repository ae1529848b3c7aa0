"""Core room: org model, identity, access, audit ledger, crypto, workflow, calendar."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = "公共支撑"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_migrate

        from yiwang.core.keys import oidc_rsa_pem
        from yiwang.core.seeding import seed_after_migrate

        post_migrate.connect(seed_after_migrate, sender=self)

        if not settings.OAUTH2_PROVIDER.get("OIDC_RSA_PRIVATE_KEY"):
            settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = oidc_rsa_pem()
