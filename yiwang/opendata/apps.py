"""Open data room (开放数据): datasets the city opens to the public, listed on a public
page and through the API; departments' data stewards publish them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import DemoSeeder, Manifest, NavEntry


class OpendataConfig(AppConfig):
    name = "yiwang.opendata"
    label = "opendata"
    verbose_name = "开放数据"
    manifest = Manifest(
        key="opendata",
        label=_("开放数据"),
        permissions={
            "opendata.publish": "publish the department's datasets as open data (数据开放)",
        },
        grants={"data_steward": frozenset({"opendata.publish"})},
        nav=(
            NavEntry(
                "opendata",
                _("开放数据"),
                _("公共数据目录与下载接口"),
                ("opendata:home",),
                portal=True,
                order=40,
            ),
        ),
        urls=(("opendata/", "yiwang.opendata.urls"),),
        api="yiwang.opendata.api.register",
        demo=DemoSeeder("yiwang.opendata.demo.seed_for_demo", order=50),
    )
