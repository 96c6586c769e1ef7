"""Labeling-job tables; the jobs issue fills this in."""
