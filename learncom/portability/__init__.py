"""JSONL import and export: one JSON object per line (users, posts, comments, links).

The format is documented in docs/import-export.md; its names and values are the models' own."""
