"""Periodic reports for brand managers: gather figures from the store, draw charts, render HTML and Markdown, send."""
