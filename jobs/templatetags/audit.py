"""Template filters for the audit task pages: the prior label an object carries."""

from django import template

from jobs.tasktypes.audit import prior_label

register = template.Library()


@register.filter
def prior_class_name(data: dict, attribute: str = "") -> str:
    """The class name of the label `data` carries under `attribute` (the job's source label
    attribute; empty: the line's newest class label), or "" when it has none."""
    label = prior_label(data, attribute=attribute or None)
    return label.class_name if label is not None else ""
