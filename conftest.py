"""Test-wide settings: notebooks (run by nbval) and tests use the smoke profile unless told otherwise."""

import os

os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")
