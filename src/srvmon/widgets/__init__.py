"""Panel widgets: one per module, each fed plain PanelSnapshot data and knowing no provider."""
