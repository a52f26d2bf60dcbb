"""A flame graph (SVG, readable in any browser, no script) from py-spy's collapsed stacks
("frame;frame;…;frame count" per line), so that the committed profile can be looked at, not
only read as the summary ``pyspy.summarize_collapsed`` prints.

Written here rather than running py-spy a second time with ``--format flamegraph``: one
recording gives both the summary and the picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

WIDTH = 1200
ROW = 16
MIN_WIDTH = 0.5  # pixels: narrower frames are left out


@dataclass
class Node:
    name: str
    count: int = 0
    children: dict[str, Node] = field(default_factory=dict)


def tree(text: str) -> Node:
    root = Node("all")
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        node = root
        node.count += int(count)
        for frame in stack.split(";"):
            if frame.startswith("process "):
                continue
            node = node.children.setdefault(frame, Node(frame))
            node.count += int(count)
    return root


def _colour(name: str) -> str:
    if "/work/main/" in name or name.split(" (")[-1].startswith(
        ("signatures/", "campaign/", "abuse/", "consent/", "ledger/", "pages/")
    ):
        return "#e8a33d"  # the project's own code
    if "psycopg" in name or "django/db" in name:
        return "#6aa0d8"
    if "django/template" in name:
        return "#8fc46a"
    return "#e07a5f"


def _depth(node: Node, total: int, level: int = 0) -> int:
    if node.count / total * WIDTH < MIN_WIDTH:
        return level - 1
    return max([level, *(_depth(child, total, level + 1) for child in node.children.values())])


def svg(text: str, *, title: str = "") -> str:
    root = tree(text)
    total = root.count or 1
    height = (_depth(root, total) + 1) * ROW + 30
    rects: list[str] = []

    def draw(node: Node, x: float, level: int) -> None:
        width = node.count / total * WIDTH
        if width < MIN_WIDTH:
            return
        y = height - (level + 1) * ROW  # the root at the bottom, as flame graphs are drawn
        label = f"{node.name} ({node.count / total:.1%})"
        shown = escape(node.name[: int(width / 7)]) if width > 30 else ""
        rects.append(
            f'<g><title>{escape(label)}</title><rect x="{x:.1f}" y="{y}" width="{width:.1f}" '
            f'height="{ROW - 1}" fill="{_colour(node.name)}"/>'
            f'<text x="{x + 3:.1f}" y="{y + ROW - 4}">{shown}</text></g>'
        )
        child_x = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            draw(child, child_x, level + 1)
            child_x += child.count / total * WIDTH

    draw(root, 0.0, 0)
    heading = escape(title or "py-spy profile")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="monospace" font-size="11">\n'
        f'<text x="4" y="16" font-size="13">{heading}: {total} samples</text>\n'
        + "\n".join(rects)
        + "\n</svg>\n"
    )
