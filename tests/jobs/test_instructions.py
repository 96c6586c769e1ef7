"""Instruction HTML keeps its allow-listed formatting and loses everything that could run."""

import re

import pytest

from jobs.instructions import (
    FULL_INSTRUCTIONS_MAX,
    SHORT_INSTRUCTIONS_MAX,
    instructions_sanitize,
)

# Each entry must come out with no script, handler, style or dangerous URL left.
XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example.com/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://example.com/a.png" onerror="alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<a href=\"javascript:alert('XSS')\">click</a>",
    '<a href="JAVASCRIPT:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<iframe src="https://evil.example.com"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="https://evil.example.com/x.swf">',
    '<p style="width: expression(alert(1))">styled</p>',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<body onload="alert(1)">',
    '<input autofocus onfocus="alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<details open ontoggle="alert(1)">x</details>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="https://evil.example.com/x.css">',
    '<p onclick="alert(1)" onmouseover="alert(1)">hover</p>',
    '<a href="https://example.com" onclick="alert(1)">ok</a>',
    "<!--<script>alert(1)</script>-->",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<img src="http://example.com/tracker.png">',
    '<a href="/admin/">relative</a>',
    '<a href="//evil.example.com/">protocol relative</a>',
]

DANGEROUS = re.compile(
    r"<\s*(script|style|iframe|object|embed|svg|math|form|input|meta|base|link|body|template)\b"
    r"|\bon[a-z]+\s*="
    r"|\bstyle\s*="
    r"|\bsrcdoc\s*="
    r"|javascript:|vbscript:|data:",
    re.IGNORECASE,
)


@pytest.mark.parametrize("html", XSS_CORPUS)
def test_xss_corpus_is_neutralized(html):
    cleaned = instructions_sanitize(html)

    assert not DANGEROUS.search(cleaned), cleaned
    assert instructions_sanitize(cleaned) == cleaned  # nothing left for a second pass


@pytest.mark.parametrize(
    ("html", "cleaned"),
    [
        ("<script>alert(1)</script>Read this", "Read this"),
        ("<p>hi<script>alert(1)</script></p>", "<p>hi</p>"),
        ("<img src=x onerror=alert(1)>", "<img>"),
        ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
        ("<svg onload=alert(1)>", ""),
        ('<iframe src="https://evil.example.com"></iframe>after', "after"),
        ('<p style="width: expression(alert(1))">styled</p>', "<p>styled</p>"),
        (
            "<a href=\"javascript:alert('XSS')\">click</a>",
            '<a rel="noopener noreferrer nofollow">click</a>',
        ),
        (
            '<a href="data:text/html,<script>alert(1)</script>">d</a>',
            '<a rel="noopener noreferrer nofollow">d</a>',
        ),
        ('<img src="http://example.com/a.png" alt="a">', '<img alt="a">'),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<a href="/admin/">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ("<!-- note --><p>x</p>", "<p>x</p>"),
    ],
)
def test_dangerous_markup_is_removed_exactly(html, cleaned):
    assert instructions_sanitize(html) == cleaned


def test_allowed_formatting_survives():
    html = (
        "<h1>Title</h1><h2>a</h2><h3>b</h3><h4>c</h4>"
        "<p>Read <b>this</b>, <strong>that</strong>, <i>it</i>, <em>em</em>, <u>u</u>.<br>"
        "Line</p><ul><li>one</li></ul><ol><li>two</li></ol>"
        "<blockquote>quote</blockquote><pre><code>x = 1</code></pre>"
        '<table><caption>Examples</caption><thead><tr><th scope="col">Label</th></tr></thead>'
        '<tbody><tr><td colspan="2">dog</td></tr></tbody></table>'
    )

    assert instructions_sanitize(html) == html


def test_links_keep_http_https_mailto_and_get_a_safe_rel():
    html = (
        '<a href="https://example.com/guide" title="Guide" rel="opener" target="_blank">g</a>'
        '<a href="http://example.com/">h</a><a href="mailto:help@example.com">m</a>'
    )

    assert instructions_sanitize(html) == (
        '<a href="https://example.com/guide" title="Guide" rel="noopener noreferrer nofollow">'
        "g</a>"
        '<a href="http://example.com/" rel="noopener noreferrer nofollow">h</a>'
        '<a href="mailto:help@example.com" rel="noopener noreferrer nofollow">m</a>'
    )


def test_https_images_keep_their_attributes():
    html = '<img src="https://example.com/cat.png" alt="A cat" width="200" height="100">'

    assert instructions_sanitize(html) == html


def test_other_tags_are_unwrapped_and_attributes_dropped():
    html = '<div class="x" id="y"><span>text</span><font color="red">red</font></div>'

    assert instructions_sanitize(html) == "textred"


def test_text_is_escaped_and_blank_input_is_empty():
    assert instructions_sanitize("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"
    assert instructions_sanitize("") == ""
    assert instructions_sanitize(None) == ""
    assert instructions_sanitize("  <p>x</p>  ") == "<p>x</p>"


def test_length_limits_are_exposed():
    assert (SHORT_INSTRUCTIONS_MAX, FULL_INSTRUCTIONS_MAX) == (2_000, 100_000)
