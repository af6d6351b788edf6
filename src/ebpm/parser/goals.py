"""Goal blocks: 大目標, あるべき姿, 目標, 主要指標 and 参考指標 headers and their text."""

from __future__ import annotations

import re
from typing import Literal

BlockKind = Literal["grand_goal", "vision", "goal", "kpi", "reference"]

_HEADERS: list[tuple[BlockKind, re.Pattern[str]]] = [
    ("grand_goal", re.compile(r"^[・ ]*【[⼤大][⽬目]標】\s*$")),
    ("vision", re.compile(r"^[・ ]*【あるべき姿とその実現に向けた[⽅方]向性】\s*$")),
    ("goal", re.compile(r"^[・ ]*【[⽬目]標】\s*$")),
    (
        "kpi",
        re.compile(
            r"^[・ ]*【科学技術・イノベーション政策において[⽬目]指す主要な数値[⽬目]標】"
            r"[（(]主要指標[）)]\s*$"
        ),
    ),
    ("reference", re.compile(r"^[・ ]*【現状データ】[（(]参考指標[）)]\s*$")),
]


def block_header(raw: str) -> BlockKind | None:
    for kind, pattern in _HEADERS:
        if pattern.match(raw):
            return kind
    return None
