"""Demo 网格化管理: grids in 武陟县's townships and in 解放区 with the demo grid workers
(``wuzhi_grid_worker``, ``jiaozuo_grid_worker``), and five events at different steps of
the loop — just dispatched, being handled, waiting for the worker's check, re-opened
after a failed check, and checked and archived. Deterministic; runs once."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from yiwang.core.models import User
from yiwang.hotline.actions import handling as h
from yiwang.hotline.actions.grid import (
    do_define_grid,
    do_report_grid_event,
    do_set_grid_workers,
    do_verify_grid_event,
)
from yiwang.hotline.models import Channel, Grid, Ticket

# (code, name, division, households, worker username)
GRIDS = (
    ("410823001-01", "城关镇建设路网格", "410823001", 420, "wuzhi_grid_worker"),
    ("410823001-02", "城关镇木城路网格", "410823001", 380, "wuzhi_grid_worker"),
    ("410823002-01", "城区街道育才路网格", "410823002", 510, "wuzhi_grid_worker"),
    ("410823003-01", "东部乡东村网格", "410823003", 260, "wuzhi_grid_worker"),
    ("410802002-01", "解放区城区街道民主路网格", "410802002", 640, "jiaozuo_grid_worker"),
)
# (grid, category, kind, content, steps along the loop, check passes)
# steps: 0 dispatched, 1 signed, 2 replied and concluded (awaiting the check), 3 checked.
EVENTS = (
    (
        "410823001-01",
        "060101",
        "report",
        "建设路一家小餐馆后厨污水直排路边雨水口，气味很大",
        0,
        None,
    ),
    ("410823002-01", "010201", "help", "育才路小区单元门禁损坏半个月，物业一直未修", 1, None),
    ("410823001-02", "060101", "report", "木城路早市有商贩售卖来源不明的散装熟食", 2, None),
    ("410823003-01", "010201", "help", "东村安置小区楼道灯不亮，老人夜间上下楼不便", 3, False),
    ("410802002-01", "010403", "report", "民主路与解放路路口井盖破损下沉，车辆经过颠簸", 3, True),
)


def demo_photo() -> bytes:
    """A small valid PNG (a grey square) standing in for a photo from the camera."""
    width = height = 8
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _handler(ticket: Ticket) -> User | None:
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__role__in=("hotline_handler", "dept_admin"),
            role_assignments__org_unit__department=ticket.department,
        )
        .order_by("pk")
        .first()
    )


def _advance(ticket: Ticket, steps: int, passes: bool | None, worker: User, agent: User) -> None:
    handler = _handler(ticket)
    if handler is None or ticket.flow.state != "dispatched" or steps <= 0:
        return
    h.do_sign(actor=handler, ticket=ticket)
    if steps == 1:
        return
    h.do_reply(
        actor=handler,
        ticket=ticket,
        result="resolved",
        reply="已到现场核实处理，并与网格员确认。",
    )
    h.do_conclude(actor=agent, ticket=ticket)
    if steps == 2:
        return
    do_verify_grid_event(
        actor=worker,
        ticket=ticket,
        satisfied=bool(passes),
        comment="现场已整改到位" if passes else "现场复查仍未修复，请继续处理",
    )


@transaction.atomic
def seed_grid_demo(actor=None) -> list[Grid]:
    """Define the demo grids, assign their workers and report the demo events (once:
    grids that already have events are left as they are). Returns the demo grids."""
    workers = {u.username: u for u in User.objects.filter(username__in={g[4] for g in GRIDS})}
    agent = User.objects.filter(username="jiaozuo_hotline_agent").first()
    grids: dict[str, Grid] = {}
    for code, name, division, households, username in GRIDS:
        grid = Grid.objects.filter(code=code).first() or do_define_grid(
            actor=actor, code=code, name=name, division=division, households=households
        )
        worker = workers.get(username)
        if worker is not None and not grid.workers.filter(pk=worker.pk).exists():
            do_set_grid_workers(actor=actor, grid=grid, workers=[*grid.workers.all(), worker])
        grids[code] = grid
    if Ticket.objects.filter(channel=Channel.GRID, grid__in=grids.values()).exists():
        return list(grids.values())
    for n, (code, category, kind, content, steps, passes) in enumerate(EVENTS):
        grid = grids[code]
        worker = grid.workers.order_by("pk").first()
        if worker is None:
            continue
        photos = (
            [SimpleUploadedFile(f"现场{n + 1}.png", demo_photo(), content_type="image/png")]
            if n % 2 == 0
            else []
        )
        ticket = do_report_grid_event(
            actor=worker,
            grid=grid,
            kind=kind,
            content=content,
            category=category,
            photos=photos,
        )
        if agent is not None:
            _advance(ticket, steps, passes, worker, agent)
    return list(grids.values())
