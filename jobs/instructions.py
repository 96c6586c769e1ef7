"""Requesters' task instructions: HTML cleaned with an explicit allow-list (nh3) before it
is stored, so worker pages can show it as is."""

import nh3

# Enforced by the job service on the sanitized text. Ground Truth's own limits (short
# < 255, full < 2048 characters) are for 3D and video jobs; image and text jobs get room
# for examples.
SHORT_INSTRUCTIONS_MAX = 2_000
FULL_INSTRUCTIONS_MAX = 100_000

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "blockquote", "code", "pre", "a", "img",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
# Removed together with everything inside them, not just unwrapped.
REMOVED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = ("https:",)
LINK_REL = "noopener noreferrer nofollow"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # nh3 has one scheme list for every URL attribute; images are narrower than links:
    # https only, so a worker's browser never loads mixed content or a tracking pixel
    # over plain http.
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith(IMAGE_SCHEMES):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    link_rel=LINK_REL,
    url_schemes=set(LINK_SCHEMES),
    url_relative="deny",  # a relative URL would resolve against our own site
    strip_comments=True,
)


def instructions_sanitize(html: str) -> str:
    """`html` with every tag, attribute and URL scheme outside the allow-list removed."""
    return _CLEANER.clean(html or "").strip()
