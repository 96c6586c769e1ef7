"""Template filters for the vendor marketplace pages."""

from django import template

from jobs.tasktypes import REGISTRY

register = template.Library()


@register.filter
def task_type_name(key: str) -> str:
    """A task type's name ("Image classification") for its registry key."""
    task_type = REGISTRY.get(key)
    return task_type.name if task_type else key


@register.filter
def percent(share) -> str:
    """A share from 0 to 1 as a whole percentage ("67%"); a dash when unknown."""
    return "—" if share is None else f"{round(share * 100)}%"
