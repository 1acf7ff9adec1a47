"""The engagements app's views, one module per feature."""
