"""Figures: analytics, Prometheus metrics, the dashboard routes, the export and redaction."""
