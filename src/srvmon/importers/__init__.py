"""Importers: existing dashboards (CloudWatch dashboard bodies, Grafana dashboard JSON) as srvmon boards.

Each importer turns its format into a neutral BoardDraft (board.py), listing in a Report (report.py)
every widget, panel or target it could not import exactly; board.py writes the draft as commented TOML."""
