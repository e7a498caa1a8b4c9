"""python -m generator: the same as build.py."""

from .cli import run

run()
