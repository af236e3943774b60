"""Importers of peer methods' outputs (TRUMANS, LINGO, CHOIS) and writers of their inputs."""
