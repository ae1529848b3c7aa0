"""Core room: org model, identity, access, audit ledger, crypto, workflow, calendar."""

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import Manifest, NavEntry, PeriodicJob

STAFF = frozenset({"staff"})
# 审计账本封存: seconds between two seals (YIWANG["LEDGER_SEAL_EVERY_SECONDS"], 10 s).
SEAL_EVERY = float(settings.YIWANG.get("LEDGER_SEAL_EVERY_SECONDS", 10))


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = "公共支撑"
    # Core is a room too: its permissions are granted by the base roles (core.roles).
    manifest = Manifest(
        key="core",
        label=_("公共支撑"),
        permissions={
            "case.view": "see cases (办件) in scope",
            "case.handle": "take workflow actions on cases",
            "case.intake": "open cases on someone's behalf (受理)",
            "case.decide": "decide cases (审批决定)",
            "case.assign": "assign and reassign cases (分派)",
            "personal.unmask": "reveal masked personal data for a stated purpose (脱敏查看)",
            "identity.verify": "check a citizen's ID card in person, re-bind ID numbers (窗口实名核验)",
            "identity.clients": "register and manage the systems signing users in (接入系统管理)",
            "org.view": "see the org model",
            "org.manage": "change divisions, departments and units",
            "user.view": "see staff and their roles (人员目录)",
            "user.manage": "create staff, grant and revoke roles",
            "audit.view": "search the audit ledger (审计查询)",
            "audit.verify": "verify ledger blocks and proofs",
            "system.manage": "keys, rotation and platform settings",
            "cockpit.view": "city-wide running indicators (领导驾驶舱)",
        },
        nav=(
            NavEntry(
                "inbox",
                _("我的待办"),
                _("等待我处理的办件"),
                ("core:inbox",),
                STAFF,
                "case.view",
                order=60,
            ),
            NavEntry(
                "staff",
                _("人员目录"),
                _("本辖区工作人员与角色"),
                ("core:staff-list",),
                STAFF,
                "user.view",
                order=120,
            ),
            NavEntry(
                "identity",
                _("窗口实名核验"),
                _("群众、企业账号的窗口核验与账号换绑"),
                ("core:identity-window",),
                STAFF,
                "identity.verify",
                order=125,
            ),
            NavEntry(
                "relying_parties",
                _("接入系统管理"),
                _("登记和管理使用统一身份认证登录的政务系统"),
                ("core:relying-parties",),
                STAFF,
                "identity.clients",
                order=127,
            ),
            NavEntry(
                "audit",
                _("审计查询"),
                _("全程留痕、可溯可查"),
                ("core:audit-search",),
                STAFF,
                "audit.view",
                order=130,
            ),
        ),
        urls=(("", "yiwang.core.urls"),),
        api="yiwang.core.api.register",
        periodic=(
            PeriodicJob(300, "yiwang.core.tasks.escalate_overdue"),  # 超期督办
            PeriodicJob(SEAL_EVERY, "yiwang.core.tasks.seal_ledger"),  # 审计账本封存
            PeriodicJob(6 * 3600, "yiwang.core.tasks.prune_task_results"),
            PeriodicJob(3600, "yiwang.core.tasks.purge_rate_counters"),  # 频率计数清理
        ),
    )

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from yiwang.core import authcache
        from yiwang.core.keys import oidc_rsa_pem
        from yiwang.core.seeding import create_cache_table, seed_after_migrate, unlog_rate_counters

        post_migrate.connect(create_cache_table, sender=self)
        post_migrate.connect(unlog_rate_counters, sender=self)
        post_migrate.connect(seed_after_migrate, sender=self)
        authcache.connect()
        from yiwang.core.identity import sessions

        sessions.connect()

        if not settings.OAUTH2_PROVIDER.get("OIDC_RSA_PRIVATE_KEY"):
            settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = oidc_rsa_pem()
