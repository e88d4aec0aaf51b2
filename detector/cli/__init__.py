"""Command line: one module per command, wired together in :mod:`detector.cli.main`.

Command bodies only parse and validate options, call the library and print; the
work lives in the pipeline packages.
"""
