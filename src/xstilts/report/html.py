"""Render the report document as one self-contained HTML file.

Every piece of text is passed through ``html.escape``: task names, languages and notes come
from configs and data. The Content-Security-Policy forbids scripts and any fetch, so even a
missed escape could not run code, and the file cannot depend on anything outside itself.
"""

from __future__ import annotations

import base64
from html import escape

from xstilts.report.document import BulletList, Document, Figure, Paragraph, Table

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 76rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1d1d1d; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.85rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
figure { margin: 1rem 0 1.5rem; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #444; }
nav li { margin: 0.1rem 0; }
"""


def _paragraph(block: Paragraph) -> str:
    return f"<p>{escape(block.text)}</p>"


def _bullets(block: BulletList) -> str:
    items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
    return f"<ul>{items}</ul>"


def _table(block: Table) -> str:
    header = "".join(f"<th>{escape(str(column))}</th>" for column in block.frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{escape(str(value))}</td>" for value in row) + "</tr>"
                   for row in block.frame.itertuples(index=False))
    return (f"<table><caption>{escape(block.caption)}</caption><thead><tr>{header}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _figure(block: Figure) -> str:
    encoded = base64.b64encode(block.png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(block.caption)}">'
            f"<figcaption>{escape(block.caption)}</figcaption></figure>")


RENDERERS = {Paragraph: _paragraph, BulletList: _bullets, Table: _table, Figure: _figure}


def render_html(document: Document) -> str:
    contents = "".join(f'<li><a href="#section-{i}">{escape(section.title)}</a></li>'
                       for i, section in enumerate(document.sections))
    body = "".join(
        f'<section id="section-{i}"><h2>{escape(section.title)}</h2>'
        + "\n".join(RENDERERS[type(block)](block) for block in section.blocks) + "</section>\n"
        for i, section in enumerate(document.sections))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(document.title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{escape(document.title)}</h1><nav><ol>{contents}</ol></nav>\n{body}</body></html>\n")
