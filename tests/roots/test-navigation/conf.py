extensions = ["myst_parser", "handbook"]
exclude_patterns = ["_build"]
nitpicky = True
html_theme = "furo"
handbook_tags = {"testing": "Tests."}
