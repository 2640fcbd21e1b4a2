from pathlib import Path

import handbook

extensions = ["myst_parser", "handbook"]
exclude_patterns = ["_build"]
nitpicky = True
html_theme = "furo"
# The handbook's own page template (tags, backlinks, related pages, stale notice).
templates_path = [str(Path(handbook.__file__).resolve().parents[2] / "_templates")]
handbook_tags = {"caching": "Caches.", "databases": "Storage.", "handbook": "About."}
handbook_health_page = "health"
