"""Text classification (single label): the worker reads a text and picks one label."""

from jobs.tasktypes.classification import SOURCE, SingleLabelClassification


class TextClassification(SingleLabelClassification):
    key = "text-classification"
    name = "Text classification (single label)"
    output_type = "groundtruth/text-classification"
    template = "tasks/text_classification.html"
    source_key = SOURCE
