"""Image classification (single label): the worker sees an image and picks one label."""

from jobs.tasktypes.classification import SOURCE_REF, SingleLabelClassification


class ImageClassification(SingleLabelClassification):
    key = "image-classification"
    name = "Image classification (single label)"
    output_type = "groundtruth/image-classification"
    template = "tasks/image_classification.html"
    source_key = SOURCE_REF
