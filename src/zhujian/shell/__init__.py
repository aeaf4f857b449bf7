"""The UI shell's own pages: home, placeholders for modules not built yet, and the health check."""
