"""Translation catalogues (gettext .po files), one folder per language."""
