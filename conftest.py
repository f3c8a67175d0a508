"""Test-wide settings, inherited by the lessons' kernels: the smoke profile unless told otherwise."""

import os

os.environ.setdefault("COURSE_PROFILE", "smoke")
# Executed notebooks print one line per epoch instead of redrawing figures (helpers.live).
os.environ.setdefault("COURSE_PLAIN_PROGRESS", "1")
