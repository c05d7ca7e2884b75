"""Polls: the live 'Digitaal netwerken' questions and their charts."""
