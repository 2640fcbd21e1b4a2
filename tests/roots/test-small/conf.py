# The handbook extension is importable through PYTHONPATH / sys.path set by tests/conftest.py.
extensions = ["myst_parser", "handbook"]
exclude_patterns = ["_build"]
nitpicky = True
handbook_tags = {"databases": "Storage.", "testing": "Tests."}
