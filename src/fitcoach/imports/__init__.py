"""The athlete's own data: FIT/GPX/TCX files and Strava's bulk-export archive.

``parsing/`` reads files (no database); ``service`` imports a file, zip or folder as a
job with progress; ``uploads`` keeps an upload until a worker imports it; ``endpoints``
is the import page. docs/files.md describes the rules.
"""
