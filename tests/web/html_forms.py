"""Read an HTML form's fields the way a browser without JavaScript would submit them."""

from __future__ import annotations

import html
import re


def form_fields(
    page: str, action: str, *, skip: tuple[str, ...] = ("consent", "website")
) -> dict[str, object]:
    """Values of the form whose ``action`` attribute is ``action``."""
    start = page.index(f'action="{action}"')
    form = page[start : page.index("</form>", start)]
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or name.group(1) in skip:
            continue
        if kind and kind.group(1) in {"checkbox", "radio"} and "checked" not in tag:
            continue
        data.setdefault(name.group(1), []).append(html.unescape(value.group(1)) if value else "")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options) or re.search(
            r"<option[^>]*selected[^>]*>([^<]*)<", options
        )
        data[name] = [html.unescape(chosen.group(1))] if chosen else [""]
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = [html.unescape(text)]
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}
