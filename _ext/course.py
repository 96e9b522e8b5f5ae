"""The book's own Sphinx extension: chapter references by label, and cells hidden by tag.

* ``{chapter}`ch-training-shakespeare``` renders as "chapter 14", linked; ``{chapter}`Chapter %s <ch-...>```
  uses its own words, with ``%s`` for the number. The number is read from the chapter's title
  ("14. Training on Tiny Shakespeare"), which ``tools/chapters.py`` keeps in step with ``_toc.yml``, so
  inserting a chapter renumbers every reference. An unknown label is a warning (an error under ``-W``).
* Code cells tagged ``check`` (the checks that assert what the text claims) are removed from the page.
  With ``LMKIT_STUDENT_EDITION=1`` in the environment, cells tagged ``solution`` are removed too.
"""
from __future__ import annotations

import os
import re

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

HIDDEN_TAGS = ("check",)
STUDENT_HIDDEN_TAGS = ("solution",)


class chapter_ref(nodes.Inline, nodes.Element):  # noqa: N801 - docutils names nodes in lower case
    """A reference to a chapter, resolved once every label is known."""


class ChapterRole(SphinxRole):
    def run(self):
        m = re.fullmatch(r"(.*?)\s*<([^<>]+)>", self.text, re.S)
        fmt, label = (m.group(1), m.group(2).strip()) if m else ("chapter %s", self.text.strip())
        if "%s" not in fmt:
            fmt += " %s"
        node = chapter_ref(self.rawtext, fmt=fmt, label=label)
        self.set_source_info(node)
        return [node], []


def chapter_number(title: str) -> str | None:
    m = re.match(r"(\d+)\.\s", title)
    return m.group(1) if m else None


def resolve_chapter_refs(app, doctree, fromdocname: str) -> None:
    labels = app.env.get_domain("std").labels
    for node in list(doctree.findall(chapter_ref)):
        label, fmt = node["label"], node["fmt"]
        target = labels.get(label)
        number = chapter_number(target[2]) if target else None
        if number is None:
            why = "no such label" if target is None else f"its title {target[2]!r} has no chapter number"
            logger.warning(f"chapter reference to {label!r}: {why}", location=node)
            node.replace_self(nodes.Text(fmt.replace("%s", "?")))
            continue
        docname, labelid = target[0], target[1]
        uri = app.builder.get_relative_uri(fromdocname, docname)
        if labelid:
            uri += "#" + labelid
        ref = nodes.reference("", "", nodes.Text(fmt.replace("%s", number)), internal=True, refuri=uri)
        node.replace_self(ref)


def remove_tagged_cells(app, doctree) -> None:
    tags = HIDDEN_TAGS + (STUDENT_HIDDEN_TAGS if os.environ.get("LMKIT_STUDENT_EDITION") == "1" else ())
    classes = {f"tag_{t}" for t in tags}
    for node in list(doctree.findall(nodes.container)):
        if classes & set(node.get("classes", [])) and node.parent is not None:
            node.parent.remove(node)


def _skip(self, node):
    raise nodes.SkipNode


def setup(app):
    app.add_node(chapter_ref, html=(_skip, None), latex=(_skip, None), text=(_skip, None))
    app.add_role("chapter", ChapterRole())
    app.connect("doctree-read", remove_tagged_cells)
    app.connect("doctree-resolved", resolve_chapter_refs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
