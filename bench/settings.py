"""The production settings (config.settings, read from the environment as in
production) with one change for the benchmark: static files are collected into the
directory named by BENCH_STATIC_ROOT (a temporary one) instead of the project's
staticfiles/, so a benchmark run leaves the tree as it was."""

import os

from config.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
