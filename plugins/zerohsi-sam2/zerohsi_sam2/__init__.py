"""zerohsi plugin package."""
