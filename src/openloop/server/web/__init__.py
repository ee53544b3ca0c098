"""Browser-facing routes: login and pages."""
