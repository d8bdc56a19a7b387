"""Render the report document as Markdown, with figures linked from ``plots/``.

Text is HTML-escaped as well, because Markdown viewers pass raw HTML through; pipes are
escaped so data cannot break a table row.
"""

from __future__ import annotations

from html import escape

from xstilts.report.document import BulletList, Document, Figure, Paragraph, Table


def _text(value: object) -> str:
    return escape(str(value), quote=False).replace("\n", " ")


def _cell(value: object) -> str:
    return _text(value).replace("|", "\\|")


def _paragraph(block: Paragraph) -> str:
    return _text(block.text)


def _bullets(block: BulletList) -> str:
    return "\n".join(f"- {_text(item)}" for item in block.items)


def _table(block: Table) -> str:
    columns = [_cell(column) for column in block.frame.columns]
    lines = [f"**{_text(block.caption)}**", "", "| " + " | ".join(columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in block.frame.itertuples(index=False)]
    return "\n".join(lines)


def _figure(block: Figure) -> str:
    alt = _text(block.caption).replace("[", "(").replace("]", ")")
    return f"![{alt}](plots/{block.name}.png)\n\n*{_text(block.caption)}* (also `plots/{block.name}.svg`)"


RENDERERS = {Paragraph: _paragraph, BulletList: _bullets, Table: _table, Figure: _figure}


def render_markdown(document: Document) -> str:
    parts = [f"# {_text(document.title)}"]
    for section in document.sections:
        parts.append(f"## {_text(section.title)}")
        parts += [RENDERERS[type(block)](block) for block in section.blocks]
    return "\n\n".join(parts) + "\n"
