"""``scraper serve``: a read-only web view of the archive (Starlette, Jinja2, uvicorn).

``app`` routes and renders, ``data`` reads what each page shows (the JSON API returns it as
is), ``charts`` draws the sources' bar charts as SVG geometry, ``diff`` compares revisions word
by word, ``server`` runs uvicorn. Templates and the stylesheet ship in the package; the pages
use no script. See the README, "Web view".
"""
