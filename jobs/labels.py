"""Ground Truth's label-category configuration documents: parsed into the job's label names,
with Ground Truth's quotas (reference/ground-truth.md §4 and §8)."""

import json
from typing import NoReturn

from jobs.tasktypes.base import TaskType
from marketplace.exceptions import InvalidInput

FIELD = "label_category_config"

VERSION_2018 = "2018-11-28"  # image, text and custom types: "document-version"
VERSION_2020 = "2020-03-01"  # video and 3D types: "documentVersion"
VERSION_KEYS = {"document-version": VERSION_2018, "documentVersion": VERSION_2020}

MAX_LABEL_LENGTH_2018 = 256
MAX_LABEL_LENGTH_2020 = 16
MAX_LABELS_2020 = 30
MAX_CATEGORY_ATTRIBUTES = 10
MAX_FRAME_ATTRIBUTES = 10

DOCUMENT_KEYS = {
    VERSION_2018: frozenset({"document-version", "labels", "instructions"}),
    VERSION_2020: frozenset(
        {
            "documentVersion",
            "labels",
            "categoryGlobalAttributes",
            "frameAttributes",
            "annotationType",
            "instructions",
            "auditLabelAttributeName",
        }
    ),
}
LABEL_KEYS = {
    VERSION_2018: frozenset({"label"}),
    VERSION_2020: frozenset({"label", "categoryAttributes", "editsAllowed"}),
}


def label_config_parse(document: object, *, task_type: TaskType | None = None) -> list[str]:
    """The label names of a label-category configuration, in order.

    `document` is the parsed JSON object (or its JSON text). Every problem is reported at
    once as InvalidInput on "label_category_config"; with `task_type`, its minimum and
    maximum label counts apply too.
    """
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError:
            _refuse(["The label category configuration is not valid JSON."])
    if not isinstance(document, dict):
        _refuse(["The label category configuration must be a JSON object."])

    version, problems = _document_version(document)
    if version is None:
        _refuse(problems)
    problems += [
        f'Unknown key "{key}" for document version {version}.'
        for key in sorted(set(document) - DOCUMENT_KEYS[version])
    ]

    entries = document.get("labels")
    if not isinstance(entries, list) or not entries:
        _refuse([*problems, '"labels" must be a non-empty list of {"label": "<name>"} objects.'])

    names: list[str] = []
    max_length = MAX_LABEL_LENGTH_2018 if version == VERSION_2018 else MAX_LABEL_LENGTH_2020
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "label" not in entry:
            problems.append(f'Label {position} must be an object with a "label".')
            continue
        problems += [
            f'Label {position} has an unknown key "{key}".'
            for key in sorted(set(entry) - LABEL_KEYS[version])
        ]
        name = entry["label"]
        if not isinstance(name, str) or not name.strip():
            problems.append(f"Label {position} must have a non-empty name.")
            continue
        if len(name) > max_length:
            problems.append(
                f'Label {position} ("{name[:20]}…") is longer than {max_length} characters.'
            )
        if name in names:
            problems.append(f'Label "{name}" is listed more than once; labels must be unique.')
        names.append(name)
        attributes = entry.get("categoryAttributes", [])
        if not isinstance(attributes, list) or len(attributes) > MAX_CATEGORY_ATTRIBUTES:
            problems.append(
                f"Label {position} may have at most {MAX_CATEGORY_ATTRIBUTES} category "
                "attributes, as a list."
            )

    if version == VERSION_2020:
        if len(entries) > MAX_LABELS_2020:
            problems.append(f"Document version {version} allows at most {MAX_LABELS_2020} labels.")
        frame_attributes = document.get("frameAttributes", [])
        if not isinstance(frame_attributes, list) or len(frame_attributes) > MAX_FRAME_ATTRIBUTES:
            problems.append(f"At most {MAX_FRAME_ATTRIBUTES} frame attributes, as a list.")

    if task_type is not None:
        if len(entries) < task_type.min_labels:
            problems.append(f"{task_type.name} needs at least {task_type.min_labels} labels.")
        if task_type.max_labels is not None and len(entries) > task_type.max_labels:
            problems.append(f"{task_type.name} allows at most {task_type.max_labels} labels.")

    if problems:
        _refuse(problems)
    return names


def _document_version(document: dict) -> tuple[str | None, list[str]]:
    """The document's version and any problems with how it is stated."""
    present = [key for key in VERSION_KEYS if key in document]
    if not present:
        return None, [
            'The document needs "document-version": "2018-11-28" or '
            '"documentVersion": "2020-03-01".'
        ]
    if len(present) > 1:
        return None, ['Give either "document-version" or "documentVersion", not both.']
    key = present[0]
    if document[key] != VERSION_KEYS[key]:
        return None, [
            f'Unknown document version {json.dumps(document[key], default=str)}: "{key}" must be '
            f'"{VERSION_KEYS[key]}".'
        ]
    return VERSION_KEYS[key], []


def _refuse(problems: list[str]) -> NoReturn:
    raise InvalidInput(fields={FIELD: problems})
