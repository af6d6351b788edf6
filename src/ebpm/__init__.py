"""ebpm: the Integrated Innovation Strategy 2023 as a queryable policy graph."""

__version__ = "0.1.0"
