"""The civic handbook generator: YAML case studies and recipes in, a multilingual site and worksheets out."""

__version__ = "0.1.0"
