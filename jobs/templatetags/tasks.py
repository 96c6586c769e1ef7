"""Template filters for the worker's task pages."""

from django import template

register = template.Library()


@register.filter
def label_shortcuts(labels: list[str]) -> list[tuple[str, str | None]]:
    """Each label with its keyboard key: the label itself when every label is a distinct
    single digit (a digits job: "3" is key 3), else 1-9 by position (none past the ninth)."""
    if len(set(labels)) == len(labels) and all(
        len(label) == 1 and label.isdigit() for label in labels
    ):
        return [(label, label) for label in labels]
    return [
        (label, str(position) if position <= 9 else None)
        for position, label in enumerate(labels, 1)
    ]
