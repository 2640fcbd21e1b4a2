extensions = ["myst_parser", "handbook"]
exclude_patterns = ["_build"]
nitpicky = True
html_theme = "basic"
handbook_tags = {"databases": "Storage."}
