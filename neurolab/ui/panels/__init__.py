"""The main window's panels: Data, Search (with its search-space editor), status bar."""
