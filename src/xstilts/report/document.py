"""The report as data: sections of paragraphs, lists, tables and figures.

Built once from the analysis, then rendered by ``html.py`` and ``markdown.py``, so both
files say the same thing. All text here is plain (unescaped); renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class BulletList:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    caption: str
    frame: pd.DataFrame  # cells already formatted as text


@dataclass(frozen=True)
class Figure:
    name: str  # file stem under plots/
    caption: str
    png: bytes
    svg: bytes


Block = Paragraph | BulletList | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    sections: list[Section]

    def figures(self) -> list[Figure]:
        return [block for section in self.sections for block in section.blocks if isinstance(block, Figure)]
