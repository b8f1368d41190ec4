"""The Textual screenboard: app wiring, the board screen, help, command palette and headless export."""
