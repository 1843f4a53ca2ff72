"""An email's HTML part: the message's text as a small page."""

import html
import re
from string import Template

# A small self-contained page: mail clients block external resources and ignore <style> often.
PAGE = Template(
    """<!DOCTYPE html>
<html lang="$language">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
</head>
<body style="margin:0;padding:12px;background:#f2f2f2">
<div style="max-width:560px;margin:0 auto;padding:16px 20px;background:#ffffff;\
font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a">
$paragraphs
</div>
</body>
</html>
"""
)
PARAGRAPH = '<p style="margin:0 0 16px">{}</p>'


def as_html(subject: str, text: str, language: str) -> str:
    """The body as a page: a paragraph per blank-line-separated block, <br> within one."""
    blocks = (block for block in re.split(r"\n[ \t]*\n", text) if block.strip())
    paragraphs = "\n".join(
        PARAGRAPH.format("<br>\n".join(html.escape(line) for line in block.strip().splitlines()))
        for block in blocks
    )
    return PAGE.substitute(language=language, title=html.escape(subject), paragraphs=paragraphs)
