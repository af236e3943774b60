"""A template zerohsi plugin: copy this package to start your own (see CONTRIBUTING.md)."""
