"""The test suite, a package: helpers are imported like any module (``from tests import factories``).

``tests/unit`` needs no database; ``tests/e2e`` drives a browser; ``tests/fixtures`` holds data
builders shared by several test modules; ``tests/factories.py`` makes one valid row of each kind.
"""
